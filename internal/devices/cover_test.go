package devices

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
)

func coverConfig() Config {
	return Config{Covers: []CoverOpts{with(DefaultCoverOpts, func(o *CoverOpts) {
		o.ID, o.Up, o.Down, o.Travel, o.ReverseDelay = "blind", "GPIO20", "GPIO21", 20*time.Second, 500*time.Millisecond
	})}}
}

func coverPos(st State) int64 { return st.Attrs["position"].(int64) }

func TestCoverTravelStopsByItself(t *testing.T) {
	r := started(t, coverConfig())
	if st := r.do("blind", "open", ""); st.State != "opening" {
		t.Fatalf("state %q, want opening", st.State)
	}
	// Right after New both relays count as just switched off.
	if r.level("GPIO20") != "L" {
		t.Fatal("up relay on before the reverse delay after New")
	}
	r.advance(500 * time.Millisecond)
	if r.level("GPIO20") != "H" || r.level("GPIO21") != "L" {
		t.Fatal("up relay not on after the reverse delay")
	}
	r.advance(10 * time.Second)
	if st := r.get("blind"); coverPos(st) != 50 || st.State != "opening" {
		t.Errorf("half way: %+v", st)
	}
	r.advance(10*time.Second - time.Nanosecond)
	if r.level("GPIO20") != "H" {
		t.Fatal("stopped before the travel time")
	}
	r.advance(time.Nanosecond)
	st := r.get("blind")
	if r.level("GPIO20") != "L" || st.State != "open" || coverPos(st) != 100 {
		t.Fatalf("after the travel time: up %s %+v", r.level("GPIO20"), st)
	}
	eq(t, "events", r.j.types("blind"), []string{"cover_moving(open)", "cover_stopped(100)"})
}

func TestCoverMoves(t *testing.T) {
	tests := []struct {
		name   string
		from   string // saved position
		steps  []step
		pos    int64
		state  string
		events []string
	}{
		{
			name:  "stop at once",
			from:  "0",
			steps: []step{{do: "blind open"}, {wait: 5 * time.Second}, {do: "blind stop"}, {wait: time.Minute}},
			pos:   25, state: "stopped",
			events: []string{"cover_moving(open)", "cover_stopped(25)"},
		},
		{
			name:  "set-position opens part way",
			from:  "0",
			steps: []step{{do: "blind set-position 40"}, {wait: time.Minute}},
			pos:   40, state: "stopped",
			events: []string{"cover_moving(open)", "cover_stopped(40)"},
		},
		{
			name:  "set-position closes part way",
			from:  "80",
			steps: []step{{do: "blind set-position 30"}, {wait: time.Minute}},
			pos:   30, state: "stopped",
			events: []string{"cover_moving(close)", "cover_stopped(30)"},
		},
		{
			name:  "reverse waits, then travels back",
			from:  "0",
			steps: []step{{do: "blind open"}, {wait: 5 * time.Second}, {do: "blind close"}, {wait: time.Minute}},
			pos:   0, state: "closed",
			events: []string{"cover_moving(open)", "cover_moving(close)", "cover_stopped(0)"},
		},
		{
			name:  "close when closed does nothing",
			from:  "0",
			steps: []step{{do: "blind close"}, {wait: time.Minute}},
			pos:   0, state: "closed",
		},
		{
			name:  "open again while opening keeps going",
			from:  "0",
			steps: []step{{do: "blind open"}, {wait: 5 * time.Second}, {do: "blind open"}, {wait: time.Minute}},
			pos:   100, state: "open",
			events: []string{"cover_moving(open)", "cover_stopped(100)"},
		},
		{
			name:  "stop during the reverse delay",
			from:  "50",
			steps: []step{{do: "blind open"}, {wait: time.Second}, {do: "blind close"}, {wait: 100 * time.Millisecond}, {do: "blind stop"}, {wait: time.Minute}},
			pos:   55, state: "stopped",
			events: []string{"cover_moving(open)", "cover_moving(close)", "cover_stopped(55)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, coverConfig())
			r.h.Start(r.j, map[string][]byte{"blind": encode(coverSaved{Position: ptr(parseF(t, tt.from))})})
			r.advance(time.Second) // past the reverse delay after New
			r.play(tt.steps)
			st := r.get("blind")
			if coverPos(st) != tt.pos || st.State != tt.state {
				t.Errorf("position %d state %q, want %d %q", coverPos(st), st.State, tt.pos, tt.state)
			}
			eq(t, "events", r.j.types("blind"), tt.events)
			if r.level("GPIO20") != "L" || r.level("GPIO21") != "L" {
				t.Error("a relay is still on")
			}
			checkInterlock(t, r, 500*time.Millisecond)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func parseF(t *testing.T, s string) float64 {
	v, err := parseNumber(s, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkInterlock replays the up and down relay histories in write order and
// fails if both were ever energised (active high), or if one went on less
// than reverse after the other went off.
func checkInterlock(t *testing.T, r *rig, reverse time.Duration) {
	t.Helper()
	type ch struct {
		Change
		relay int
	}
	var all []ch
	for i, name := range []string{"GPIO20", "GPIO21"} {
		for _, c := range r.pin(name).History() {
			all = append(all, ch{c, i})
		}
	}
	slices.SortFunc(all, func(a, b ch) int { return int(a.Seq) - int(b.Seq) })
	var on [2]bool
	var offAt [2]time.Time
	ons := 0
	for _, c := range all {
		other := 1 - c.relay
		if c.Level == gpio.High {
			ons++
			if on[other] {
				t.Fatalf("both relays energised at %v (seq %d)", c.At, c.Seq)
			}
			if !offAt[other].IsZero() && c.At.Sub(offAt[other]) < reverse {
				t.Fatalf("relay %d on %v after the other went off, want at least %v", c.relay, c.At.Sub(offAt[other]), reverse)
			}
		} else if on[c.relay] || offAt[c.relay].IsZero() {
			offAt[c.relay] = c.At
		}
		on[c.relay] = c.Level == gpio.High
	}
	if ons == 0 {
		t.Log("no relay was energised")
	}
}

func TestCoverInterlockUnderConcurrentCommands(t *testing.T) {
	r := started(t, coverConfig())
	actions := []string{"open", "close", "stop", "open", "close"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 1))
			for range 300 {
				if _, err := r.h.Do("blind", actions[rnd.IntN(len(actions))], ""); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var adv sync.WaitGroup
	adv.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				r.advance(37 * time.Millisecond)
			}
		}
	})
	wg.Wait()
	close(stop)
	adv.Wait()
	r.do("blind", "open", "")
	r.advance(time.Minute)
	ups := len(r.pin("GPIO20").History())
	if ups < 3 {
		t.Fatalf("only %d up relay changes: the test did not exercise the interlock", ups)
	}
	t.Logf("%d up and %d down relay changes", ups, len(r.pin("GPIO21").History()))
	checkInterlock(t, r, 500*time.Millisecond)
	if st := r.get("blind"); st.State != "open" || r.level("GPIO20") != "L" || r.level("GPIO21") != "L" {
		t.Errorf("after the storm and a full open: %+v up %s down %s", st, r.level("GPIO20"), r.level("GPIO21"))
	}
}
