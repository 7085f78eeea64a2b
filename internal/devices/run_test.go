package devices

import (
	"context"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// TestRunRealClock runs the watcher goroutines on the real clock: an outside
// level change on an input becomes its event, and Run returns promptly after
// cancel, with outputs safe.
func TestRunRealClock(t *testing.T) {
	sim := NewSim(nil)
	cfg := Config{
		Locks: []LockOpts{with(DefaultLockOpts, func(o *LockOpts) { o.ID, o.Relay, o.Fail = "front", "GPIO17", FailSecure })},
		Boilers: []BoilerOpts{with(DefaultBoilerOpts, func(o *BoilerOpts) {
			o.ID, o.Relay, o.Sensor = "heat", "GPIO12", "28-00000a1b2c3d"
			o.Poll, o.StaleAfter, o.MinCycle = 20*time.Millisecond, time.Second, time.Millisecond
		})},
		Inputs: []InputOpts{with(DefaultInputOpts, func(o *InputOpts) {
			o.ID, o.Pin, o.Type, o.Debounce = "bell", "GPIO24", Button, 10*time.Millisecond
		})},
	}
	h, err := New(cfg, sim.Options())
	if err != nil {
		t.Fatal(err)
	}
	j := &memJournal{seen: make(chan struct{}, 1)}
	th, _ := sim.Thermometer("28-00000a1b2c3d")
	th.(*SimThermometer).Set(10)
	h.Start(j, nil)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()

	bell, _ := sim.Pin("GPIO24")
	bell.(*SimPin).Set(gpio.Low) // pressed
	relay, _ := sim.Pin("GPIO12")
	deadline := time.After(10 * time.Second)
	for len(j.events("bell")) == 0 || relay.Read() != gpio.High {
		select {
		case <-j.seen:
		case <-deadline:
			t.Fatalf("bell events %v, boiler relay %v: Run did not see the press or poll the sensor", j.types("bell"), relay.Read())
		}
	}
	eq(t, "bell", j.types("bell"), []string{"pressed"})
	// Unlocked while Run runs, so that the check below sees Run's shutdown
	// lock the door, not a door that was never opened.
	if _, err := h.Do("front", "unlock", ""); err != nil {
		t.Fatal(err)
	}
	if lock, _ := sim.Pin("GPIO17"); lock.Read() != gpio.High {
		t.Fatal("front did not unlock")
	}

	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if relay.Read() != gpio.Low {
		t.Error("boiler relay on after Run returned")
	}
	if lock, _ := sim.Pin("GPIO17"); lock.Read() != gpio.Low {
		t.Error("lock unlocked after Run returned")
	}
}

func TestRunBeforeStart(t *testing.T) {
	r := newRig(t, coverConfig())
	if err := r.h.Run(context.Background()); err == nil {
		t.Fatal("Run before Start returned nil")
	}
}
