package devices

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/liveness"
)

// gate stalls whoever passes it while held, as a pin read stuck in the
// kernel or a 1-Wire read stuck in the driver would.
type gate struct {
	mu      sync.Mutex
	stop    chan struct{} // non-nil while held
	entered chan struct{} // a caller is stalled
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 1)} }

func (g *gate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stop = make(chan struct{})
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stop != nil {
		close(g.stop)
		g.stop = nil
	}
}

func (g *gate) pass() {
	g.mu.Lock()
	s := g.stop
	g.mu.Unlock()
	if s != nil {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		<-s
	}
}

type stallPin struct {
	gpio.PinIO
	g *gate
}

func (p stallPin) WaitForEdge(d time.Duration) bool { p.g.pass(); return p.PinIO.WaitForEdge(d) }

type stallTherm struct {
	Thermometer
	g *gate
}

func (t stallTherm) Temperature() (float64, error) { t.g.pass(); return t.Thermometer.Temperature() }

// waitCheck waits (waitUntil: real time, bounded) until want holds for
// reg.Check's answer.
func waitCheck(t *testing.T, reg *liveness.Registry, want func(error) bool, what string) {
	t.Helper()
	waitUntil(t, what, func() bool { return want(reg.Check()) })
}

// TestWatchdogStopsWhenALoopStalls stalls each of the Hub's required loops
// in turn (the input watcher in its pin wait, the boiler's poller in its
// sensor read) while every device still answers List: the liveness check,
// which gates the systemd watchdog's pings, fails naming that loop and only
// that loop, and passes again once the loop turns.
func TestWatchdogStopsWhenALoopStalls(t *testing.T) {
	clk := clocktest.New(t0)
	sim := NewSim(clk)
	reg := liveness.New(clk)
	pinGate, thermGate := newGate(), newGate()
	cfg := Config{
		Boilers: []BoilerOpts{with(DefaultBoilerOpts, func(o *BoilerOpts) {
			o.ID, o.Relay, o.Sensor, o.Poll = "heat", "GPIO12", "28-00000a1b2c3d", time.Second
		})},
		Inputs: []InputOpts{with(DefaultInputOpts, func(o *InputOpts) { o.ID, o.Pin, o.Type = "bell", "GPIO24", Button })},
	}
	h, err := New(cfg, Options{
		Clock: clk,
		Pin: func(name string) (gpio.PinIO, error) {
			p, err := sim.Pin(name)
			if name == "GPIO24" {
				return stallPin{p, pinGate}, err
			}
			return p, err
		},
		Thermometer: func(id string) (Thermometer, error) {
			th, err := sim.Thermometer(id)
			return stallTherm{th, thermGate}, err
		},
		Liveness: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Start(&memJournal{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()
	defer func() {
		pinGate.release()
		thermGate.release()
		cancel()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	}()
	healthy := func(err error) bool { return err == nil }
	waitCheck(t, reg, healthy, "before any stall")

	for _, tc := range []struct {
		g           *gate
		loop, other string
		bound       time.Duration
	}{
		{pinGate, "watcher input bell pin", "boiler heat", watchBound},
		{thermGate, "boiler heat sensor poller", "watcher ", time.Second + readBound},
	} {
		tc.g.hold()
		// Wait until the loop is stuck; the poller sleeps on the fake
		// clock between readings, so move time on until it reads.
		tick := time.NewTicker(time.Millisecond)
	stuck:
		for {
			select {
			case <-tc.g.entered:
				break stuck
			case <-tick.C:
				clk.Advance(time.Second)
			}
		}
		tick.Stop()
		if len(h.List()) != 2 {
			t.Fatal("List stopped answering")
		}
		clk.Advance(tc.bound + time.Millisecond)
		if err := reg.Check(); !errors.Is(err, liveness.ErrStalled) || !strings.Contains(err.Error(), tc.loop) {
			t.Fatalf("%s stalled past its bound: Check = %v, want ErrStalled naming it", tc.loop, err)
		}
		// The loop that still turns beats at the new time and drops out.
		waitCheck(t, reg, func(err error) bool {
			return err != nil && strings.Contains(err.Error(), tc.loop) && !strings.Contains(err.Error(), tc.other)
		}, tc.loop+" stalled, "+tc.other+" live")
		tc.g.release()
		waitCheck(t, reg, healthy, tc.loop+" released")
	}
}
