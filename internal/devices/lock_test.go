package devices

import (
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// step is one move in a scenario: an action through Do, an outside level on
// a pin, or time passing while the watchers sample every 10 ms.
type step struct {
	do   string // "id action" or "id action value"
	set  string // "PIN H" or "PIN L"
	wait time.Duration
}

func (r *rig) play(steps []step) {
	r.t.Helper()
	for _, s := range steps {
		switch {
		case s.do != "":
			f := strings.Fields(s.do)
			f = append(f, "")
			r.do(f[0], f[1], f[2])
			r.sample()
		case s.set != "":
			f := strings.Fields(s.set)
			r.set(f[0], gpio.Level(f[1] == "H"))
		default:
			r.wait(s.wait)
		}
	}
}

// wait lets d pass in 10 ms steps, sampling the inputs after each, as the
// watcher goroutines would.
func (r *rig) wait(d time.Duration) {
	for d > 0 {
		s := min(d, 10*time.Millisecond)
		r.advance(s)
		r.sample()
		d -= s
	}
}

func TestLockRules(t *testing.T) {
	tests := []struct {
		name      string
		steps     []step
		want      []string
		state     string
		door      string
		alarms    []string
		afterwait time.Duration // more time, with no further events expected
	}{
		{
			name:  "unlock is a pulse that relocks after relock_after",
			steps: []step{{do: "front unlock"}, {wait: 5 * time.Second}},
			want:  []string{"unlocked(command)", "locked(relock_after)"},
			state: "locked", door: "closed",
		},
		{
			name: "relocks as soon as the door closes after opening during the pulse",
			steps: []step{{do: "front unlock"}, {wait: time.Second}, {do: "front door-open"}, {wait: time.Second},
				{do: "front door-close"}, {wait: 100 * time.Millisecond}},
			want:  []string{"unlocked(command)", "door_opened", "door_closed", "locked(door_closed)"},
			state: "locked", door: "closed", afterwait: 10 * time.Second,
		},
		{
			name:  "lock command ends the pulse at once",
			steps: []step{{do: "front unlock"}, {wait: time.Second}, {do: "front lock"}},
			want:  []string{"unlocked(command)", "locked(command)"},
			state: "locked", door: "closed", afterwait: 10 * time.Second,
		},
		{
			name:  "door opened while locked is forced",
			steps: []step{{do: "front door-open"}, {wait: 100 * time.Millisecond}},
			want:  []string{"door_opened", "door_forced"},
			state: "locked", door: "open", alarms: []string{"door_forced"},
		},
		{
			name: "forced alarm clears when the door closes",
			steps: []step{{do: "front door-open"}, {wait: 100 * time.Millisecond}, {do: "front door-close"},
				{wait: 100 * time.Millisecond}},
			want:  []string{"door_opened", "door_forced", "door_closed", "alarm_cleared(door_forced)"},
			state: "locked", door: "closed",
		},
		{
			name: "door that began opening during the pulse and is confirmed after the relock is not forced",
			steps: []step{{do: "front unlock"}, {wait: 4980 * time.Millisecond}, {do: "front door-open"},
				{wait: 100 * time.Millisecond}},
			want:  []string{"unlocked(command)", "locked(relock_after)", "door_opened"},
			state: "locked", door: "open",
		},
		{
			name: "door left open is reported once per opening",
			steps: []step{{do: "front unlock"}, {do: "front door-open"}, {wait: 61 * time.Second},
				{wait: 10 * time.Minute}},
			want:  []string{"unlocked(command)", "door_opened", "locked(relock_after)", "door_left_open"},
			state: "locked", door: "open", alarms: []string{"door_left_open"},
		},
		{
			name: "door left open alarm clears on closing, and a new opening may raise it again",
			steps: []step{{do: "front unlock"}, {do: "front door-open"}, {wait: 61 * time.Second},
				{do: "front door-close"}, {wait: 100 * time.Millisecond},
				{do: "front unlock"}, {do: "front door-open"}, {wait: 61 * time.Second}},
			want: []string{"unlocked(command)", "door_opened", "locked(relock_after)", "door_left_open",
				"door_closed", "alarm_cleared(door_left_open)",
				"unlocked(command)", "door_opened", "locked(relock_after)", "door_left_open"},
			state: "locked", door: "open", alarms: []string{"door_left_open"},
		},
		{
			name:  "exit button unlocks, then the pulse relocks",
			steps: []step{{do: "front press"}, {wait: time.Second}},
			want:  []string{"unlocked(exit_button)"},
			state: "unlocked", door: "closed",
		},
		{
			name:  "exit button pulse relocks after relock_after",
			steps: []step{{do: "front press"}, {wait: 6 * time.Second}},
			want:  []string{"unlocked(exit_button)", "locked(relock_after)"},
			state: "locked", door: "closed",
		},
		{
			name:  "exit button bounce shorter than the debounce does nothing",
			steps: []step{{set: "GPIO23 L"}, {wait: 40 * time.Millisecond}, {set: "GPIO23 H"}, {wait: time.Second}},
			state: "locked", door: "closed",
		},
		{
			name:  "contact bounce shorter than the debounce does nothing",
			steps: []step{{set: "GPIO22 H"}, {wait: 20 * time.Millisecond}, {set: "GPIO22 L"}, {wait: time.Second}},
			state: "locked", door: "closed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := started(t, baseConfig())
			r.play(tt.steps)
			n := len(r.j.events("front"))
			eq(t, "events", r.j.types("front"), tt.want)
			st := r.get("front")
			if st.State != tt.state || st.Attrs["door"] != tt.door {
				t.Errorf("state %q door %v, want %q door %q", st.State, st.Attrs["door"], tt.state, tt.door)
			}
			alarms, _ := st.Attrs["alarms"].([]string)
			eq(t, "alarms", alarms, tt.alarms)
			wantLvl := map[string]string{"locked": "L", "unlocked": "H"}[tt.state] // fail secure, active high
			if got := r.level("GPIO17"); got != wantLvl {
				t.Errorf("relay %s, want %s for %s", got, wantLvl, tt.state)
			}
			if tt.afterwait > 0 {
				r.wait(tt.afterwait)
				if m := len(r.j.events("front")); m != n {
					t.Errorf("%d more events after the scenario: %q", m-n, r.j.types("front")[n:])
				}
			}
			for _, e := range r.j.events("front") {
				if e.Class != ClassAudit {
					t.Errorf("event %s has class %q, want audit", e.Type, e.Class)
				}
			}
		})
	}
}

func TestLockRelocksExactlyAtRelockAfter(t *testing.T) {
	r := started(t, baseConfig())
	r.advance(time.Second)
	start := r.clk.Now()
	if st := r.do("front", "unlock", ""); st.State != "unlocked" {
		t.Fatalf("state after unlock %q", st.State)
	}
	r.advance(5*time.Second - time.Nanosecond)
	if st := r.get("front"); st.State != "unlocked" || r.level("GPIO17") != "H" {
		t.Fatalf("1 ns before relock_after: %q relay %s, want unlocked H", st.State, r.level("GPIO17"))
	}
	r.advance(time.Nanosecond)
	if st := r.get("front"); st.State != "locked" || r.level("GPIO17") != "L" {
		t.Fatalf("at relock_after: %q relay %s, want locked L", st.State, r.level("GPIO17"))
	}
	h := r.pin("GPIO17").History()
	if last := h[len(h)-1]; !last.At.Equal(start.Add(5*time.Second)) || last.Level != gpio.Low {
		t.Errorf("relock written at %v (%v), want %v Low", last.At, last.Level, start.Add(5*time.Second))
	}
}

func TestLockUnlockAgainRestartsThePulse(t *testing.T) {
	r := started(t, baseConfig())
	r.do("front", "unlock", "")
	r.advance(4 * time.Second)
	r.do("front", "unlock", "")
	r.advance(4 * time.Second) // 8 s after the first unlock
	if st := r.get("front"); st.State != "unlocked" {
		t.Fatalf("a second unlock did not restart the pulse: %q", st.State)
	}
	r.advance(time.Second)
	if st := r.get("front"); st.State != "locked" {
		t.Fatalf("not relocked 5 s after the second unlock: %q", st.State)
	}
	eq(t, "events", r.j.types("front"), []string{"unlocked(command)", "unlocked(command)", "locked(relock_after)"})
}

func TestLockFailModeLevels(t *testing.T) {
	tests := []struct {
		fail, active     string
		locked, unlocked gpio.Level
	}{
		{"secure", "high", gpio.Low, gpio.High},
		{"secure", "low", gpio.High, gpio.Low},
		{"safe", "high", gpio.High, gpio.Low},
		{"safe", "low", gpio.Low, gpio.High},
	}
	for _, tt := range tests {
		t.Run(tt.fail+"/"+tt.active, func(t *testing.T) {
			active := map[string]gpio.Level{"high": gpio.High, "low": gpio.Low}[tt.active]
			r := newRig(t, Config{Locks: []LockOpts{with(DefaultLockOpts, func(o *LockOpts) {
				o.ID, o.Relay, o.Fail, o.Active = "door", "GPIO17", tt.fail, active
			})}})
			p := r.pin("GPIO17")
			if !p.IsOutput() || p.Read() != tt.locked {
				t.Fatalf("after New: output %v level %v, want output %v", p.IsOutput(), p.Read(), tt.locked)
			}
			r.h.Start(r.j, nil)
			r.do("door", "unlock", "")
			if p.Read() != tt.unlocked {
				t.Fatalf("unlocked level %v, want %v", p.Read(), tt.unlocked)
			}
			r.advance(5 * time.Second)
			if p.Read() != tt.locked {
				t.Fatalf("relocked level %v, want %v", p.Read(), tt.locked)
			}
			if st := r.get("door"); st.Attrs["fail"] != tt.fail {
				t.Errorf("fail attr %v", st.Attrs["fail"])
			}
		})
	}
}

func TestLockDoorOpenAtStartRaisesLeftOpenButNotForced(t *testing.T) {
	r := newRig(t, baseConfig())
	r.pin("GPIO22").Set(gpio.High) // open
	r.h.Start(r.j, nil)
	if st := r.get("front"); st.Attrs["door"] != "open" {
		t.Fatalf("door %v, want open", st.Attrs["door"])
	}
	r.advance(60 * time.Second)
	eq(t, "events", r.j.types("front"), []string{"door_left_open"})
}
