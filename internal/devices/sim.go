package devices

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"

	"github.com/edgeagent/edgeagent/internal/clock"
)

// Sim is simulated hardware for tests and `edgeagent run --sim`: pins and
// thermometers made on first use and the same object on every later use, so
// that a test and the Hub share them. Give a Hub its Pin and Thermometer as
// resolvers and the Sim itself as Options.Sim (Options does all three): the
// Hub's simulated actions then drive these pins and sensors from outside,
// as a test does with SimPin.Set, and never see more than a gpio.PinIO.
type Sim struct {
	clk clock.Clock

	mu     sync.Mutex
	seq    uint64 // orders output changes across all pins
	pins   map[string]*SimPin
	therms map[string]*SimThermometer
}

// NewSim returns simulated hardware whose pin histories read clk (default
// clock.Real{}).
func NewSim(clk clock.Clock) *Sim {
	if clk == nil {
		clk = clock.Real{}
	}
	return &Sim{clk: clk, pins: map[string]*SimPin{}, therms: map[string]*SimThermometer{}}
}

// Pin returns the *SimPin called name, making it on first use.
func (s *Sim) Pin(name string) (gpio.PinIO, error) {
	if name == "" {
		return nil, errors.New("devices: sim: empty pin name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pins[name]
	if !ok {
		p = &SimPin{name: name, sim: s, edges: make(chan struct{}, 1)}
		s.pins[name] = p
	}
	return p, nil
}

// Thermometer returns the *SimThermometer with this id, making it on first
// use at 20 °C.
func (s *Sim) Thermometer(id string) (Thermometer, error) {
	if id == "" {
		return nil, errors.New("devices: sim: empty sensor id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.therms[id]
	if !ok {
		t = &SimThermometer{c: 20}
		s.therms[id] = t
	}
	return t, nil
}

// Options returns the resolvers and the simulator of s, for New.
func (s *Sim) Options() Options {
	return Options{Pin: s.Pin, Thermometer: s.Thermometer, Sim: s}
}

// SetInput implements Simulator: it drives the pin called name, made by
// Pin, as SimPin.Set does.
func (s *Sim) SetInput(name string, l gpio.Level) error {
	p, err := s.pin(name)
	if err != nil {
		return err
	}
	p.Set(l)
	return nil
}

// Settle implements Simulator.
func (s *Sim) Settle(name string, inactive gpio.Level) {
	if p, err := s.pin(name); err == nil {
		p.settle(inactive)
	}
}

// SetTemperature implements Simulator, as SimThermometer.Set does.
func (s *Sim) SetTemperature(sensor string, celsius float64) error {
	t, err := s.thermometer(sensor)
	if err != nil {
		return err
	}
	t.Set(celsius)
	return nil
}

// FailSensor implements Simulator, as SimThermometer.Fail does.
func (s *Sim) FailSensor(sensor string, err error) error {
	t, terr := s.thermometer(sensor)
	if terr != nil {
		return terr
	}
	t.Fail(err)
	return nil
}

// pin returns a pin made by Pin: the Simulator drives only what the Hub
// got from this Sim, never makes a pin of its own.
func (s *Sim) pin(name string) (*SimPin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pins[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("%w: pin %q is not a simulated pin", ErrNotSimulated, name)
}

func (s *Sim) thermometer(id string) (*SimThermometer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.therms[id]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("%w: sensor %q is not a simulated sensor", ErrNotSimulated, id)
}

func (s *Sim) next() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq
}

// Change is one output level change of a SimPin.
type Change struct {
	Seq   uint64    // order across all pins of the Sim
	At    time.Time // the Sim's clock
	Level gpio.Level
}

// historyLen bounds a SimPin's history.
const historyLen = 4096

// SimPin is a simulated GPIO pin implementing gpio.PinIO. Out records the
// level it drives; Set drives an input level from outside and wakes
// WaitForEdge as the configured edge says. It is safe for concurrent use.
type SimPin struct {
	name string
	sim  *Sim

	mu     sync.Mutex
	output bool
	outLvl gpio.Level
	inLvl  gpio.Level
	driven bool // Set was called: the outside world, not the pull, sets inLvl
	pull   gpio.Pull
	edge   gpio.Edge
	edges  chan struct{} // one pending edge; more coalesce, as in a kernel
	hist   []Change
	duty   gpio.Duty
	freq   physic.Frequency
}

// String implements conn.Resource.
func (p *SimPin) String() string { return "sim:" + p.name }

// Halt implements conn.Resource; it has nothing to stop.
func (p *SimPin) Halt() error { return nil }

// Name implements pin.Pin.
func (p *SimPin) Name() string { return p.name }

// Number implements pin.Pin; simulated pins have no number.
func (p *SimPin) Number() int { return -1 }

// Function implements pin.Pin.
func (p *SimPin) Function() string { return string(p.Func()) }

// Func implements pin.PinFunc.
func (p *SimPin) Func() pin.Func {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.output && p.outLvl == gpio.High:
		return gpio.OUT_HIGH
	case p.output:
		return gpio.OUT_LOW
	case p.inLvl == gpio.High:
		return gpio.IN_HIGH
	}
	return gpio.IN_LOW
}

// SupportedFuncs implements pin.PinFunc.
func (p *SimPin) SupportedFuncs() []pin.Func { return []pin.Func{gpio.IN, gpio.OUT} }

// SetFunc implements pin.PinFunc.
func (p *SimPin) SetFunc(f pin.Func) error {
	switch f {
	case gpio.IN:
		return p.In(gpio.PullNoChange, gpio.NoEdge)
	case gpio.OUT:
		return p.Out(p.Read())
	}
	return fmt.Errorf("devices: sim pin %s: function %q not supported", p.name, f)
}

// In implements gpio.PinIn. Without an outside Set, the pull decides the
// level, as on a board with nothing connected. Pending edges are discarded.
func (p *SimPin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.output = false
	if pull != gpio.PullNoChange {
		p.pull = pull
	}
	p.edge = edge
	if !p.driven {
		switch p.pull {
		case gpio.PullUp:
			p.inLvl = gpio.High
		case gpio.PullDown:
			p.inLvl = gpio.Low
		}
	}
	select {
	case <-p.edges:
	default:
	}
	return nil
}

// Read implements gpio.PinIn: the input level, or the driven level of an
// output.
func (p *SimPin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.output {
		return p.outLvl
	}
	return p.inLvl
}

// WaitForEdge implements gpio.PinIn. The timeout is real time, as on real
// hardware, so that a watcher loop notices cancellation whatever clock the
// Sim has; a negative timeout waits forever, zero only checks.
func (p *SimPin) WaitForEdge(timeout time.Duration) bool {
	switch {
	case timeout < 0:
		<-p.edges
		return true
	case timeout == 0:
		select {
		case <-p.edges:
			return true
		default:
			return false
		}
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.edges:
		return true
	case <-t.C:
		return false
	}
}

// Pull implements gpio.PinIn.
func (p *SimPin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull implements gpio.PinIn.
func (p *SimPin) DefaultPull() gpio.Pull { return gpio.Float }

// Out implements gpio.PinOut and records a level change in the history.
func (p *SimPin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	first := !p.output && len(p.hist) == 0
	p.output = true
	if l == p.outLvl && !first {
		return nil
	}
	p.outLvl = l
	if len(p.hist) == historyLen {
		p.hist = append(p.hist[:0], p.hist[1:]...)
	}
	// The sequence number is taken under p.mu, so two pins written one
	// after the other under a device mutex keep their order.
	p.hist = append(p.hist, Change{Seq: p.sim.next(), At: p.sim.clk.Now(), Level: l})
	return nil
}

// PWM implements gpio.PinOut; it records the duty and frequency only.
func (p *SimPin) PWM(duty gpio.Duty, f physic.Frequency) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.duty, p.freq = duty, f
	return nil
}

// Set drives the pin's input level from outside (a button, a door contact)
// and wakes WaitForEdge when the change matches the configured edge.
func (p *SimPin) Set(l gpio.Level) {
	p.mu.Lock()
	defer p.mu.Unlock()
	was := p.inLvl
	p.inLvl, p.driven = l, true
	if p.output || l == was {
		return
	}
	if p.edge == gpio.BothEdges || (p.edge == gpio.RisingEdge && l == gpio.High) || (p.edge == gpio.FallingEdge && l == gpio.Low) {
		select {
		case p.edges <- struct{}{}:
		default:
		}
	}
}

// settle puts an input nobody has driven yet at its inactive level: a
// simulated house starts with doors closed, buttons released and no motion,
// rather than with whatever the pull makes of an unconnected pin (a pulled-up
// door contact would read "open" and raise door_left_open a minute later).
func (p *SimPin) settle(inactive gpio.Level) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.driven {
		p.inLvl = inactive
	}
}

// IsOutput reports whether the pin was last configured as an output.
func (p *SimPin) IsOutput() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output
}

// History returns the recent output level changes, oldest first.
func (p *SimPin) History() []Change {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Change(nil), p.hist...)
}

// SimThermometer is a simulated temperature sensor.
type SimThermometer struct {
	mu  sync.Mutex
	c   float64
	err error
}

// Temperature implements Thermometer, without the real sensor's delay.
func (t *SimThermometer) Temperature() (float64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return 0, t.err
	}
	return t.c, nil
}

// Set sets the temperature in °C.
func (t *SimThermometer) Set(celsius float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.c = celsius
}

// Fail makes every reading fail with err until OK.
func (t *SimThermometer) Fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.err = err
}

// OK ends a Fail.
func (t *SimThermometer) OK() { t.Fail(nil) }

var (
	_ Simulator   = (*Sim)(nil)
	_ gpio.PinIO  = (*SimPin)(nil)
	_ pin.PinFunc = (*SimPin)(nil)
	_ Thermometer = (*SimThermometer)(nil)
)
