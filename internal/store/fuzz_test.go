package store

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/hlc"
)

func TestEventRoundTrip(t *testing.T) {
	ev := Event{
		Boot:   7,
		HLC:    hlc.New(1_795_342_500_123, 9),
		Time:   time.Date(2026, 11, 22, 10, 15, 0, 123456789, time.UTC),
		Class:  ClassAudit,
		Device: "front-door",
		Type:   "unlock_denied",
		Data:   map[string]any{"reason": "revoked", "grant": []byte{1, 2}, "tries": uint64(3), "nested": map[string]any{"ok": false}},
	}
	b, err := encodeEvent(&ev)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes: %x", len(b), b)
	got, err := decodeEvent(42, b)
	if err != nil {
		t.Fatal(err)
	}
	ev.Seq = 42
	if !reflect.DeepEqual(got, ev) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, ev)
	}
}

// A record written before events carried their HLC reads with the HLC of
// its time, the same at every read, so its resends stay byte-identical.
func TestLegacyRecordGetsItsHLCFromItsTime(t *testing.T) {
	when := time.Date(2026, 11, 22, 10, 15, 0, 123456789, time.UTC)
	b, err := encMode.Marshal(&record{Boot: 1, Time: when.UnixNano(), Class: ClassAudit, Type: "locked"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		ev, err := decodeEvent(1, b)
		if err != nil {
			t.Fatal(err)
		}
		if ev.HLC != hlc.FromTime(when) {
			t.Fatalf("legacy record's HLC = %v, want %v", ev.HLC, hlc.FromTime(when))
		}
	}
}

// FuzzDecodeEvent feeds arbitrary bytes to the decoder of stored events: it
// must return an error or an event, never panic, and what it accepts must
// re-encode to bytes that decode to the same event.
func FuzzDecodeEvent(f *testing.F) {
	for _, ev := range []Event{
		{},
		{Boot: 1, Time: testNow, Class: ClassAudit, Type: "store_recovered", Data: map[string]any{"reason": "r", "moved_to": "/x"}},
		{Boot: 1 << 40, Time: time.Unix(0, -1), Class: ClassTelemetry, Device: "boiler", Type: "temp", Data: map[string]any{"c": 21.5, "list": []any{1, "a", nil}}},
		{Class: "future-class", Type: "x", Data: map[string]any{"m": map[string]any{"deep": map[string]any{}}}},
	} {
		b, err := encodeEvent(&ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, b := range [][]byte{
		{},                             // nothing
		{0xa0},                         // empty map: an event with no fields
		{0x80},                         // an array, not a map
		{0xa1, 0x01, 0xff},             // a stray break code
		{0xa2, 0x01, 0x01, 0x01, 0x02}, // duplicate key 1
		{0xa1, 0x61, 0x31, 0x01},       // text key "1" instead of int 1
		{0xbf, 0x05, 0x61, 0x74, 0xff}, // indefinite-length map {5: "t"}
		{0xa1, 0x06, 0xa1, 0x01, 0x02}, // Data with an integer key
		{0xa1, 0x02, 0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, // the most negative time
		{0xa1, 0x06, 0xa1, 0x61, 0x74, 0xc1, 0x1a, 0x00, 0x00, 0x00, 0x01}, // a tagged time in Data
		{0xa1, 0x01, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, // boot 2^64-1
		{0xa1, 0x05, 0x7a, 0xff, 0xff, 0xff, 0xff},                         // a string longer than the input
		{0xa0, 0x00}, // trailing bytes
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := decodeEvent(1, b)
		if err != nil {
			return
		}
		b2, err := encodeEvent(&ev)
		if err != nil {
			t.Fatalf("decoded %+v but cannot encode it: %v", ev, err)
		}
		ev2, err := decodeEvent(1, b2)
		if err != nil {
			t.Fatalf("cannot decode own encoding %x: %v", b2, err)
		}
		// Compare encodings, not events: NaN != NaN would fail DeepEqual.
		b3, err := encodeEvent(&ev2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b2, b3) {
			t.Fatalf("not stable: %x re-encodes as %x", b2, b3)
		}
	})
}
