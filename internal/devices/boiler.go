package devices

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/liveness"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// boiler is a heating relay with a thermostat. Whatever the mode, it never
// runs without a fresh good reading, nor longer than maxRun at a stretch.
type boiler struct {
	h          *Hub
	id, name   string
	relay      gpio.PinIO
	onLvl      gpio.Level
	therm      Thermometer
	sensor     string
	hyst       float64
	frost      float64
	minCycle   time.Duration
	maxRun     time.Duration
	poll       time.Duration
	staleAfter time.Duration

	mu        sync.Mutex
	shut      bool
	mode      string // "heat" or "off" (frost guard only)
	setpoint  float64
	on        bool      // relay energised
	changed   time.Time // last relay change, for the minimum cycle
	temp      float64
	hasTemp   bool      // temp is a good, fresh reading
	sensorErr string    // non-empty: alarm "sensor" raised
	maxRunHit bool      // alarm "max_run" raised
	lastRead  time.Time // when the last reading was applied (or Start)
	simNext   bool      // a simulated sensor change awaits the next reading
	staleT    timer
	maxRunT   timer
}

type boilerSaved struct {
	Mode     *string  `cbor:"mode"`
	Setpoint *float64 `cbor:"setpoint"`
}

// The DS18B20's range; a simulated temperature outside it is a typo.
const minTemp, maxTemp = -55.0, 125.0

func newBoiler(b *builder, c BoilerOpts) *boiler {
	bo := &boiler{
		h: b.h, id: c.ID, name: c.Name, onLvl: c.Active, sensor: c.Sensor,
		hyst: c.Hysteresis, frost: c.Frost,
		minCycle: c.MinCycle, maxRun: c.MaxRun, poll: c.Poll, staleAfter: c.StaleAfter,
		mode: wire.ModeHeat, setpoint: c.Setpoint,
		// New's safe write counts as a relay change: after a crash loop
		// the boiler still rests a full minimum cycle before it starts.
		changed: b.h.clk.Now(),
	}
	bo.relay = b.output("boiler", c.ID, "relay", c.Relay, !bo.onLvl)
	bo.therm = b.thermometer(c.ID, c.Sensor)
	return bo
}

// start begins the stale watch: no good reading within staleAfter of Start
// raises the sensor alarm.
func (b *boiler) start() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastRead = b.h.clk.Now() // the poller's first reading comes at Run
	b.armStale()
}

func (b *boiler) armStale() {
	b.h.arm(&b.staleT, &b.mu, b.staleAfter, func() {
		b.record(b.fault(fmt.Sprintf("no good reading for %s", b.staleAfter)))
	})
}

// pollLoop beats l after every reading, so that a read stuck in the 1-Wire
// driver shows as a dead poller.
func (b *boiler) pollLoop(ctx context.Context, l *liveness.Loop) {
	for {
		b.read()
		l.Beat()
		if !sleep(ctx, b.h, b.poll) {
			return
		}
	}
}

// read takes one reading and applies it.
func (b *boiler) read() {
	t, err := b.therm.Temperature() // without b.mu: a DS18B20 read blocks ~1 s
	b.mu.Lock()
	if !b.shut {
		b.lastRead, b.simNext = b.h.clk.Now(), false
		b.record(b.reading(t, err))
	}
	b.mu.Unlock()
	b.h.journal.flush()
}

func (b *boiler) reading(t float64, err error) []Event {
	if err == nil && t == 85.0 {
		err = ErrPowerOnReset
	}
	if err == nil && (math.IsNaN(t) || t < minTemp || t > maxTemp) {
		err = fmt.Errorf("%g °C is outside the sensor's range", t)
	}
	if err != nil {
		return b.fault(err.Error())
	}
	b.temp, b.hasTemp = t, true
	b.armStale()
	var evs []Event
	if b.sensorErr != "" {
		b.sensorErr = ""
		evs = append(evs, newEvent(ClassAudit, b.id, "alarm_cleared", "alarm", "sensor"))
	}
	return append(evs, b.regulate()...)
}

// fault turns the relay off at once, ignoring the minimum cycle, and raises
// the sensor alarm: a boiler must not run on a reading nobody can trust.
func (b *boiler) fault(why string) []Event {
	b.staleT.stop()
	b.hasTemp = false
	evs := b.setRelay(false, "sensor")
	if b.sensorErr == "" {
		b.h.log.Warn("devices: boiler sensor alarm; heating off", "boiler", b.id, "err", why)
		evs = append(evs, newEvent(ClassAudit, b.id, "alarm_raised", "alarm", "sensor", "error", why))
	}
	b.sensorErr = why
	return evs
}

// regulate is the thermostat: hysteresis around the target (the setpoint,
// or the frost temperature in mode off), no change sooner than minCycle
// after the last one. A change held back is made at a later reading.
func (b *boiler) regulate() []Event {
	if !b.hasTemp {
		return b.setRelay(false, "sensor")
	}
	want, reason := b.wantLocked()
	if want == b.on || b.heldLocked() > 0 {
		return nil
	}
	evs := b.setRelay(want, reason)
	if !want && b.maxRunHit {
		// The target was reached: the heating works again.
		b.maxRunHit = false
		evs = append(evs, newEvent(ClassAudit, b.id, "alarm_cleared", "alarm", "max_run"))
	}
	return evs
}

// wantLocked is what the thermostat asks of the relay at the last
// reading, and why.
func (b *boiler) wantLocked() (bool, string) {
	target, reason := b.setpoint, "thermostat"
	if b.mode == "off" {
		target, reason = b.frost, "frost"
	}
	switch {
	case b.temp < target-b.hyst/2:
		return true, reason
	case b.temp > target+b.hyst/2:
		return false, reason
	}
	return b.on, reason
}

// heldLocked is how long minCycle still holds the relay where it is.
func (b *boiler) heldLocked() time.Duration {
	return b.minCycle - b.h.clk.Now().Sub(b.changed)
}

// setRelay drives the relay and arms or stops the maximum run.
func (b *boiler) setRelay(on bool, reason string) []Event {
	lvl := !b.onLvl
	if on {
		lvl = b.onLvl
	}
	if err := b.h.out(b.relay, lvl); err != nil && on {
		b.h.out(b.relay, !b.onLvl)
		return nil
	}
	if on == b.on {
		return nil
	}
	b.on = on
	b.changed = b.h.clk.Now()
	if !on {
		b.maxRunT.stop()
		return []Event{newEvent(ClassState, b.id, "boiler_off", "reason", reason)}
	}
	b.h.arm(&b.maxRunT, &b.mu, b.maxRun, func() {
		// Running this long means a stuck sensor, an open window or a
		// broken boiler: stop, rest at least minCycle (changed is now),
		// and tell someone.
		evs := b.setRelay(false, "max_run")
		if !b.maxRunHit {
			b.maxRunHit = true
			b.h.log.Warn("devices: boiler hit its maximum run; forced off", "boiler", b.id)
			evs = append(evs, newEvent(ClassAudit, b.id, "alarm_raised", "alarm", "max_run"))
		}
		b.record(evs)
	})
	return []Event{newEvent(ClassState, b.id, "boiler_on", "reason", reason)}
}

func (b *boiler) do(action, value string) (State, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shut {
		return State{}, errShutdown("boiler", b.id, action)
	}
	var evs []Event
	switch action {
	case "on", "off":
		if err := noValue("boiler", b.id, action, value); err != nil {
			return State{}, err
		}
		mode := map[string]string{"on": wire.ModeHeat, "off": wire.ModeOff}[action]
		if mode != b.mode {
			b.mode = mode
			evs = append(evs, newEvent(ClassState, b.id, "mode", "mode", mode))
		}
		if b.maxRunHit {
			b.maxRunHit = false // a resident chose a mode: acknowledged
			evs = append(evs, newEvent(ClassAudit, b.id, "alarm_cleared", "alarm", "max_run"))
		}
		if mode == "off" && b.on && !(b.hasTemp && b.temp < b.frost-b.hyst/2) {
			// The minimum cycle spares the boiler frequent starts, not a
			// stop: a resident who turns the heating off means now.
			evs = append(evs, b.setRelay(false, "mode")...)
		}
		evs = append(evs, b.regulate()...)
	case "set-setpoint":
		sp, err := parseNumber(value, wire.MinSetpoint, wire.MaxSetpoint)
		if err != nil {
			return State{}, errBadValue("boiler", b.id, action, value, err.Error()+" °C")
		}
		if sp != b.setpoint {
			b.setpoint = sp
			evs = append(evs, newEvent(ClassState, b.id, "setpoint", "setpoint", sp))
			evs = append(evs, b.regulate()...)
		}
	case "set-temperature", "sensor-fail", "sensor-ok":
		var t float64
		var err error
		if action == "set-temperature" {
			if t, err = parseNumber(value, minTemp, maxTemp); err != nil {
				return State{}, errBadValue("boiler", b.id, action, value, err.Error()+" °C")
			}
		} else if err := noValue("boiler", b.id, action, value); err != nil {
			return State{}, err
		}
		err = b.h.simulate("boiler", b.id, action, "its sensor", func(s Simulator) error {
			switch action {
			case "set-temperature":
				return s.SetTemperature(b.sensor, t)
			case "sensor-fail":
				return s.FailSensor(b.sensor, errors.New("simulated sensor failure"))
			}
			return s.FailSensor(b.sensor, nil)
		})
		if err != nil {
			return State{}, err
		}
		// Through the sensor, as on real hardware: the boiler sees it at
		// its next poll, and its state says when that is.
		b.simNext = true
	default:
		return State{}, errUnknownAction("boiler", b.id, action,
			"on", "off", "set-setpoint", "set-temperature", "sensor-fail", "sensor-ok")
	}
	b.record(evs)
	return b.stateLocked(), nil
}

// parseNumber parses a decimal number within lo..hi.
func parseNumber(s string, lo, hi float64) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a number")
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("outside %g..%g", lo, hi)
	}
	return v, nil
}

func (b *boiler) record(evs []Event) {
	mode, sp := b.mode, b.setpoint
	b.h.journal.note(b.id, encode(boilerSaved{Mode: &mode, Setpoint: &sp}), evs)
}

func (b *boiler) restore(data []byte) error {
	var v boilerSaved
	if err := decode(data, &v); err != nil {
		return err
	}
	if v.Mode == nil || (*v.Mode != wire.ModeHeat && *v.Mode != wire.ModeOff) {
		return errors.New(`boiler record without a mode "heat" or "off"`)
	}
	if v.Setpoint == nil || math.IsNaN(*v.Setpoint) || *v.Setpoint < wire.MinSetpoint || *v.Setpoint > wire.MaxSetpoint {
		return fmt.Errorf("boiler record without a setpoint within %g..%g °C", wire.MinSetpoint, wire.MaxSetpoint)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mode, b.setpoint = *v.Mode, *v.Setpoint
	return nil
}

func (b *boiler) shutdown() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.shut = true
	b.staleT.stop()
	b.record(b.setRelay(false, "shutdown"))
}

func (b *boiler) state() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stateLocked()
}

func (b *boiler) stateLocked() State {
	s := State{ID: b.id, Kind: "boiler", Name: b.name, Attrs: map[string]any{
		"mode": b.mode, "setpoint": b.setpoint, "frost": b.frost,
	}}
	switch {
	case b.sensorErr != "":
		s.State = "fault"
	case b.on:
		s.State = "heating"
	case b.mode == "off":
		s.State = "off"
	default:
		s.State = "idle"
	}
	if b.hasTemp {
		s.Attrs["temperature"] = b.temp
		// A change the thermostat wants but min_cycle holds back (after
		// every start too: the safe write counts as a change) is said, so
		// that a boiler that does not heat yet does not look broken.
		if want, _ := b.wantLocked(); want != b.on && b.sensorErr == "" {
			if held := b.heldLocked(); held > 0 {
				verb := "heating"
				if !want {
					verb = "stopping"
				}
				s.Attrs["waiting"] = fmt.Sprintf("waiting %d s before %s (min_cycle)", int((held+time.Second-1)/time.Second), verb)
			}
		}
	}
	if b.simNext {
		// A simulated temperature or sensor fault reaches the thermostat
		// through the sensor, at the next poll: said, so that a
		// set-temperature whose answer still shows the old reading does not
		// look ignored.
		next := max(b.lastRead.Add(b.poll).Sub(b.h.clk.Now()), 0)
		s.Attrs["pending"] = fmt.Sprintf("new reading in %d s (poll)", int((next+time.Second-1)/time.Second))
	}
	var alarms []string
	if b.sensorErr != "" {
		alarms = append(alarms, "sensor")
		s.Attrs["sensor_error"] = b.sensorErr
	}
	if b.maxRunHit {
		alarms = append(alarms, "max_run")
	}
	if alarms != nil {
		s.Attrs["alarms"] = alarms
	}
	return s
}
