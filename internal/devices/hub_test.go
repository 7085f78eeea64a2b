package devices

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
)

// mixedLevels has locks, switches, a boiler and covers with every
// combination of fail mode and active level.
func mixedLevels() Config {
	lock := func(id, relay, fail string, active gpio.Level) LockOpts {
		return with(DefaultLockOpts, func(o *LockOpts) { o.ID, o.Relay, o.Fail, o.Active = id, relay, fail, active })
	}
	a := lock("a", "GPIO2", FailSecure, gpio.High)
	a.Contact = "GPIO9"
	return Config{
		Locks: []LockOpts{a, lock("b", "GPIO3", FailSafe, gpio.High), lock("c", "GPIO4", FailSecure, gpio.Low)},
		Switches: []SwitchOpts{
			with(DefaultSwitchOpts, func(o *SwitchOpts) { o.ID, o.Relay = "s1", "GPIO5" }),
			with(DefaultSwitchOpts, func(o *SwitchOpts) { o.ID, o.Relay, o.Active = "s2", "GPIO6", gpio.Low }),
		},
		Boilers: []BoilerOpts{with(DefaultBoilerOpts, func(o *BoilerOpts) {
			o.ID, o.Relay, o.Active, o.Sensor = "b1", "GPIO12", gpio.Low, "28-00000a1b2c3d"
		})},
		Covers: []CoverOpts{
			with(DefaultCoverOpts, func(o *CoverOpts) { o.ID, o.Up, o.Down, o.Travel = "c1", "GPIO20", "GPIO21", 10*time.Second }),
			with(DefaultCoverOpts, func(o *CoverOpts) {
				o.ID, o.Up, o.Down, o.Active, o.Travel = "c2", "GPIO7", "GPIO8", gpio.Low, 10*time.Second
			}),
		},
		Inputs: []InputOpts{with(DefaultInputOpts, func(o *InputOpts) { o.ID, o.Pin, o.Type = "i1", "GPIO24", Button })},
	}
}

func TestNewDrivesEveryOutputSafeBeforeStart(t *testing.T) {
	r := newRig(t, mixedLevels())
	want := map[string]gpio.Level{
		"GPIO2":  gpio.Low,                     // fail secure, active high: locked = de-energised
		"GPIO3":  gpio.High,                    // fail safe: locked = energised
		"GPIO4":  gpio.High,                    // fail secure, active low
		"GPIO5":  gpio.Low,                     // switch off
		"GPIO6":  gpio.High,                    // switch off, active low
		"GPIO12": gpio.High,                    // boiler off, active low
		"GPIO20": gpio.Low, "GPIO21": gpio.Low, // cover stopped
		"GPIO7": gpio.High, "GPIO8": gpio.High, // cover stopped, active low
	}
	for name, lvl := range want {
		p := r.pin(name)
		if !p.IsOutput() || p.Read() != lvl || len(p.History()) != 1 {
			t.Errorf("%s: output %v level %v history %v, want one write of %v", name, p.IsOutput(), p.Read(), p.History(), lvl)
		}
	}
	for _, in := range []string{"GPIO9", "GPIO24"} {
		if r.pin(in).IsOutput() {
			t.Errorf("input %s driven as an output", in)
		}
	}
	var states []string
	for _, s := range r.h.List() {
		states = append(states, s.ID+"="+s.State)
	}
	eq(t, "states", states, []string{"a=locked", "b=locked", "c=locked", "s1=off", "s2=off", "b1=idle",
		"c1=closed", "c2=closed", "i1=released"})
}

func TestNewPinErrorNamesItAndStillDrivesTheOthersSafe(t *testing.T) {
	sim := NewSim(clocktest.New(t0))
	pins := func(name string) (gpio.PinIO, error) {
		switch name {
		case "GPIO5":
			return nil, errors.New("no such line")
		case "GPIO21":
			return nil, nil
		}
		return sim.Pin(name)
	}
	_, err := New(mixedLevels(), Options{Pin: pins, Thermometer: sim.Thermometer})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`switch "s1" relay: pin "GPIO5": no such line`, `cover "c1" down: pin "GPIO21"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	for _, name := range []string{"GPIO2", "GPIO3", "GPIO12", "GPIO20", "GPIO7", "GPIO8"} {
		p, _ := sim.Pin(name)
		if !p.(*SimPin).IsOutput() {
			t.Errorf("%s not driven safe after another pin failed", name)
		}
	}
	if p, _ := sim.Pin("GPIO3"); p.Read() != gpio.High {
		t.Error("fail-safe lock not driven locked (energised)")
	}
}

func TestNewWithoutPinResolver(t *testing.T) {
	_, err := New(coverConfig(), Options{})
	if err == nil || !strings.Contains(err.Error(), `cover "blind" up`) {
		t.Fatalf("err = %v", err)
	}
}

// hwRig is baseConfig with some pins and the sensor real hardware, and a
// lock without contact or exit button.
func hwRig(t *testing.T) *rig {
	r := &rig{t: t, clk: clocktest.New(t0), j: &memJournal{}}
	r.sim = NewSim(r.clk)
	r.pin("GPIO22").Set(gpio.Low)
	// The exit button and the window contact are real hardware: pins the
	// Sim given as Options.Sim never made.
	real := NewSim(r.clk)
	pins := func(name string) (gpio.PinIO, error) {
		if name == "GPIO23" || name == "GPIO25" {
			return real.Pin(name)
		}
		return r.sim.Pin(name)
	}
	cfg := baseConfig()
	cfg.Locks = append(cfg.Locks, with(DefaultLockOpts, func(o *LockOpts) { o.ID, o.Relay, o.Fail = "side", "GPIO16", FailSecure }))
	h, err := New(cfg, Options{Clock: r.clk, Pin: pins, Sim: r.sim,
		Thermometer: func(string) (Thermometer, error) { return hwThermometer{19}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	r.j.hub = h
	h.Start(r.j, nil)
	return r
}

func TestDoErrorsChangeNothing(t *testing.T) {
	tests := []struct {
		id, action, value string
		want              error
	}{
		{"nope", "on", "", ErrUnknownDevice},
		{"hall", "dim", "", ErrUnknownAction},
		{"hall", "on", "1", ErrBadValue},
		{"hall", "toggle", "x", ErrBadValue},
		{"front", "unlock", "now", ErrBadValue},
		{"front", "open", "", ErrUnknownAction},
		{"front", "press", "", ErrNotSimulated}, // the exit button is real
		{"front", "door-open", "1", ErrBadValue},
		{"side", "door-open", "", ErrUnknownAction}, // no contact
		{"side", "press", "", ErrUnknownAction},     // no exit button
		{"heat", "boost", "", ErrUnknownAction},
		{"heat", "on", "22", ErrBadValue},
		{"heat", "set-setpoint", "40", ErrBadValue},
		{"heat", "set-setpoint", "4.9", ErrBadValue},
		{"heat", "set-setpoint", "abc", ErrBadValue},
		{"heat", "set-setpoint", "NaN", ErrBadValue},
		{"heat", "set-setpoint", "", ErrBadValue},
		{"heat", "set-temperature", "21", ErrNotSimulated},
		{"heat", "set-temperature", "900", ErrBadValue},
		{"heat", "sensor-fail", "", ErrNotSimulated},
		{"blind", "open", "x", ErrBadValue},
		{"blind", "set-position", "101", ErrBadValue},
		{"blind", "set-position", "-1", ErrBadValue},
		{"blind", "set-position", "Inf", ErrBadValue},
		{"blind", "tilt", "", ErrUnknownAction},
		{"window", "open", "", ErrNotSimulated},
		{"bell", "open", "", ErrUnknownAction},
		{"pir", "motion", "yes", ErrBadValue},
		{"pir", "press", "", ErrUnknownAction},
	}
	r := hwRig(t)
	snapshot := func() (any, any, int, int) {
		r.j.settle()
		hist := map[string][]Change{}
		r.sim.mu.Lock()
		pins := slices.Collect(maps.Values(r.sim.pins))
		r.sim.mu.Unlock()
		for _, p := range pins {
			hist[p.name] = p.History()
		}
		r.j.mu.Lock()
		defer r.j.mu.Unlock()
		return r.h.List(), hist, len(r.j.recs), r.clk.Pending()
	}
	for _, tt := range tests {
		t.Run(tt.id+" "+tt.action+" "+tt.value, func(t *testing.T) {
			l0, h0, n0, p0 := snapshot()
			st, err := r.h.Do(tt.id, tt.action, tt.value)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), `"`+tt.id+`"`) || (tt.want != ErrUnknownDevice && !strings.Contains(err.Error(), tt.action)) ||
				(tt.want == ErrBadValue && !strings.Contains(err.Error(), `"`+tt.value+`"`)) {
				t.Errorf("error %q does not name the device and value", err)
			}
			if !reflect.DeepEqual(st, State{}) {
				t.Errorf("state returned with an error: %+v", st)
			}
			l1, h1, n1, p1 := snapshot()
			if !reflect.DeepEqual(l0, l1) || !reflect.DeepEqual(h0, h1) || n0 != n1 || p0 != p1 {
				t.Errorf("a failed Do changed something: states %v / %v, journal %d / %d, timers %d / %d", l0, l1, n0, n1, p0, p1)
			}
		})
	}
}

func TestRestore(t *testing.T) {
	on, off := true, false
	mode, sp, pos := "off", 18.0, 60.0
	saved := map[string][]byte{
		"hall":        encode(switchSaved{On: &on}),
		"immobiliser": encode(switchSaved{On: &on}), // restore = false
		"front":       encode(lockSaved{Locked: off}),
		"heat":        encode(boilerSaved{Mode: &mode, Setpoint: &sp}),
		"blind":       encode(coverSaved{Position: &pos}),
		"ghost":       encode(switchSaved{On: &on}),
	}
	logs := &countHandler{}
	r := &rig{t: t, clk: clocktest.New(t0), j: &memJournal{}}
	r.sim = NewSim(r.clk)
	r.pin("GPIO22").Set(gpio.Low)
	h, err := New(baseConfig(), Options{Clock: r.clk, Pin: r.sim.Pin, Thermometer: r.sim.Thermometer, Log: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	r.j.hub = h
	h.Start(r.j, saved)

	got := map[string]string{}
	for _, s := range h.List() {
		got[s.ID] = s.State
	}
	want := map[string]string{"front": "locked", "hall": "on", "immobiliser": "off", "heat": "off",
		"blind": "stopped", "bell": "released", "window": "closed", "pir": "clear"}
	if !maps.Equal(got, want) {
		t.Errorf("states %v\nwant %v", got, want)
	}
	levels := map[string]string{"GPIO17": "L", "GPIO5": "H", "GPIO6": "L", "GPIO12": "L", "GPIO20": "L", "GPIO21": "L"}
	for p, l := range levels {
		if r.level(p) != l {
			t.Errorf("%s is %s, want %s", p, r.level(p), l)
		}
	}
	if st := r.get("heat"); st.Attrs["mode"] != "off" || st.Attrs["setpoint"] != 18.0 {
		t.Errorf("boiler %+v", st)
	}
	if st := r.get("blind"); coverPos(st) != 60 {
		t.Errorf("cover %+v", st)
	}
	if logs.count("devices: ignoring saved state of a device not in the config") != 1 {
		t.Error("unknown saved entry not logged")
	}
	if n := r.j.count(); n != 0 {
		t.Errorf("restoring recorded %d entries; it changes nothing persisted", n)
	}
}

func TestRestoreIgnoresBadRecords(t *testing.T) {
	nan, big := mathNaN(), 101.0
	bad, heat := "boost", "heat"
	for name, saved := range map[string]map[string][]byte{
		"garbage":      {"hall": []byte{0xff, 0x00}, "heat": []byte("{"), "blind": nil},
		"wrong shape":  {"hall": encode(coverSaved{}), "heat": encode(switchSaved{}), "blind": encode(boilerSaved{})},
		"out of range": {"heat": encode(boilerSaved{Mode: &bad, Setpoint: &big}), "blind": encode(coverSaved{Position: &big})},
		"nan":          {"heat": encode(boilerSaved{Mode: &heat, Setpoint: &nan}), "blind": encode(coverSaved{Position: &nan})},
	} {
		t.Run(name, func(t *testing.T) {
			logs := &countHandler{}
			sim := NewSim(clocktest.New(t0))
			h, err := New(baseConfig(), Options{Clock: clocktest.New(t0), Pin: sim.Pin, Thermometer: sim.Thermometer, Log: slog.New(logs)})
			if err != nil {
				t.Fatal(err)
			}
			h.Start(&memJournal{}, saved)
			if n := logs.count("devices: ignoring undecodable saved state"); n != len(saved) {
				t.Errorf("%d log lines for %d bad records", n, len(saved))
			}
			for _, s := range h.List() {
				switch s.ID {
				case "hall":
					if s.State != "off" {
						t.Errorf("hall %s", s.State)
					}
				case "heat":
					if s.Attrs["mode"] != "heat" || s.Attrs["setpoint"] != 20.0 {
						t.Errorf("heat %v", s.Attrs)
					}
				case "blind":
					if coverPos(s) != 0 {
						t.Errorf("blind %v", s.Attrs)
					}
				}
			}
		})
	}
}

func TestRecordedStateRoundTrips(t *testing.T) {
	r := started(t, baseConfig())
	r.advance(time.Second)
	r.do("hall", "on", "")
	r.do("heat", "off", "")
	r.do("heat", "set-setpoint", "18.5")
	r.do("blind", "set-position", "40")
	r.advance(time.Minute)

	r2 := newRig(t, baseConfig())
	r2.h.Start(r2.j, r.j.saved())
	for _, id := range []string{"hall", "heat", "blind"} {
		a, b := r.get(id), r2.get(id)
		if id == "heat" { // only mode and setpoint are persisted
			a.State, b.State = "", ""
			a.Attrs = map[string]any{"mode": a.Attrs["mode"], "setpoint": a.Attrs["setpoint"]}
			b.Attrs = map[string]any{"mode": b.Attrs["mode"], "setpoint": b.Attrs["setpoint"]}
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: before restart %+v, after %+v", id, a, b)
		}
	}
}

func TestJournalGetsStateAfterThePinWrite(t *testing.T) {
	r := newRig(t, baseConfig())
	var seen []string
	j := journalFunc(func(dev string, state []byte, evs []Event) error {
		if dev == "hall" {
			seen = append(seen, evs[0].Type+"/"+r.level("GPIO5"))
		}
		return nil
	})
	r.h.Start(j, nil)
	r.do("hall", "on", "")
	r.do("hall", "toggle", "")
	eq(t, "records", seen, []string{"switched_on/H", "switched_off/L"})
}

type journalFunc func(string, []byte, []Event) error

func (f journalFunc) Record(d string, s []byte, e []Event) error { return f(d, s, e) }

func TestJournalFailureKeepsControlWorking(t *testing.T) {
	logs := &countHandler{}
	r := &rig{t: t, clk: clocktest.New(t0), j: &memJournal{}}
	r.sim = NewSim(r.clk)
	r.pin("GPIO22").Set(gpio.Low)
	cfg := Config{
		Locks:    []LockOpts{with(DefaultLockOpts, func(o *LockOpts) { o.ID, o.Relay, o.Fail = "front", "GPIO17", FailSecure })},
		Switches: []SwitchOpts{with(DefaultSwitchOpts, func(o *SwitchOpts) { o.ID, o.Relay = "hall", "GPIO5" })},
	}
	h, err := New(cfg, Options{Clock: r.clk, Pin: r.sim.Pin, Log: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	r.j.hub = h
	h.Start(r.j, nil)
	r.j.setFail(errDisk)
	const msg = "devices: journal record failed; the device keeps working"

	for i := range 5 {
		st := r.doUnrecorded("hall", "toggle", "")
		want := []string{"on", "off"}[i%2]
		if st.State != want || r.level("GPIO5") != map[string]string{"on": "H", "off": "L"}[want] {
			t.Fatalf("toggle %d: state %q pin %s", i, st.State, r.level("GPIO5"))
		}
	}
	if err := h.JournalError(); !errors.Is(err, errDisk) || !strings.Contains(err.Error(), `"hall"`) {
		t.Errorf("JournalError() = %v", err)
	}
	if n := logs.count(msg); n != 1 {
		t.Errorf("%d log lines for 5 failures within a minute, want 1", n)
	}
	r.doUnrecorded("front", "unlock", "")
	r.advance(5 * time.Second)
	if r.get("front").State != "locked" || r.level("GPIO17") != "L" {
		t.Error("relock did not happen while the journal failed")
	}
	if n := logs.count(msg); n != 2 {
		t.Errorf("%d log lines after a second device failed, want 2 (one per device)", n)
	}
	r.advance(time.Minute)
	r.doUnrecorded("hall", "toggle", "")
	if n := logs.count(msg); n != 3 {
		t.Errorf("%d log lines a minute later, want 3", n)
	}

	r.j.setFail(nil)
	r.do("hall", "toggle", "")
	if err := h.JournalError(); err == nil || strings.Contains(err.Error(), `"hall"`) || !strings.Contains(err.Error(), `"front"`) {
		t.Errorf("after hall recovered: JournalError() = %v", err)
	}
	r.do("front", "unlock", "")
	if err := h.JournalError(); err != nil {
		t.Errorf("after every device recovered: JournalError() = %v", err)
	}
}

func TestStuckJournalDoesNotHoldUpControl(t *testing.T) {
	r := newRig(t, baseConfig())
	release := make(chan struct{})
	inRecord := make(chan struct{}, 1)
	var got []string              // written by the journal's flusher only
	recorded := make(chan int, 8) // len(got) after each record
	j := journalFunc(func(dev string, _ []byte, evs []Event) error {
		select {
		case inRecord <- struct{}{}:
			<-release // the first record hangs, like a dying SD card
		default:
		}
		for _, e := range evs {
			got = append(got, dev+":"+e.Type)
		}
		recorded <- len(got)
		return nil
	})
	r.h.Start(j, nil)
	// Do answers once its record is durable, so each action runs in its
	// own goroutine: the pins must move at once all the same.
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	act := func(id, action string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.h.Do(id, action, "")
			errs <- err
		}()
	}
	act("hall", "on") // becomes the flusher and hangs in Record
	<-inRecord
	waitUntil(t, "hall on", func() bool { return r.level("GPIO5") == "H" })
	act("hall", "off")
	waitUntil(t, "hall off", func() bool { return r.level("GPIO5") == "L" })
	act("front", "unlock")
	waitUntil(t, "front unlocked", func() bool { return r.level("GPIO17") == "H" })
	r.advance(5 * time.Second)
	if r.level("GPIO17") != "L" {
		t.Error("relock did not happen while the journal was stuck")
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Do after the journal came back: %v", err)
		}
	}
	// The relock's record is the hub's own: no Do waits for it, so wait
	// for the flusher to have written four.
	want := []string{"hall:switched_on", "hall:switched_off", "front:unlocked", "front:locked"}
	for n := 0; n < len(want); {
		select {
		case n = <-recorded:
		case <-time.After(10 * time.Second):
			t.Fatalf("the journal recorded %d of %d records within 10 s", n, len(want))
		}
	}
	eq(t, "records in order", got, want)
}

// An action whose record never becomes durable is answered, within the
// bound, with ErrNotRecorded; its pin moved all the same.
func TestDoReportsAStuckJournal(t *testing.T) {
	if testing.Short() {
		t.Skip("waits the 3 s record bound")
	}
	r := newRig(t, baseConfig())
	release := make(chan struct{})
	defer close(release)
	r.h.Start(journalFunc(func(string, []byte, []Event) error { <-release; return nil }), nil)
	st, err := r.h.Do("hall", "on", "")
	if !errors.Is(err, ErrNotRecorded) || st.State != "on" || r.level("GPIO5") != "H" {
		t.Fatalf("Do = %+v, %v; pin %s", st, err, r.level("GPIO5"))
	}
}

// waitUntil polls cond (real goroutines are involved) for at most 5 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestShutdown(t *testing.T) {
	r := started(t, baseConfig())
	r.therm(sensor).Set(10)
	r.advance(3 * time.Minute)
	r.read("heat")
	r.do("hall", "on", "")
	r.do("front", "unlock", "")
	r.do("blind", "close", "")
	r.do("blind", "open", "") // waiting out the reverse delay: must never start
	r.advance(200 * time.Millisecond)
	if r.relay() != "on" || r.level("GPIO17") != "H" || r.level("GPIO5") != "H" {
		t.Fatal("setup")
	}
	r.h.Shutdown()
	r.h.Shutdown()
	levels := map[string]string{"GPIO12": "L", "GPIO17": "L", "GPIO5": "H", "GPIO20": "L", "GPIO21": "L"}
	check := func(when string) {
		for p, l := range levels {
			if r.level(p) != l {
				t.Errorf("%s: %s is %s, want %s", when, p, r.level(p), l)
			}
		}
	}
	check("after Shutdown")
	if ev := r.j.types("heat"); ev[len(ev)-1] != "boiler_off(shutdown)" {
		t.Errorf("heat events %v", ev)
	}
	eq(t, "front", r.j.types("front"), []string{"unlocked(command)", "locked(shutdown)"})
	if st := r.get("blind"); st.State != "stopped" && st.State != "closed" {
		t.Errorf("blind %s", st.State)
	}
	for _, a := range [][2]string{{"hall", "off"}, {"heat", "on"}, {"front", "unlock"}, {"blind", "open"}, {"bell", "press"}} {
		if _, err := r.h.Do(a[0], a[1], ""); !errors.Is(err, ErrShutdown) {
			t.Errorf("Do(%s, %s) after Shutdown: %v", a[0], a[1], err)
		}
	}
	r.read("heat") // a reading that was in flight
	r.advance(time.Hour)
	check("an hour later")
}

func BenchmarkDo(b *testing.B) {
	r := newRig(b, baseConfig())
	r.h.Start(journalFunc(func(string, []byte, []Event) error { return nil }), nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.h.Do("hall", "toggle", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// A journal that cannot keep up pushes back on actions instead of losing
// records: past maxPending an action is refused with ErrJournalBehind and
// its pin does not move, while actions towards the safe state still run;
// past maxHeld only records without audit events are shed, and every audit
// event reaches the journal once the disk is back.
func TestStuckJournalRefusesActionsAndKeepsAudit(t *testing.T) {
	r := newRig(t, baseConfig())
	release := make(chan struct{})
	inRecord := make(chan struct{}, 1)
	var mu sync.Mutex
	audits := map[string]bool{}
	r.h.Start(journalFunc(func(dev string, _ []byte, evs []Event) error {
		select {
		case inRecord <- struct{}{}:
			<-release // the first record hangs, like a dying SD card
		default:
		}
		mu.Lock()
		defer mu.Unlock()
		for _, e := range evs {
			if e.Class == ClassAudit {
				audits[e.Type] = true
			}
		}
		return nil
	}), nil)
	unlocked := make(chan error, 1)
	go func() { _, err := r.h.Do("front", "unlock", ""); unlocked <- err }() // hangs in Record
	<-inRecord
	// The hub's own records (inputs, relocks, alarms) fill the backlog; a
	// third of them carry an audit event each, all different.
	q := &r.h.journal
	for i := range maxHeld + 100 {
		class := ClassState
		if i%3 == 0 {
			class = ClassAudit
		}
		q.note("window", nil, []Event{{Class: class, Device: "window", Type: fmt.Sprintf("ev%d", i)}})
	}
	if q.ticket() != maxHeld+101 {
		t.Fatalf("queued %d", q.ticket())
	}

	hall := r.level("GPIO5")
	for _, a := range [][2]string{{"hall", "on"}, {"front", "unlock"}, {"heat", "on"}, {"blind", "open"}} {
		if _, err := r.h.Do(a[0], a[1], ""); !errors.Is(err, ErrJournalBehind) {
			t.Errorf("Do(%s, %s) with a full journal = %v, want ErrJournalBehind", a[0], a[1], err)
		}
	}
	if r.level("GPIO5") != hall || r.level("GPIO20") != "L" {
		t.Fatalf("a refused action moved a pin: hall %s, blind up %s", r.level("GPIO5"), r.level("GPIO20"))
	}
	// Towards safe is never refused: the door locks at once.
	locked := make(chan error, 1)
	go func() { _, err := r.h.Do("front", "lock", ""); locked <- err }()
	waitUntil(t, "front locked", func() bool { return r.level("GPIO17") == "L" })

	close(release)
	for _, ch := range []chan error{unlocked, locked} {
		if err := <-ch; err != nil {
			t.Errorf("Do after the journal came back: %v", err)
		}
	}
	waitUntil(t, "backlog written", func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.pending) == 0 })
	mu.Lock()
	for i := 0; i < maxHeld+100; i += 3 {
		if !audits[fmt.Sprintf("ev%d", i)] {
			t.Errorf("audit event ev%d was dropped", i)
			break
		}
	}
	mu.Unlock()
	if err := r.h.JournalError(); err == nil || !strings.Contains(err.Error(), "actions refused") || !strings.Contains(err.Error(), "records without audit events dropped") {
		t.Errorf("JournalError = %v", err)
	}
	// Once caught up, actions run again.
	if _, err := r.h.Do("hall", "on", ""); err != nil || r.level("GPIO5") != "H" {
		t.Errorf("Do after catching up = %v, pin %s", err, r.level("GPIO5"))
	}
}
