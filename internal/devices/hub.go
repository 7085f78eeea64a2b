// Package devices owns the hub's device model — locks, switches, boilers,
// covers and inputs — with their safety rules, their options and defaults
// (Config, LockOpts ... with DefaultLockOpts ..., and what each accepts),
// the periph.io drivers that move real relays and read real sensors, and the
// simulated hardware (Sim) that tests and `edgeagent run --sim` use instead.
// It knows nothing of the config file: a loader maps its keys onto Config.
//
// Device code sees only gpio.PinIO and Thermometer. The simulated actions of
// Do (press, door-open, set-temperature ...) drive the hardware from outside,
// through Options.Sim, as a test drives periph's gpiotest pins; on real
// hardware Sim is nil and those actions fail with ErrNotSimulated.
//
// Safety comes first in every path: New drives every output to its safe level
// before it returns (locks locked, relays de-energised), Shutdown does it again,
// and every change is reported to the Journal only after the pin has moved, so
// that a slow or failing SD card never delays a relay.
package devices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/liveness"
	"github.com/edgeagent/edgeagent/internal/store"
)

// Event classes, which decide how the outbox may shed load: audit is never
// dropped, state keeps the latest per device, telemetry drops the oldest.
const (
	ClassAudit     = store.ClassAudit
	ClassState     = store.ClassState
	ClassTelemetry = store.ClassTelemetry
)

// Event is one thing that happened on a device, to be appended durably to
// the event log: the store's event, so that the store is the Journal as it
// is. Devices fill Class, Device, Type and Data; the store the rest.
type Event = store.Event

// Journal records a device's new persisted state and its events in one
// durable transaction. state is nil for a device that persists nothing (an
// input): then only the events are recorded. Record is called from several
// goroutines, but never twice at once for this Hub, and in the order the
// changes happened.
type Journal interface {
	Record(device string, state []byte, events []Event) error
}

// Thermometer reads a temperature in °C. It may block for about a second
// (a DS18B20 conversion takes 750 ms).
type Thermometer interface {
	Temperature() (float64, error)
}

// Options are the Hub's collaborators.
type Options struct {
	// Clock drives every timer (relock, debounce, travel, min cycle).
	// Default clock.Real{}.
	Clock clock.Clock
	// Log receives warnings and errors. Default: discard.
	Log *slog.Logger
	// Pin resolves a periph pin name: Host on a Pi, Sim.Pin otherwise.
	// Required when the config has devices.
	Pin func(name string) (gpio.PinIO, error)
	// Output resolves a relay pin and drives it to its safe level in one
	// step, so that it never shows another level (Host: a kernel GPIO chip
	// line requested with safe as its initial value). Default: Pin, then
	// Out(safe).
	Output func(name string, safe gpio.Level) (gpio.PinIO, error)
	// Thermometer opens a boiler's sensor by its 1-Wire id. Default: a
	// DS18B20 under Config.OneWireRoot.
	Thermometer func(sensorID string) (Thermometer, error)
	// Sim, when not nil, carries out the simulated actions of Do (Sim
	// with --sim and in tests). Nil on real hardware: those actions then
	// fail with ErrNotSimulated.
	Sim Simulator
	// NodePort opens a node's serial port. Default: nodelink.OpenSerial.
	NodePort func(path string, baud int) (SerialPort, error)
	// Liveness, when not nil, gets one required loop per input watcher and
	// per boiler sensor poller while Run runs, so that the watchdog stops
	// when one of them hangs (a pin read, a 1-Wire read).
	Liveness *liveness.Registry
}

// Simulator drives simulated inputs and sensors from outside, as a person at
// a door or a test at a gpiotest pin would; pins and sensors are named as in
// Config. Each method fails with an error wrapping ErrNotSimulated when the
// pin or sensor is not simulated hardware.
type Simulator interface {
	// SetInput drives the input pin name to l.
	SetInput(name string, l gpio.Level) error
	// Settle puts the input pin name at its inactive level unless something
	// already drove it: a simulated house starts with doors closed.
	Settle(name string, inactive gpio.Level)
	// SetTemperature makes the sensor read celsius from its next reading
	// on; FailSensor makes its readings fail with err (nil: work again).
	SetTemperature(sensor string, celsius float64) error
	FailSensor(sensor string, err error) error
}

// State is a device's state as shown to residents, scripts and the cloud.
type State struct {
	ID    string         `json:"id"`
	Kind  string         `json:"kind"` // lock, switch, boiler, cover, input
	Name  string         `json:"name,omitempty"`
	State string         `json:"state"`           // one word, e.g. locked, on, heating, opening, pressed
	Attrs map[string]any `json:"attrs,omitempty"` // e.g. door, temperature, setpoint, mode, position, alarms, fail
}

// device is what the Hub needs from every kind. Implementations take their
// own mutex in every method.
type device interface {
	state() State
	do(action, value string) (State, error)
	restore(saved []byte) error
	shutdown()
}

// Hub owns every device of one config and is safe for concurrent use.
type Hub struct {
	clk     clock.Clock
	log     *slog.Logger
	devs    []device // config order
	ids     []string // ids[i] is the id of devs[i]
	byID    map[string]device
	watches []*watch
	boilers []*boiler
	nodes   []*node
	journal journalQueue
	live    *liveness.Registry
	sim     Simulator                   // nil on real hardware
	car     *car                        // nil without a vehicle
	timed   atomic.Pointer[ActionTimer] // see ObserveActions

	mu      sync.Mutex // guards started and closed
	started bool
	closed  bool
}

// shutdownFlush bounds how long Shutdown waits for the journal: the outputs
// are already safe by then, and a stuck SD card must not hold up an exit.
const shutdownFlush = 300 * time.Millisecond

// watchBound is how long an input watcher may go without a turn before the
// watchdog counts it dead: it turns every edgeWait, so only a hang (a pin
// read stuck in the kernel) gets near it.
const watchBound = 10 * time.Second

// readBound is how long a boiler's poller may take beyond its poll interval
// before the watchdog counts it dead: a DS18B20 read takes about a second.
const readBound = 10 * time.Second

// recordWait bounds how long Do waits for its record before answering
// ErrNotRecorded: long enough for a slow SD card's fsync, short enough that
// a resident's app does not hang on a dead one.
const recordWait = 3 * time.Second

// New builds every device of cfg, resolves its pins and drives every output
// to its safe level before returning: locks locked, relays of switches,
// boilers and covers de-energised. It touches no store. Options New cannot
// use are an *OptError, returned before any pin is touched. If a pin or
// sensor cannot be resolved it still drives every pin it could resolve safe,
// then returns an error naming the device id, key and pin.
func New(cfg Config, opts Options) (*Hub, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Thermometer == nil {
		root := cfg.OneWireRoot
		if root == "" {
			root = DefaultOneWireRoot
		}
		opts.Thermometer = func(id string) (Thermometer, error) { return DS18B20{Root: root, ID: id}, nil }
	}
	h := &Hub{clk: opts.Clock, log: opts.Log, byID: map[string]device{}, live: opts.Liveness, sim: opts.Sim}
	h.journal.init(h)
	b := &builder{h: h, opts: opts}
	for _, c := range cfg.Locks {
		h.add(c.ID, newLock(b, c))
	}
	for _, c := range cfg.Switches {
		h.add(c.ID, newSwitch(b, c))
	}
	for _, c := range cfg.Boilers {
		bo := newBoiler(b, c)
		h.boilers = append(h.boilers, bo)
		h.add(c.ID, bo)
	}
	for _, c := range cfg.Covers {
		h.add(c.ID, newCover(b, c))
	}
	for _, c := range cfg.Inputs {
		h.add(c.ID, newInput(b, c))
	}
	if cfg.Vehicle != nil {
		h.addCar(newCar(b, *cfg.Vehicle))
	}
	for _, c := range cfg.Nodes {
		n := newNode(b, c)
		h.nodes = append(h.nodes, n)
		h.add(c.ID, n)
	}
	if err := errors.Join(b.errs...); err != nil {
		for _, n := range h.nodes {
			n.abandon()
		}
		return nil, err
	}
	return h, nil
}

func (h *Hub) add(id string, d device) {
	h.devs = append(h.devs, d)
	h.ids = append(h.ids, id)
	h.byID[id] = d
}

// Start restores persisted state (saved: device id -> bytes previously given
// to Journal.Record), configures the inputs and begins recording changes to
// j. A switch's on/off (only when its config Restore is true), a boiler's mode
// and setpoint and a cover's position (without moving it) are restored. Locks
// always stay locked. Unknown or undecodable entries are ignored with a log
// line: a corrupt record must not stop the house from working. Changes made
// before Start are not recorded.
func (h *Hub) Start(j Journal, saved map[string][]byte) {
	h.mu.Lock()
	if h.started || h.closed {
		h.mu.Unlock()
		h.log.Error("devices: Start called twice or after Shutdown; ignored")
		return
	}
	h.started = true
	h.mu.Unlock()

	for id, b := range saved {
		d, ok := h.byID[id]
		if !ok {
			h.log.Warn("devices: ignoring saved state of a device not in the config", "device", id)
			continue
		}
		if err := d.restore(b); err != nil {
			h.log.Warn("devices: ignoring undecodable saved state", "device", id, "err", err)
		}
	}
	h.journal.start(j)
	for _, w := range h.watches {
		w.start()
	}
	for _, b := range h.boilers {
		b.start()
	}
	if h.car != nil {
		h.car.start()
	}
}

// Run watches the inputs and polls the boiler sensors until ctx is done, then
// calls Shutdown and returns nil. Call Start first.
func (h *Hub) Run(ctx context.Context) error {
	h.mu.Lock()
	started := h.started
	h.mu.Unlock()
	if !started {
		return errors.New("devices: Run called before Start")
	}
	var wg sync.WaitGroup
	for _, w := range h.watches {
		l := h.live.Add("watcher "+w.name, watchBound, true)
		wg.Go(func() { w.run(ctx, l) })
	}
	for _, b := range h.boilers {
		l := h.live.Add("boiler "+b.id+" sensor poller", b.poll+readBound, true)
		wg.Go(func() { b.pollLoop(ctx, l) })
	}
	for _, n := range h.nodes {
		wg.Go(n.run) // ends when Shutdown has made the node safe
	}
	<-ctx.Done()
	h.Shutdown()
	// Watchers wake at least every edgeWait; a poller within one sensor
	// read (about a second), whose reading Shutdown has made a no-op.
	wg.Wait()
	return nil
}

// Shutdown turns boilers off, stops covers and locks locks; switches keep
// their state. It then waits a bounded time (shutdownFlush) for the journal.
// Afterwards the hub refuses actions with ErrShutdown. Calling it again does
// nothing.
func (h *Hub) Shutdown() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	for _, d := range h.devs {
		d.shutdown()
	}
	h.journal.stop()
	done := make(chan struct{})
	go func() {
		h.journal.flush()
		close(done)
	}()
	t := time.NewTimer(shutdownFlush) // real time: a bound on disk I/O, not device logic
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		h.log.Error("devices: journal still busy at shutdown; the last changes may not be recorded")
	}
}

// Do performs an action on a device and returns the device's state
// afterwards, once the change and its events are recorded by the Journal:
// an answered action is a durable one. An error wrapping ErrUnknownDevice,
// ErrUnknownAction, ErrBadValue, ErrNotSimulated or ErrShutdown means
// nothing was changed. ErrNotRecorded means the action was carried out (the
// returned state shows it) but its record failed or the journal is stuck:
// the pin never waits on the disk, the answer does, for a bounded time.
func (h *Hub) Do(id, action, value string) (State, error) {
	d, ok := h.byID[id]
	if !ok {
		return State{}, errUnknownDevice(id)
	}
	if !towardsSafe(d.state().Kind, action) {
		if err := h.journal.admit(id, action); err != nil {
			return d.state(), err
		}
	}
	since := h.journal.ticket()
	start := time.Now()
	st, err := d.do(action, value)
	if t := h.timed.Load(); t != nil && err == nil {
		(*t)(st.Kind, action, time.Since(start))
	}
	if err != nil {
		h.journal.flush()
		return st, err
	}
	return st, h.journal.wait(id, since, recordWait)
}

// towardsSafe reports the actions that only move a device to its safe
// state: back-pressure never refuses them (a slow disk must not keep a door
// unlocked or a boiler heating).
func towardsSafe(kind, action string) bool {
	switch kind + " " + action {
	case "lock lock", "boiler off", "cover stop",
		"door lock", "central-lock lock", "drive rearm", "charge-port lock":
		return true
	}
	return false
}

// Get returns one device's state.
func (h *Hub) Get(id string) (State, error) {
	d, ok := h.byID[id]
	if !ok {
		return State{}, errUnknownDevice(id)
	}
	return d.state(), nil
}

// List returns every device's state in config order: locks, switches,
// boilers, covers, inputs.
func (h *Hub) List() []State {
	out := make([]State, len(h.devs))
	for i, d := range h.devs {
		out[i] = d.state()
	}
	return out
}

// out drives a pin and logs a failure; callers moving towards an unsafe level
// use the error to refuse the action.
func (h *Hub) out(p gpio.PinIO, l gpio.Level) error {
	err := p.Out(l)
	if err != nil {
		h.log.Error("devices: cannot drive pin", "pin", p.Name(), "level", l, "err", err)
	}
	return err
}

// timer is a restartable one-shot clock timer owned by a device.
type timer struct {
	t   clock.Timer
	gen uint64
}

// arm (re)starts t to run f after d with mu held. f runs only if t was
// neither stopped nor re-armed in the meantime: Stop cannot recall a callback
// that has already fired and is waiting for mu. Journal records made by f are
// flushed once mu is released.
func (h *Hub) arm(t *timer, mu *sync.Mutex, d time.Duration, f func()) {
	t.stop()
	gen := t.gen
	t.t = h.clk.AfterFunc(d, func() {
		mu.Lock()
		live := t.gen == gen
		if live {
			t.t = nil
			f()
		}
		mu.Unlock()
		if live {
			h.journal.flush()
		}
	})
}

// stop cancels t; the caller holds the mutex given to arm.
func (t *timer) stop() {
	if t.t != nil {
		t.t.Stop()
		t.t = nil
	}
	t.gen++
}

// builder resolves pins and sensors for New, driving outputs safe at once
// and collecting every failure so that one bad pin does not hide another.
type builder struct {
	h    *Hub
	opts Options
	errs []error
}

func (b *builder) pin(kind, id, key, name string) gpio.PinIO {
	var p gpio.PinIO
	err := errors.New("no pin resolver (Options.Pin is nil)")
	if b.opts.Pin != nil {
		p, err = b.opts.Pin(name)
		if err == nil && p == nil {
			err = errors.New("no such pin")
		}
	}
	if err != nil {
		b.errs = append(b.errs, fmt.Errorf("devices: %s %q %s: pin %q: %w", kind, id, key, name, err))
		return nil
	}
	return p
}

// output resolves a relay pin and drives it to its safe level at once.
func (b *builder) output(kind, id, key, name string, safe gpio.Level) gpio.PinIO {
	if b.opts.Output == nil {
		p := b.pin(kind, id, key, name)
		if p == nil {
			return nil
		}
		if err := p.Out(safe); err != nil {
			b.errs = append(b.errs, fmt.Errorf("devices: %s %q %s: pin %q: driving it to its safe level: %w", kind, id, key, name, err))
		}
		return p
	}
	p, err := b.opts.Output(name, safe)
	if err != nil {
		b.errs = append(b.errs, fmt.Errorf("devices: %s %q %s: pin %q: driving it to its safe level: %w", kind, id, key, name, err))
	}
	return p
}

func (b *builder) thermometer(id, sensor string) Thermometer {
	t, err := b.opts.Thermometer(sensor)
	if err == nil && t == nil {
		err = errors.New("no such sensor")
	}
	if err != nil {
		b.errs = append(b.errs, fmt.Errorf("devices: boiler %q sensor %q: %w", id, sensor, err))
		return nil
	}
	return t
}

// simulate carries out a simulated action through the Simulator; what names
// the pin or sensor for the error on real hardware.
func (h *Hub) simulate(kind, id, action, what string, f func(Simulator) error) error {
	if h.sim == nil {
		return errNotSimulated(kind, id, action, what)
	}
	if err := f(h.sim); err != nil {
		return fmt.Errorf("devices: %s %q: %s: %w", kind, id, action, err)
	}
	return nil
}

// pressFor is how long a simulated press holds a button: long enough to
// pass its debounce.
func pressFor(debounce time.Duration) time.Duration {
	if debounce <= 0 {
		return 100 * time.Millisecond
	}
	return 2 * debounce
}

// press simulates a button held for pressFor(debounce) and released,
// through the Simulator, so that the normal debounced path produces the
// events.
func (h *Hub) press(kind, id, action, what, pin string, active gpio.Level, debounce time.Duration) error {
	err := h.simulate(kind, id, action, what, func(s Simulator) error { return s.SetInput(pin, active) })
	if err != nil {
		return err
	}
	h.clk.AfterFunc(pressFor(debounce), func() {
		if err := h.sim.SetInput(pin, !active); err != nil {
			h.log.Error("devices: simulated release failed", "pin", pin, "err", err)
		}
	})
	return nil
}

// newEvent builds an event; kv are key, value pairs for Data.
func newEvent(class store.Class, dev, typ string, kv ...any) Event {
	e := Event{Class: class, Device: dev, Type: typ}
	if len(kv) > 0 {
		e.Data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Data[kv[i].(string)] = kv[i+1]
		}
	}
	return e
}

// noValue rejects a value given to an action that takes none, so that a
// caller who meant something else is told rather than half obeyed.
func noValue(kind, id, action, value string) error {
	if value != "" {
		return errBadValue(kind, id, action, value, "this action takes no value")
	}
	return nil
}
