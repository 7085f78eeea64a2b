package devices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/config"
)

// baseConfig has one device of each kind, and one input of each type.
const baseConfig = `
site = "home"

[[lock]]
id = "front"
relay = "GPIO17"
fail = "secure"
relock_after = "5s"
contact = "GPIO22"
exit_button = "GPIO23"
left_open_after = "60s"
debounce = "50ms"

[[switch]]
id = "hall"
relay = "GPIO5"

[[switch]]
id = "immobiliser"
relay = "GPIO6"
restore = false

[[boiler]]
id = "heat"
relay = "GPIO12"
sensor = "28-00000a1b2c3d"
setpoint = 20
hysteresis = 1
frost = 5
min_cycle = "3m"
max_run = "1h"
poll = "10s"
stale_after = "60s"

[[cover]]
id = "blind"
up = "GPIO20"
down = "GPIO21"
travel = "20s"
reverse_delay = "500ms"

[[input]]
id = "bell"
pin = "GPIO24"
type = "button"

[[input]]
id = "window"
pin = "GPIO25"
type = "contact"

[[input]]
id = "pir"
pin = "GPIO26"
type = "motion"
active = "high"
pull = "down"
`

var t0 = time.Date(2025, 1, 6, 7, 0, 0, 0, time.UTC)

// memJournal is an in-memory Journal that can be told to fail.
type memJournal struct {
	mu   sync.Mutex
	recs []record
	fail error
	seen chan struct{} // if set, signalled on each Record
}

func (j *memJournal) Record(device string, state []byte, events []Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.seen != nil {
		select {
		case j.seen <- struct{}{}:
		default:
		}
	}
	if j.fail != nil {
		return j.fail
	}
	j.recs = append(j.recs, record{device: device, state: slices.Clone(state), events: slices.Clone(events)})
	return nil
}

func (j *memJournal) setFail(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.fail = err
}

// events returns the events recorded for device, in order.
func (j *memJournal) events(device string) []Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Event
	for _, r := range j.recs {
		if r.device == device {
			out = append(out, r.events...)
		}
	}
	return out
}

// types lists the event types of device, with a data value in brackets for
// the keys that tell events apart (by, reason, alarm, direction, position).
func (j *memJournal) types(device string) []string {
	var out []string
	for _, e := range j.events(device) {
		s := e.Type
		for _, k := range []string{"by", "reason", "alarm", "direction", "position", "mode", "setpoint"} {
			if v, ok := e.Data[k]; ok {
				s += fmt.Sprintf("(%v)", v)
			}
		}
		out = append(out, s)
	}
	return out
}

// saved returns the last state recorded for each device.
func (j *memJournal) saved() map[string][]byte {
	j.mu.Lock()
	defer j.mu.Unlock()
	m := map[string][]byte{}
	for _, r := range j.recs {
		if r.state != nil {
			m[r.device] = r.state
		}
	}
	return m
}

// rig is a Hub on a fake clock and simulated hardware.
type rig struct {
	t   testing.TB
	clk *clocktest.Fake
	sim *Sim
	h   *Hub
	j   *memJournal
}

func parse(t testing.TB, toml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.toml", []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newRig builds a Hub (not started) on toml. Door contacts start closed.
func newRig(t testing.TB, toml string) *rig {
	t.Helper()
	r := &rig{t: t, clk: clocktest.New(t0), j: &memJournal{}}
	r.sim = NewSim(r.clk)
	cfg := parse(t, toml)
	for _, l := range cfg.Locks {
		if l.Contact != "" {
			// Closed door: the inactive level.
			r.pin(l.Contact).Set(!levelOf(l.ContactActive, gpio.High))
		}
	}
	h, err := New(cfg, Options{Clock: r.clk, Pin: r.sim.Pin, Thermometer: r.sim.Thermometer})
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	return r
}

// started is newRig then Start with nothing saved.
func started(t testing.TB, toml string) *rig {
	r := newRig(t, toml)
	r.h.Start(r.j, nil)
	return r
}

func (r *rig) pin(name string) *SimPin {
	p, err := r.sim.Pin(name)
	if err != nil {
		r.t.Fatal(err)
	}
	return p.(*SimPin)
}

func (r *rig) therm(id string) *SimThermometer {
	th, _ := r.sim.Thermometer(id)
	return th.(*SimThermometer)
}

// sample is one pass of the input watchers, without goroutines: each pin's
// pending edge is taken and its level fed to the debouncer.
func (r *rig) sample() {
	for _, w := range r.h.watches {
		w.step(0)
	}
}

// set drives an input pin from outside and lets the watchers see it.
func (r *rig) set(pin string, l gpio.Level) {
	r.pin(pin).Set(l)
	r.sample()
}

func (r *rig) advance(d time.Duration) { r.clk.Advance(d) }

func (r *rig) do(id, action, value string) State {
	r.t.Helper()
	st, err := r.h.Do(id, action, value)
	if err != nil {
		r.t.Fatalf("Do(%q, %q, %q): %v", id, action, value, err)
	}
	return st
}

// doUnrecorded runs an action that must be carried out although the journal
// cannot record it: the state moves, and Do says it is not durable.
func (r *rig) doUnrecorded(id, action, value string) State {
	r.t.Helper()
	st, err := r.h.Do(id, action, value)
	if !errors.Is(err, ErrNotRecorded) {
		r.t.Fatalf("Do(%q, %q, %q) = %v, want ErrNotRecorded", id, action, value, err)
	}
	return st
}

func (r *rig) get(id string) State {
	r.t.Helper()
	st, err := r.h.Get(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// level is a pin's current level as "H" or "L".
func (r *rig) level(pin string) string {
	if r.pin(pin).Read() == gpio.High {
		return "H"
	}
	return "L"
}

func (r *rig) boiler(id string) *boiler {
	return r.h.byID[id].(*boiler)
}

// read makes a boiler take one reading now, as its poller would.
func (r *rig) read(id string) { r.boiler(id).read() }

func eq[T comparable](t testing.TB, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// countHandler counts log records at Error level.
type countHandler struct {
	mu sync.Mutex
	n  map[string]int // message -> count
}

func (c *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (c *countHandler) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[r.Message]++
	return nil
}
func (c *countHandler) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *countHandler) WithGroup(string) slog.Handler      { return c }
func (c *countHandler) count(msg string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[msg]
}

// hwPin is a pin that is not a *SimPin: real hardware as far as the Hub can
// tell.
type hwPin struct{ *SimPin }

// hwThermometer is a sensor that is not simulated.
type hwThermometer struct{ c float64 }

func (h hwThermometer) Temperature() (float64, error) { return h.c, nil }

var errDisk = errors.New("disk I/O error")

func mathNaN() float64 { return math.NaN() }
