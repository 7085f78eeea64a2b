package devices

import (
	"testing"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// FuzzRestore: saved state comes from a file that power loss or a bad SD
// card may have corrupted. Any bytes leave every device in a valid state,
// locks locked, and no relay energised by a restore except a switch's.
func FuzzRestore(f *testing.F) {
	on := true
	mode, sp, pos := "off", 18.0, 60.0
	f.Add(encode(switchSaved{On: &on}))                          // a switch that was on
	f.Add(encode(boilerSaved{Mode: &mode, Setpoint: &sp}))       // a boiler in mode off
	f.Add(encode(coverSaved{Position: &pos}))                    // a cover at 60 %
	f.Add(encode(lockSaved{Locked: false}))                      // a lock that was unlocked
	f.Add([]byte{0xa1, 0x68, 's', 'e', 't', 'p', 'o', 'i', 'n'}) // truncated map
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := newRig(t, baseConfig())
		saved := map[string][]byte{}
		for _, id := range []string{"front", "hall", "immobiliser", "heat", "blind", "bell"} {
			saved[id] = b
		}
		r.h.Start(r.j, saved)
		for _, s := range r.h.List() {
			switch s.Kind {
			case "lock":
				if s.State != "locked" {
					t.Fatalf("lock %s after restore", s.State)
				}
			case "boiler":
				m, _ := s.Attrs["mode"].(string)
				v, _ := s.Attrs["setpoint"].(float64)
				if (m != "heat" && m != "off") || !(v >= wire.MinSetpoint && v <= wire.MaxSetpoint) {
					t.Fatalf("boiler %v", s.Attrs)
				}
			case "cover":
				if p := coverPos(s); p < 0 || p > 100 || (s.State != "open" && s.State != "closed" && s.State != "stopped") {
					t.Fatalf("cover %+v", s)
				}
			}
		}
		if r.get("immobiliser").State != "off" {
			t.Fatal("immobiliser restored on")
		}
		for _, p := range []string{"GPIO17", "GPIO6", "GPIO12", "GPIO20", "GPIO21"} {
			if r.level(p) != "L" {
				t.Fatalf("%s energised by a restore", p)
			}
		}
	})
}
