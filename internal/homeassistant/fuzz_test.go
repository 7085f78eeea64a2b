package homeassistant

import (
	"errors"
	"strconv"
	"testing"
)

// ParseCommand reads bytes anyone with the broker's password can send.
// Whatever they are, it returns a known action with a value inside its
// bounds, or ErrBadCommand; it never panics.
func FuzzParseCommand(f *testing.F) {
	seeds := []struct {
		kind, sub string
		payload   string
	}{
		{"lock", "", "LOCK"},   // the happy paths
		{"lock", "", "UNLOCK"}, // decided by the principal's actions, not here
		{"switch", "", "ON"},   //
		{"cover", "position", "50.4"},
		{"boiler", "setpoint", "21.5"},
		{"boiler", "setpoint", "NaN"},   // not a number
		{"boiler", "setpoint", "1e309"}, // infinity
		{"cover", "position", "-0"},
		{"boiler", "mode", "heat"},
		{"switch", "", "on"}, // case matters: HA sends ON
		{"lock", "", "LOCK\x00"},
		{"input", "", "ON"}, // inputs take no command
	}
	for _, s := range seeds {
		f.Add(s.kind, s.sub, []byte(s.payload))
	}
	f.Fuzz(func(t *testing.T, kind, sub string, payload []byte) {
		c, err := ParseCommand(kind, "dev", sub, payload)
		if err != nil {
			if !errors.Is(err, ErrBadCommand) {
				t.Fatalf("error %v is not ErrBadCommand", err)
			}
			return
		}
		switch c.Action {
		case "lock", "unlock", "on", "off", "open", "close", "stop":
			if c.Value != "" {
				t.Fatalf("%s with value %q", c.Action, c.Value)
			}
		case "set-setpoint":
			v, err := strconv.ParseFloat(c.Value, 64)
			if err != nil || v < MinSetpoint || v > MaxSetpoint {
				t.Fatalf("setpoint %q", c.Value)
			}
		case "set-position":
			v, err := strconv.Atoi(c.Value)
			if err != nil || v < 0 || v > 100 {
				t.Fatalf("position %q", c.Value)
			}
		default:
			t.Fatalf("unknown action %q from %s/%s %q", c.Action, kind, sub, payload)
		}
	})
}
