package characteristic

import (
	"fmt"
	"math"
	"strconv"
)

// The conversions C.convert applies to a value written by a controller
// (encoding/json's float64, bool, string, nil, map or slice) or set by the
// program (int, float64, bool), in place of github.com/xiam/to's Float64,
// Uint64 and Bool: that package compiles three regular expressions in its
// package initialisation, which linked regexp into every program that
// embeds this module and cost 4–6 ms of each start under qemu-aarch64.
// Each returns what xiam/to returned for the same value (convert_test.go),
// except where Go leaves the result implementation-dependent (a float out
// of the range of uint64): there toUint64 says what it returns.

// toFloat64 returns v as a float64: numbers converted, bools as 0 or 1, a
// string parsed (0 if it is not a number, ±Inf beyond float64's range),
// anything else 0 (a json.Number or []byte too, as xiam/to).
func toFloat64(v any) float64 {
	switch t := v.(type) {
	case float64:
		return t
	case float32:
		return float64(t)
	case int:
		return float64(t)
	case int8:
		return float64(t)
	case int16:
		return float64(t)
	case int32:
		return float64(t)
	case int64:
		return float64(t)
	case uint:
		return float64(t)
	case uint8:
		return float64(t)
	case uint16:
		return float64(t)
	case uint32:
		return float64(t)
	case uint64:
		return float64(t)
	case bool:
		if t {
			return 1
		}
		return 0
	case string:
		f, _ := strconv.ParseFloat(t, 64)
		return f
	default:
		return 0
	}
}

// toUint64 returns v as a uint64: integers converted as Go converts them
// (a negative one wraps: -1 is 1<<64-1), a float truncated towards zero
// and then converted the same way (see floatToUint64), bools as 0 or 1,
// anything else formatted with %v and parsed as a decimal (0 if it is not
// one, 1<<64-1 beyond that): a string of digits, a json.Number, a []byte,
// a named integer type.
func toUint64(v any) uint64 {
	switch t := v.(type) {
	case nil:
		return 0
	case float64:
		return floatToUint64(t)
	case float32:
		return floatToUint64(float64(t))
	case int:
		return uint64(t)
	case int8:
		return uint64(t)
	case int16:
		return uint64(t)
	case int32:
		return uint64(t)
	case int64:
		return uint64(t)
	case uint:
		return uint64(t)
	case uint8:
		return uint64(t)
	case uint16:
		return uint64(t)
	case uint32:
		return uint64(t)
	case uint64:
		return t
	case bool:
		if t {
			return 1
		}
		return 0
	case string:
		u, _ := strconv.ParseUint(t, 10, 64)
		return u
	case []byte:
		u, _ := strconv.ParseUint(string(t), 10, 64)
		return u
	default:
		u, _ := strconv.ParseUint(fmt.Sprint(v), 10, 64)
		return u
	}
}

// floatToUint64 truncates f towards zero. Go leaves uint64(f) undefined
// for a negative f or one beyond 1<<64, and xiam/to returned what the
// hardware gives: -1 became 1<<64-1 on amd64 and 0 on arm64, so the same
// write was 0 on a Raspberry Pi and out of range on a laptop. Here a float
// that fits an int64 converts as that int64 does (the amd64 result: -1.5
// is 1<<64-1, which C.convert's int() makes -1 again, left to C's min and
// valid values to refuse or clamp), above that as uint64(f), and beyond
// the ends it saturates: 1<<64-1 above, 1<<63 (math.MinInt64) below, 0
// for NaN. JSON has no NaN nor infinities.
func floatToUint64(f float64) uint64 {
	switch {
	case f >= math.MinInt64 && f < math.MaxInt64: // MaxInt64 rounds up to 1<<63
		return uint64(int64(f))
	case f >= math.MaxInt64 && f < math.MaxUint64: // MaxUint64 rounds up to 1<<64
		return uint64(f)
	case f >= math.MaxUint64:
		return math.MaxUint64
	case f < math.MinInt64:
		return 1 << 63
	default: // NaN
		return 0
	}
}

// toBool returns v as xiam/to's Bool did: v formatted with %v and parsed
// by strconv.ParseBool, false if it is not a bool. So true, "true", "T",
// "1" and the number 1 are true; false, "0", 0, 0.5, 2, nil and "yes" are
// false.
func toBool(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case float64:
		return t == 1 // formatted "1" only when it is 1
	case string:
		b, _ := strconv.ParseBool(t)
		return b
	case []byte:
		b, _ := strconv.ParseBool(string(t))
		return b
	default:
		b, _ := strconv.ParseBool(fmt.Sprint(v))
		return b
	}
}
