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
)

// with returns def changed by f: test configs start from the defaults, as
// a config loader does.
func with[T any](def T, f func(*T)) T {
	f(&def)
	return def
}

// baseConfig has one device of each kind, and one input of each type.
func baseConfig() Config {
	return Config{
		Locks: []LockOpts{with(DefaultLockOpts, func(o *LockOpts) {
			o.ID, o.Relay, o.Fail = "front", "GPIO17", FailSecure
			o.RelockAfter = 5 * time.Second
			o.Contact, o.ExitButton = "GPIO22", "GPIO23"
			o.LeftOpenAfter, o.Debounce = 60*time.Second, 50*time.Millisecond
		})},
		Switches: []SwitchOpts{
			with(DefaultSwitchOpts, func(o *SwitchOpts) { o.ID, o.Relay = "hall", "GPIO5" }),
			with(DefaultSwitchOpts, func(o *SwitchOpts) { o.ID, o.Relay, o.Restore = "immobiliser", "GPIO6", false }),
		},
		Boilers: []BoilerOpts{with(DefaultBoilerOpts, func(o *BoilerOpts) {
			o.ID, o.Relay, o.Sensor = "heat", "GPIO12", "28-00000a1b2c3d"
			o.Setpoint, o.Hysteresis, o.Frost = 20, 1, 5
			o.MinCycle, o.MaxRun, o.Poll, o.StaleAfter = 3*time.Minute, time.Hour, 10*time.Second, 60*time.Second
		})},
		Covers: []CoverOpts{with(DefaultCoverOpts, func(o *CoverOpts) {
			o.ID, o.Up, o.Down, o.Travel, o.ReverseDelay = "blind", "GPIO20", "GPIO21", 20*time.Second, 500*time.Millisecond
		})},
		Inputs: []InputOpts{
			with(DefaultInputOpts, func(o *InputOpts) { o.ID, o.Pin, o.Type = "bell", "GPIO24", Button }),
			with(DefaultInputOpts, func(o *InputOpts) { o.ID, o.Pin, o.Type = "window", "GPIO25", Contact }),
			with(DefaultInputOpts, func(o *InputOpts) {
				o.ID, o.Pin, o.Type, o.Active, o.Pull = "pir", "GPIO26", Motion, gpio.High, gpio.PullDown
			}),
		},
	}
}

var t0 = time.Date(2025, 1, 6, 7, 0, 0, 0, time.UTC)

// memJournal is an in-memory Journal that can be told to fail.
type memJournal struct {
	mu   sync.Mutex
	recs []record
	fail error
	seen chan struct{} // if set, signalled on each Record
	// hub, once set, is waited for before each read: its flusher may still
	// be writing records queued by input changes, which nothing else waits
	// for (a bare flush returns at once while the flusher is writing).
	hub *Hub
}

func (j *memJournal) settle() {
	if j.hub != nil {
		// A journal that does not answer in a minute leaves the read short,
		// and the test's assertion says what is missing.
		_ = j.hub.journal.wait("", 0, time.Minute)
	}
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
	j.settle()
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

// all returns every recorded event, in order.
func (j *memJournal) all() []Event {
	j.settle()
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Event
	for _, r := range j.recs {
		out = append(out, r.events...)
	}
	return out
}

func (j *memJournal) count() int {
	j.settle()
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.recs)
}

// saved returns the last state recorded for each device.
func (j *memJournal) saved() map[string][]byte {
	j.settle()
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

// newRig builds a Hub (not started) on cfg. Door contacts start closed.
func newRig(t testing.TB, cfg Config) *rig {
	t.Helper()
	r := &rig{t: t, clk: clocktest.New(t0), j: &memJournal{}}
	r.sim = NewSim(r.clk)
	for _, l := range cfg.Locks {
		if l.Contact != "" {
			// Closed door: the inactive level.
			r.pin(l.Contact).Set(!l.ContactActive)
		}
	}
	opts := r.sim.Options()
	opts.Clock = r.clk
	h, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	r.j.hub = h
	return r
}

// started is newRig then Start with nothing saved.
func started(t testing.TB, cfg Config) *rig {
	r := newRig(t, cfg)
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

// hwThermometer is a sensor that is not simulated.
type hwThermometer struct{ c float64 }

func (h hwThermometer) Temperature() (float64, error) { return h.c, nil }

var errDisk = errors.New("disk I/O error")

func mathNaN() float64 { return math.NaN() }
