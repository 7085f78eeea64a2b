package characteristic

import (
	"encoding/json"
	"math"
	"net/http"
	"testing"
)

type level int // a named integer type, as a program may pass to SetValue

// The expected values are what github.com/xiam/to v0.0.0-20200126224905
// returned for each input (Uint64, Float64, Bool), recorded on linux/amd64
// and linux/arm64 (qemu-aarch64) before it was dropped, except the rows
// marked: there Go leaves uint64(f) implementation-dependent and xiam/to
// returned each platform's own answer, given in the comment.
func TestConversionsMatchXiamTo(t *testing.T) {
	for _, tc := range []struct {
		in any
		u  uint64
		f  float64
		b  bool
	}{
		{nil, 0, 0, false},
		{true, 1, 1, true},
		{false, 0, 0, false},

		// encoding/json's numbers.
		{0.0, 0, 0, false},
		{1.0, 1, 1, true},
		{0.5, 0, 0.5, false},
		{1.9, 1, 1.9, false},
		{255.9, 255, 255.9, false},
		{256.0, 256, 256, false},
		{math.Copysign(0, -1), 0, math.Copysign(0, -1), false},
		{-0.5, 0, -0.5, false},
		{-1.0, math.MaxUint64, -1, false},        // xiam/to: amd64 1<<64-1, arm64 0
		{-1.5, math.MaxUint64, -1.5, false},      // xiam/to: amd64 1<<64-1, arm64 0
		{float32(-1), math.MaxUint64, -1, false}, // xiam/to: amd64 1<<64-1, arm64 0
		{1e19, 1e19, 1e19, false},
		{float64(math.MaxInt64), 1 << 63, 1 << 63, false},
		{1e300, math.MaxUint64, 1e300, false}, // xiam/to: amd64 1<<63, arm64 1<<64-1
		{-1e300, 1 << 63, -1e300, false},      // xiam/to: amd64 1<<63, arm64 0
		{float32(1), 1, 1, true},

		// What a program sets.
		{0, 0, 0, false},
		{1, 1, 1, true},
		{2, 2, 2, false},
		{-1, math.MaxUint64, -1, false},
		{int64(-5), math.MaxUint64 - 4, -5, false},
		{math.MaxInt64, math.MaxInt64, math.MaxInt64, false},
		{uint8(0), 0, 0, false},
		{uint8(1), 1, 1, true},
		{uint8(255), 255, 255, false},
		{uint64(math.MaxUint64), math.MaxUint64, math.MaxUint64, false},
		{level(1), 1, 0, true},
		{level(5), 5, 0, false},

		// Strings: the version, aid.iid ids, and what a controller may send.
		{"", 0, 0, false},
		{"0", 0, 0, false},
		{"1", 1, 1, true},
		{"42", 42, 42, false},
		{"-1", 0, -1, false},
		{"1.5", 0, 1.5, false},
		{"abc", 0, 0, false},
		{"true", 0, 0, true},
		{"T", 0, 0, true},
		{"yes", 0, 0, false},
		{" 1", 0, 0, false},
		{"+1", 0, 1, false},
		{"0x10", 0, 0, false},
		{"1e3", 0, 1000, false},
		{"1e400", 0, math.Inf(1), false},
		{"NaN", 0, math.NaN(), false},
		{"18446744073709551615", math.MaxUint64, math.MaxUint64, false},
		{"18446744073709551616", math.MaxUint64, math.MaxUint64, false}, // overflow

		// Neither encoding/json (no UseNumber) nor this module makes these.
		{json.Number("1"), 1, 0, true},
		{json.Number("7"), 7, 0, false},
		{json.Number("1.5"), 0, 0, false},
		{[]byte("1"), 1, 0, true},
		{[]byte("true"), 0, 0, true},
		{map[string]any{"a": 1.0}, 0, 0, false},
		{[]any{1.0}, 0, 0, false},
	} {
		if got := toUint64(tc.in); got != tc.u {
			t.Errorf("toUint64(%T %v) = %d, want %d", tc.in, tc.in, got, tc.u)
		}
		if got := toFloat64(tc.in); got != tc.f && !(math.IsNaN(got) && math.IsNaN(tc.f)) || math.Signbit(got) != math.Signbit(tc.f) {
			t.Errorf("toFloat64(%T %v) = %v, want %v", tc.in, tc.in, got, tc.f)
		}
		if got := toBool(tc.in); got != tc.b {
			t.Errorf("toBool(%T %v) = %v, want %v", tc.in, tc.in, got, tc.b)
		}
	}
}

// A negative number written to an integer characteristic reaches its
// handler as that negative int on every platform. With xiam/to a
// Raspberry Pi (arm64) turned -1 into 0, which for a lock's target state
// is "unsecured": the handler saw an unlock where amd64 saw -1.
func TestNegativeWriteStaysNegative(t *testing.T) {
	c := NewLockTargetState()
	c.SetValue(LockTargetStateSecured)
	var got any
	c.SetValueRequestFunc = func(v any, _ *http.Request) (any, int) {
		got = v
		return nil, 0
	}
	if _, code := c.SetValueRequest(-1.0, &http.Request{}); code != 0 {
		t.Fatalf("SetValueRequest(-1.0): code %d", code)
	}
	if got != -1 {
		t.Errorf("the handler got %T %v, want int -1", got, got)
	}
}
