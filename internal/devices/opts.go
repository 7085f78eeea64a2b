package devices

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// Config is every device of a hub, one list per kind. New builds them in
// this order: locks, switches, boilers, covers, inputs. Start each entry from
// its kind's Default...Opts and set what differs: the defaults are owned
// here, and a zero value is not a usable device (a boiler with no hysteresis
// would switch its relay on every reading).
type Config struct {
	// OneWireRoot is where the kernel shows DS18B20 sensors, for the
	// default Options.Thermometer. Empty means DefaultOneWireRoot.
	OneWireRoot string

	Locks    []LockOpts
	Switches []SwitchOpts
	Boilers  []BoilerOpts
	Covers   []CoverOpts
	Inputs   []InputOpts
	// Vehicle, when set, is a car (vehicle.go); its devices follow the
	// inputs.
	Vehicle *VehicleOpts
	Nodes   []NodeOpts // actuator nodes of firmware/ (node.go)
}

// DefaultOneWireRoot is where the Linux w1 driver shows 1-Wire devices.
const DefaultOneWireRoot = "/sys/bus/w1/devices"

// Lock failure modes: which way a lock goes when its relay loses power.
const (
	// FailSecure: de-energised = locked (strikes, motor locks): a power cut
	// keeps the door locked.
	FailSecure = "secure"
	// FailSafe: de-energised = unlocked (maglocks on escape routes).
	FailSafe = "safe"
)

// LockOpts is a door or vehicle lock: one relay, an optional door contact
// and an optional exit button. Pins are periph names ("GPIO17").
type LockOpts struct {
	ID, Name string
	Relay    string
	// Active is the level that energises the relay.
	Active gpio.Level
	// Fail is FailSecure or FailSafe; there is no default, because the
	// wrong one leaves a door open on a power cut or an escape route shut.
	Fail string
	// RelockAfter ends an unlock pulse.
	RelockAfter time.Duration
	// Contact is an optional door contact; ContactActive the level that
	// means "door open".
	Contact       string
	ContactActive gpio.Level
	// ExitButton is an optional request-to-exit button;
	// ExitButtonActive the level that means "pressed".
	ExitButton       string
	ExitButtonActive gpio.Level
	// LeftOpenAfter raises "door left open" when the door stays open this
	// long (with a contact).
	LeftOpenAfter time.Duration
	// Debounce for the contact and the exit button.
	Debounce time.Duration
}

// DefaultLockOpts are a lock's defaults: relay active high, relock after
// 5 s, contact active high (a reed switch to ground that opens with the door,
// pulled up: a cut wire reads "open"), exit button active low, door left open
// after 60 s, 50 ms debounce. Fail must be set.
var DefaultLockOpts = LockOpts{
	Active:           gpio.High,
	RelockAfter:      5 * time.Second,
	ContactActive:    gpio.High,
	ExitButtonActive: gpio.Low,
	LeftOpenAfter:    60 * time.Second,
	Debounce:         50 * time.Millisecond,
}

// LockedLevel is the relay level that keeps the lock locked, its safe
// level: de-energised for FailSecure (a power cut keeps the door locked),
// energised for FailSafe (maglocks hold only while energised).
func (o LockOpts) LockedLevel() gpio.Level {
	if o.Fail == FailSafe {
		return o.Active
	}
	return !o.Active
}

// ContactPull is the door contact's pull: up, so that with the usual wiring
// (a reed switch to ground that opens with the door, contact active high) a
// cut wire reads "open" and raises alarms instead of hiding a forced door.
func (o LockOpts) ContactPull() gpio.Pull { return gpio.PullUp }

// ExitButtonPull pulls the exit button towards its idle level, so that a
// floating button reads released.
func (o LockOpts) ExitButtonPull() gpio.Pull {
	if o.ExitButtonActive == gpio.High {
		return gpio.PullDown
	}
	return gpio.PullUp
}

// SwitchOpts is a relay for a light, a socket or a vehicle immobiliser.
type SwitchOpts struct {
	ID, Name string
	Relay    string
	Active   gpio.Level
	// Restore brings the switch back on after a restart when it was on.
	// An immobiliser sets it false so that a reboot leaves the vehicle
	// unable to start.
	Restore bool
}

// DefaultSwitchOpts: relay active high, state restored after a restart.
var DefaultSwitchOpts = SwitchOpts{Active: gpio.High, Restore: true}

// The boiler setpoint range is the cloud's contract (wire.MinSetpoint ..
// wire.MaxSetpoint): a setpoint the cloud may send is one the hub accepts.
// The frost and hysteresis ranges are the hub's own.
const (
	minFrost, maxFrost = 0.0, 15.0
	maxHysteresis      = 5.0
)

// BoilerOpts is a heating relay with a temperature sensor and a thermostat.
type BoilerOpts struct {
	ID, Name string
	Relay    string
	Active   gpio.Level
	// Sensor is the DS18B20 1-Wire id, e.g. "28-00000a1b2c3d".
	Sensor string
	// Setpoint in °C in mode heat, within wire.MinSetpoint..MaxSetpoint;
	// a resident or the cloud changes it, and the change is persisted.
	Setpoint float64
	// Hysteresis is the width of the band around the target, in °C:
	// heat below target-Hysteresis/2, stop above target+Hysteresis/2.
	Hysteresis float64
	// Frost is the temperature held even in mode off, in °C.
	Frost float64
	// MinCycle is the shortest time between two relay changes made by the
	// thermostat (a stop by a resident or a fault is never held back).
	MinCycle time.Duration
	// MaxRun is the longest continuous run before the relay is forced off
	// and an alarm raised.
	MaxRun time.Duration
	// Poll is the sensor read interval.
	Poll time.Duration
	// StaleAfter: with no good reading for this long the relay goes off and
	// an alarm is raised. Longer than Poll.
	StaleAfter time.Duration
}

// DefaultBoilerOpts: relay active high, setpoint 20 °C, hysteresis 1 °C,
// frost 5 °C, minimum cycle 3 min, maximum run 4 h, a reading every 10 s,
// stale after 60 s.
var DefaultBoilerOpts = BoilerOpts{
	Active:     gpio.High,
	Setpoint:   20,
	Hysteresis: 1,
	Frost:      5,
	MinCycle:   3 * time.Minute,
	MaxRun:     4 * time.Hour,
	Poll:       10 * time.Second,
	StaleAfter: 60 * time.Second,
}

// CoverOpts is a curtain or blind with interlocked up and down relays.
type CoverOpts struct {
	ID, Name string
	Up, Down string
	Active   gpio.Level
	// Travel is the time from fully closed to fully open; no default.
	Travel time.Duration
	// ReverseDelay is the pause with both relays off before the motor runs
	// the other way.
	ReverseDelay time.Duration
}

// DefaultCoverOpts: relays active high, 500 ms reverse delay. Travel must be
// set.
var DefaultCoverOpts = CoverOpts{Active: gpio.High, ReverseDelay: 500 * time.Millisecond}

// Input types.
const (
	Button  = "button"
	Contact = "contact"
	Motion  = "motion"
)

// InputOpts is a button, a contact or a motion sensor.
type InputOpts struct {
	ID, Name string
	Pin      string
	// Type is Button, Contact or Motion; no default.
	Type string
	// Active is the level that means pressed / open / motion.
	Active gpio.Level
	// Pull is the pin's pull: gpio.PullUp, gpio.PullDown or gpio.Float.
	Pull gpio.Pull
	// Debounce: a level must hold this long to count.
	Debounce time.Duration
}

// DefaultInputOpts: active low with the pull-up (a switch to ground), 50 ms
// debounce. Type must be set.
var DefaultInputOpts = InputOpts{Active: gpio.Low, Pull: gpio.PullUp, Debounce: 50 * time.Millisecond}

// validSensorID reports whether s is a 1-Wire id (2 lower-case hex digits,
// -, 12 more): it becomes a path under OneWireRoot, so nothing else (no
// "/", no "..") passes.
func validSensorID(s string) bool {
	if len(s) != 15 || s[2] != '-' {
		return false
	}
	for i, c := range []byte(s) {
		if i != 2 && !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Validate reports the first option of the lock that New cannot use.
func (o LockOpts) Validate() error {
	e := optChecker{kind: "lock", id: o.ID}
	e.required("relay", o.Relay)
	switch o.Fail {
	case FailSecure, FailSafe:
	case "":
		e.fail("fail", `missing (write "secure": de-energised = locked, or "safe": de-energised = unlocked)`)
	default:
		e.fail("fail", `%q is not "secure" or "safe"`, o.Fail)
	}
	e.positive("relock_after", o.RelockAfter)
	e.positive("left_open_after", o.LeftOpenAfter)
	e.notNegative("debounce", o.Debounce)
	return e.err
}

// Validate reports the first option of the switch that New cannot use.
func (o SwitchOpts) Validate() error {
	e := optChecker{kind: "switch", id: o.ID}
	e.required("relay", o.Relay)
	return e.err
}

// Validate reports the first option of the boiler that New cannot use.
func (o BoilerOpts) Validate() error {
	e := optChecker{kind: "boiler", id: o.ID}
	e.required("relay", o.Relay)
	switch {
	case o.Sensor == "":
		e.fail("sensor", `missing (the DS18B20 id, e.g. "28-00000a1b2c3d")`)
	case !validSensorID(o.Sensor):
		e.fail("sensor", `%q is not a 1-Wire id like "28-00000a1b2c3d"`, o.Sensor)
	}
	e.within("setpoint", o.Setpoint, wire.MinSetpoint, wire.MaxSetpoint)
	e.within("frost", o.Frost, minFrost, maxFrost)
	if !(o.Hysteresis > 0 && o.Hysteresis <= maxHysteresis) {
		e.fail("hysteresis", "%g is outside 0..%g °C (and must be above 0)", o.Hysteresis, maxHysteresis)
	}
	e.notNegative("min_cycle", o.MinCycle)
	e.positive("max_run", o.MaxRun)
	e.positive("poll", o.Poll)
	e.positive("stale_after", o.StaleAfter)
	if o.StaleAfter <= o.Poll {
		e.fail("stale_after", "%s must be longer than poll (%s)", o.StaleAfter, o.Poll)
	}
	return e.err
}

// Validate reports the first option of the cover that New cannot use.
func (o CoverOpts) Validate() error {
	e := optChecker{kind: "cover", id: o.ID}
	e.required("up", o.Up)
	e.required("down", o.Down)
	if o.Travel == 0 {
		e.fail("travel", `missing (the time from closed to open, e.g. "20s")`)
	}
	e.positive("travel", o.Travel)
	e.notNegative("reverse_delay", o.ReverseDelay)
	return e.err
}

// Validate reports the first option of the input that New cannot use.
func (o InputOpts) Validate() error {
	e := optChecker{kind: "input", id: o.ID}
	e.required("pin", o.Pin)
	switch o.Type {
	case Button, Contact, Motion:
	case "":
		e.fail("type", `missing ("button", "contact" or "motion")`)
	default:
		e.fail("type", `%q is not "button", "contact" or "motion"`, o.Type)
	}
	switch o.Pull {
	case gpio.PullUp, gpio.PullDown, gpio.Float:
	default:
		e.fail("pull", "%s is not up, down or none", o.Pull)
	}
	e.notNegative("debounce", o.Debounce)
	return e.err
}

// validate checks every device, that ids are there and unique (the Hub
// finds devices by id), and that no pin serves two purposes: a light
// switch sharing a lock's relay would open the door.
func (c Config) validate() error {
	ids := map[string]bool{}
	pins := map[string]string{} // pin -> `lock "front" relay`
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
	}
	check := func(kind, id string, err error, pinKeys ...string) {
		switch {
		case err != nil:
			fail(err)
		case id == "":
			fail(&OptError{Kind: kind, Field: "id", Msg: "missing"})
		case ids[id]:
			fail(&OptError{Kind: kind, ID: id, Field: "id", Msg: "duplicate device id"})
		}
		ids[id] = true
		for i := 0; i+1 < len(pinKeys); i += 2 {
			key, pin := pinKeys[i], pinKeys[i+1]
			if pin == "" {
				continue
			}
			if other, ok := pins[pin]; ok {
				fail(&OptError{Kind: kind, ID: id, Field: key, Msg: fmt.Sprintf("pin %q is already used by %s", pin, other)})
				continue
			}
			pins[pin] = fmt.Sprintf("%s %q %s", kind, id, key)
		}
	}
	for _, o := range c.Locks {
		check("lock", o.ID, o.Validate(), "relay", o.Relay, "contact", o.Contact, "exit_button", o.ExitButton)
	}
	for _, o := range c.Switches {
		check("switch", o.ID, o.Validate(), "relay", o.Relay)
	}
	for _, o := range c.Boilers {
		check("boiler", o.ID, o.Validate(), "relay", o.Relay)
	}
	for _, o := range c.Covers {
		check("cover", o.ID, o.Validate(), "up", o.Up, "down", o.Down)
	}
	for _, o := range c.Inputs {
		check("input", o.ID, o.Validate(), "pin", o.Pin)
	}
	if v := c.Vehicle; v != nil {
		fail(v.Validate())
		pinKeys := []string{"drive_relay", v.DriveRelay, "trunk_relay", v.TrunkRelay, "charge_relay", v.ChargeRelay, "ignition_pin", v.IgnitionPin}
		for _, d := range v.Doors {
			pinKeys = append(pinKeys, d.ID+" relay", d.Relay, d.ID+" ajar", d.Ajar)
		}
		for i, id := range v.ids() {
			if i == 0 {
				check("vehicle", id, nil, pinKeys...)
			} else {
				check("vehicle", id, nil)
			}
		}
	}
	for _, o := range c.Nodes {
		check("node", o.ID, o.Validate(), "port", o.Port)
	}
	return first
}

// optChecker keeps the first problem of one device's options.
type optChecker struct {
	kind, id string
	err      error
}

func (e *optChecker) fail(field, format string, args ...any) {
	if e.err == nil {
		e.err = &OptError{Kind: e.kind, ID: e.id, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

func (e *optChecker) required(field, v string) {
	if v == "" {
		e.fail(field, "missing")
	}
}

func (e *optChecker) notNegative(field string, d time.Duration) {
	if d < 0 {
		e.fail(field, "%s is negative", d)
	}
}

func (e *optChecker) positive(field string, d time.Duration) {
	e.notNegative(field, d)
	if d == 0 {
		e.fail(field, "must be above 0")
	}
}

func (e *optChecker) within(field string, v, lo, hi float64) {
	if !(v >= lo && v <= hi) { // also NaN
		e.fail(field, "%g is outside %g..%g °C", v, lo, hi)
	}
}
