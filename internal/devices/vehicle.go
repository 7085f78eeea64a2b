package devices

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// A vehicle is one car object (car) shown as several devices: each door
// ("door"), central locking ("central-lock"), the trunk release ("trunk"),
// drive authorisation ("drive", the immobiliser), the ignition ("ignition")
// and the charge-port lock ("charge-port"). One mutex guards the whole car,
// because its rules cross devices: central locking reads every door, drive
// authorisation reads the ignition.
//
// Safety rules:
//   - drive authorisation is a bounded window; it is never withdrawn while
//     the ignition is on or unknown: a withdrawal, or the window's end,
//     re-arms the immobiliser when the ignition is seen off;
//   - it is refused while the car's state is unknown (CAN status missing
//     for StatusLost periods);
//   - central locking with a door ajar locks the others and says which
//     door is open;
//   - every change is an audit event.

// Vehicle device kinds.
const (
	KindDoor        = "door"
	KindCentralLock = "central-lock"
	KindTrunk       = "trunk"
	KindDrive       = "drive"
	KindIgnition    = "ignition"
	KindChargePort  = "charge-port"
)

// DoorOpts is one door of a vehicle: its lock and its door-ajar input.
// Relay and Ajar are GPIO pins (a retrofit unit); LockCommand, LockStatus
// and AjarSignal are DBC signal names (CAN). A vehicle uses one or the other.
type DoorOpts struct {
	ID, Name string
	Relay    string // energised = unlocked: a power cut leaves the door locked
	Ajar     string // door-ajar switch
	// LockCommand: 1 = lock, 2 = unlock (0 = no request); LockStatus:
	// 1 = locked; AjarSignal: 1 = ajar.
	LockCommand, LockStatus, AjarSignal string
}

// VehicleOpts is a car reached through GPIO relays, or through the CAN bus
// when Bus is set (then the pins are unused and the signal names required).
type VehicleOpts struct {
	// ID is the central-locking device; the other devices have their own.
	ID, Name string
	Doors    []DoorOpts
	// Trunk, Drive, Ignition, ChargePort are device ids; Trunk and
	// ChargePort are optional.
	Trunk, Drive, Ignition, ChargePort string

	// GPIO: relays active at Active; inputs active at InputActive with
	// InputPull.
	TrunkRelay, DriveRelay, ChargeRelay string
	IgnitionPin                         string
	Active, InputActive                 gpio.Level
	InputPull                           gpio.Pull
	Debounce                            time.Duration

	// CAN: signal names of the DBC. DriveCommand 1 = allowed to start;
	// TrunkCommand 1 = release; ChargeCommand 1 = lock, 2 = unlock;
	// IgnitionSignal 1 = on; SpeedLimitSignal (optional) km/h, 0 = none.
	Bus                                                                         Bus
	DriveCommand, TrunkCommand, ChargeCommand, IgnitionSignal, SpeedLimitSignal string
	// StatusPeriod is the body controller's status cycle; with none for
	// StatusLost periods the car's state is unknown and an alarm raised.
	StatusPeriod time.Duration
	StatusLost   int

	// DriveWindow is how long an authorisation lasts when the ignition is
	// not turned on; TrunkPulse how long the trunk relay is energised;
	// AutoRelock relocks doors unlocked but not opened (as cars do).
	DriveWindow, TrunkPulse, AutoRelock time.Duration
}

// DefaultVehicleOpts: relays active high, inputs active low with pull-up
// (switches to ground), 50 ms debounce, status every 100 ms and lost after
// 3, a 2 min drive window, a 1 s trunk pulse, doors relocked after 30 s.
var DefaultVehicleOpts = VehicleOpts{
	Active: gpio.High, InputActive: gpio.Low, InputPull: gpio.PullUp, Debounce: 50 * time.Millisecond,
	StatusPeriod: 100 * time.Millisecond, StatusLost: 3,
	DriveWindow: 2 * time.Minute, TrunkPulse: time.Second, AutoRelock: 30 * time.Second,
}

// Bus reaches a car's body controller (internal/can): Send writes one
// command frame per message holding the named signals (the rest 0); status
// comes back through Hub.VehicleStatus.
type Bus interface {
	Send(signals map[string]float64) error
}

// Validate reports the first option New cannot use.
func (o VehicleOpts) Validate() error {
	e := optChecker{kind: "vehicle", id: o.ID}
	if len(o.Doors) == 0 {
		e.fail("door", "missing (a vehicle has at least one door)")
	}
	e.required("drive", o.Drive)
	e.required("ignition", o.Ignition)
	bus := o.Bus != nil
	for i, d := range o.Doors {
		where := fmt.Sprintf("door[%d]", i+1)
		if d.ID == "" {
			e.fail(where+".id", "missing")
		}
		if bus {
			e.required(where+".lock_command", d.LockCommand)
			e.required(where+".lock_status", d.LockStatus)
			e.required(where+".ajar_signal", d.AjarSignal)
		} else {
			e.required(where+".relay", d.Relay)
		}
	}
	if bus {
		e.required("drive_command", o.DriveCommand)
		e.required("ignition_signal", o.IgnitionSignal)
		if o.Trunk != "" {
			e.required("trunk_command", o.TrunkCommand)
		}
		if o.ChargePort != "" {
			e.required("charge_command", o.ChargeCommand)
		}
		e.positive("status_period", o.StatusPeriod)
		if o.StatusLost < 1 {
			e.fail("status_lost", "%d must be at least 1", o.StatusLost)
		}
	} else {
		e.required("drive_relay", o.DriveRelay)
		e.required("ignition_pin", o.IgnitionPin)
		if o.Trunk != "" {
			e.required("trunk_relay", o.TrunkRelay)
		}
		if o.ChargePort != "" {
			e.required("charge_relay", o.ChargeRelay)
		}
	}
	e.positive("drive_window", o.DriveWindow)
	e.positive("trunk_pulse", o.TrunkPulse)
	e.positive("auto_relock", o.AutoRelock)
	e.notNegative("debounce", o.Debounce)
	return e.err
}

// ids lists the vehicle's device ids, for the uniqueness check.
func (o VehicleOpts) ids() []string {
	ids := []string{o.ID, o.Drive, o.Ignition}
	for _, d := range o.Doors {
		ids = append(ids, d.ID)
	}
	for _, id := range []string{o.Trunk, o.ChargePort} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// tri is a state read from the car: unknown until seen.
type tri int8

const (
	unknown tri = iota
	off
	on
)

type carDoor struct {
	o       DoorOpts
	relay   gpio.PinIO
	locked  tri // from the relay (GPIO) or the status frame (CAN)
	ajar    tri
	relockT timer
}

type car struct {
	h *Hub
	o VehicleOpts

	drivePin, trunkPin, chargePin gpio.PinIO

	mu       sync.Mutex
	shut     bool
	doors    []*carDoor
	ignition tri
	lost     bool // CAN status missing: every tri reads unknown
	silentT  timer
	// Drive authorisation: allowed is what the immobiliser is told;
	// rearm is a withdrawal waiting for the ignition to go off.
	allowed bool
	until   time.Time
	limit   wire.DriveLimit
	rearm   bool
	driveT  timer
	trunkT  timer
	charge  tri
	// saved is the drive record Start restores once the ignition is read.
	saved *carSaved
}

// carPart is one device of a car.
type carPart struct {
	c    *car
	kind string
	id   string
	door *carDoor // for KindDoor
}

func newCar(b *builder, o VehicleOpts) *car {
	c := &car{h: b.h, o: o, charge: on}
	if o.Bus == nil {
		c.ignition = unknown // read at Start
	}
	safe := !o.Active
	for _, d := range o.Doors {
		cd := &carDoor{o: d, locked: on}
		if o.Bus == nil {
			cd.relay = b.output("vehicle", o.ID, d.ID+" relay", d.Relay, safe)
			if d.Ajar != "" {
				b.watch("vehicle", o.ID, d.ID+" ajar", d.Ajar, o.InputPull, o.InputActive, o.Debounce,
					c.ajarAtStart(cd), c.ajarChanged(cd))
			}
		} else {
			cd.locked = unknown
		}
		c.doors = append(c.doors, cd)
	}
	if o.Bus == nil {
		c.drivePin = b.output("vehicle", o.ID, "drive_relay", o.DriveRelay, safe)
		if o.Trunk != "" {
			c.trunkPin = b.output("vehicle", o.ID, "trunk_relay", o.TrunkRelay, safe)
		}
		if o.ChargePort != "" {
			c.chargePin = b.output("vehicle", o.ID, "charge_relay", o.ChargeRelay, safe)
		}
		b.watch("vehicle", o.ID, "ignition_pin", o.IgnitionPin, o.InputPull, o.InputActive, o.Debounce,
			c.ignitionAtStart, c.ignitionChanged)
	} else {
		c.charge = unknown
		// Until the first status frame, the car's state is unknown.
		c.lost = true
	}
	return c
}

// parts returns the car's devices in the order the Hub lists them.
func (c *car) parts() []*carPart {
	ps := []*carPart{{c: c, kind: KindCentralLock, id: c.o.ID}}
	for _, d := range c.doors {
		ps = append(ps, &carPart{c: c, kind: KindDoor, id: d.o.ID, door: d})
	}
	if c.o.Trunk != "" {
		ps = append(ps, &carPart{c: c, kind: KindTrunk, id: c.o.Trunk})
	}
	ps = append(ps, &carPart{c: c, kind: KindDrive, id: c.o.Drive}, &carPart{c: c, kind: KindIgnition, id: c.o.Ignition})
	if c.o.ChargePort != "" {
		ps = append(ps, &carPart{c: c, kind: KindChargePort, id: c.o.ChargePort})
	}
	return ps
}

// start begins the silence watchdog of a CAN car: lost until the first
// status frame, and again StatusLost periods after the last one.
func (c *car) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.o.Bus != nil {
		c.armSilence()
		return
	}
	c.restoreDrive()
}

// armSilence fires when StatusLost status frames in a row are missing:
// half a period after the last of them was due, not at its due time, where
// a frame sent on time races the timer and jitter of a few milliseconds
// would decide between "two frames lost" and "the car's state is unknown".
func (c *car) armSilence() {
	c.h.arm(&c.silentT, &c.mu, time.Duration(c.o.StatusLost)*c.o.StatusPeriod+c.o.StatusPeriod/2, func() {
		if c.shut {
			return
		}
		evs := []Event{newEvent(ClassAudit, c.o.ID, "alarm", "alarm", "bus_silent",
			"detail", fmt.Sprintf("no status frame for %d periods of %s: the car's state is unknown", c.o.StatusLost, c.o.StatusPeriod))}
		c.lost = true
		c.h.log.Warn("devices: vehicle status lost; drive authorisation refused until it returns", "vehicle", c.o.ID)
		c.note(c.o.ID, evs)
	})
}

// ---- actions

func (p *carPart) do(action, value string) (State, error) {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shut {
		return State{}, errShutdown(p.kind, p.id, action)
	}
	var err error
	switch p.kind + " " + action {
	case "door lock", "door unlock":
		if err = noValue(p.kind, p.id, action, value); err == nil {
			err = c.setDoors(p.id, []*carDoor{p.door}, action == "lock")
		}
	case "central-lock lock", "central-lock unlock":
		if err = noValue(p.kind, p.id, action, value); err == nil {
			err = c.setDoors(p.id, c.doors, action == "lock")
		}
	case "trunk release":
		if err = noValue(p.kind, p.id, action, value); err == nil {
			err = c.releaseTrunk()
		}
	case "drive authorise":
		err = c.authorise(p.id, value)
	case "drive rearm":
		if err = noValue(p.kind, p.id, action, value); err == nil {
			c.withdraw()
		}
	case "charge-port lock", "charge-port unlock":
		if err = noValue(p.kind, p.id, action, value); err == nil {
			err = c.setCharge(action == "lock")
		}
	case "ignition on", "ignition off", "door door-open", "door door-close":
		err = c.simulate(p, action, value)
	default:
		return State{}, errUnknownAction(p.kind, p.id, action, p.actions()...)
	}
	if err != nil {
		return State{}, err
	}
	return p.stateLocked(), nil
}

func (p *carPart) actions() []string {
	switch p.kind {
	case KindDoor:
		if p.door.o.Ajar != "" {
			return []string{"lock", "unlock", "door-open", "door-close"}
		}
		return []string{"lock", "unlock"}
	case KindCentralLock, KindChargePort:
		return []string{"lock", "unlock"}
	case KindTrunk:
		return []string{"release"}
	case KindDrive:
		return []string{"authorise", "rearm"}
	}
	return []string{"on", "off"} // ignition: simulated only
}

// setDoors locks or unlocks doors; by is the device acted on. Locking a
// door that is ajar still locks it (the latch catches when it closes) and
// the event names it, so the owner walking away learns which door is open.
func (c *car) setDoors(by string, ds []*carDoor, lock bool) error {
	if err := c.sendDoors(ds, lock); err != nil {
		return err
	}
	var evs []Event
	var ajar []string
	for _, d := range ds {
		if d.ajar == on && !c.lost {
			ajar = append(ajar, d.o.ID)
		}
		if lock {
			d.relockT.stop()
		} else {
			c.armRelock(d)
		}
		if c.o.Bus == nil { // GPIO: the relay is the status
			evs = append(evs, c.doorLocked(d, lock, "by", "command")...)
		}
	}
	if c.o.Bus != nil {
		typ := "lock_requested"
		if !lock {
			typ = "unlock_requested"
		}
		evs = append(evs, newEvent(ClassAudit, by, typ, "by", "command"))
	}
	if lock && len(ajar) > 0 {
		evs = append(evs, newEvent(ClassAudit, by, "locked_with_door_ajar", "ajar", ajar))
	}
	c.note(by, evs)
	return nil
}

// sendDoors moves the relays or sends one command frame. A relay that
// fails is driven back to locked whatever it did.
func (c *car) sendDoors(ds []*carDoor, lock bool) error {
	if c.o.Bus != nil {
		sig := map[string]float64{}
		v := 2.0
		if lock {
			v = 1
		}
		for _, d := range ds {
			sig[d.o.LockCommand] = v
		}
		if err := c.o.Bus.Send(sig); err != nil {
			return fmt.Errorf("devices: vehicle %q: sending the lock command: %w", c.o.ID, err)
		}
		return nil
	}
	for _, d := range ds {
		lvl := !c.o.Active
		if !lock {
			lvl = c.o.Active
		}
		if err := c.h.out(d.relay, lvl); err != nil {
			c.h.out(d.relay, !c.o.Active)
			return err
		}
	}
	return nil
}

func (c *car) armRelock(d *carDoor) {
	c.h.arm(&d.relockT, &c.mu, c.o.AutoRelock, func() {
		if c.shut || d.ajar == on {
			return
		}
		if err := c.sendDoors([]*carDoor{d}, true); err != nil {
			return
		}
		if c.o.Bus == nil {
			c.note(d.o.ID, c.doorLocked(d, true, "reason", "auto_relock"))
		}
	})
}

// doorLocked records a door's lock state; key is "by" or "reason".
func (c *car) doorLocked(d *carDoor, lock bool, key, val string) []Event {
	want := off
	typ := "unlocked"
	if lock {
		want, typ = on, "locked"
	}
	if d.locked == want {
		return nil
	}
	d.locked = want
	return []Event{newEvent(ClassAudit, d.o.ID, typ, key, val)}
}

func (c *car) releaseTrunk() error {
	if c.o.Bus != nil {
		if err := c.o.Bus.Send(map[string]float64{c.o.TrunkCommand: 1}); err != nil {
			return fmt.Errorf("devices: vehicle %q: sending the trunk release: %w", c.o.ID, err)
		}
	} else {
		if err := c.h.out(c.trunkPin, c.o.Active); err != nil {
			c.h.out(c.trunkPin, !c.o.Active)
			return err
		}
		c.h.arm(&c.trunkT, &c.mu, c.o.TrunkPulse, func() { c.h.out(c.trunkPin, !c.o.Active) })
	}
	c.note(c.o.Trunk, []Event{newEvent(ClassAudit, c.o.Trunk, "trunk_released", "by", "command")})
	return nil
}

func (c *car) setCharge(lock bool) error {
	typ, v, lvl := "unlocked", 2.0, c.o.Active
	if lock {
		typ, v, lvl = "locked", 1, !c.o.Active
	}
	if c.o.Bus != nil {
		if err := c.o.Bus.Send(map[string]float64{c.o.ChargeCommand: v}); err != nil {
			return fmt.Errorf("devices: vehicle %q: sending the charge-port command: %w", c.o.ID, err)
		}
	} else if err := c.h.out(c.chargePin, lvl); err != nil {
		c.h.out(c.chargePin, !c.o.Active)
		return err
	}
	c.charge = off
	if lock {
		c.charge = on
	}
	c.note(c.o.ChargePort, []Event{newEvent(ClassAudit, c.o.ChargePort, typ, "by", "command")})
	return nil
}

// ---- drive authorisation

// authorise allows the car to start for the window (the value's, bounded
// by DriveWindow), refused while the car's state is unknown.
func (c *car) authorise(id, value string) error {
	l, err := wire.ParseDriveLimit(value)
	if err != nil {
		return errBadValue(KindDrive, id, "authorise", value, err.Error())
	}
	if c.lost || c.ignition == unknown {
		return fmt.Errorf("devices: drive %q: authorise: %w", id, ErrVehicleUnknown)
	}
	window := c.o.DriveWindow
	if l.Window > 0 {
		window = min(window, l.Window)
	}
	if err := c.sendDrive(true, l.SpeedKMH); err != nil {
		c.sendDrive(false, 0)
		return err
	}
	c.allowed, c.rearm, c.limit = true, false, l
	c.limit.Window = window
	c.until = c.h.clk.Now().Add(window)
	c.h.arm(&c.driveT, &c.mu, window, c.windowOver)
	c.note(id, []Event{newEvent(ClassAudit, id, "drive_authorised", "by", "command", "limit", c.limit.String())})
	return nil
}

func (c *car) sendDrive(allowed bool, speed int) error {
	if c.o.Bus != nil {
		sig := map[string]float64{c.o.DriveCommand: 0}
		if allowed {
			sig[c.o.DriveCommand] = 1
		}
		if c.o.SpeedLimitSignal != "" {
			sig[c.o.SpeedLimitSignal] = float64(speed)
		}
		if err := c.o.Bus.Send(sig); err != nil {
			return fmt.Errorf("devices: vehicle %q: sending drive authorisation: %w", c.o.ID, err)
		}
		return nil
	}
	lvl := !c.o.Active
	if allowed {
		lvl = c.o.Active
	}
	return c.h.out(c.drivePin, lvl)
}

// windowOver ends the window: the immobiliser re-arms unless the ignition
// is on (or unknown: it may be on), when it waits for ignition off.
func (c *car) windowOver() {
	if c.shut || !c.allowed {
		return
	}
	if c.ignition != off || c.lost {
		c.rearm = true
		return
	}
	c.rearmNow("window_over")
}

// withdraw re-arms now, or at ignition off: a running car is never stopped.
func (c *car) withdraw() {
	if !c.allowed {
		return
	}
	if c.ignition != off || c.lost {
		c.rearm = true
		c.note(c.o.Drive, []Event{newEvent(ClassAudit, c.o.Drive, "rearm_deferred", "reason", "ignition_on")})
		return
	}
	c.rearmNow("command")
}

func (c *car) rearmNow(reason string) {
	c.driveT.stop()
	c.sendDrive(false, 0) // towards safe: a failure is logged, the state says re-armed
	c.allowed, c.rearm, c.limit = false, false, wire.DriveLimit{}
	c.note(c.o.Drive, []Event{newEvent(ClassAudit, c.o.Drive, "drive_rearmed", "reason", reason)})
}

// ---- inputs (GPIO watchers and CAN status)

func (c *car) ignitionAtStart(active bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ignition = triOf(active)
}

func (c *car) ignitionChanged(active bool, _ time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.shut {
		c.setIgnition(triOf(active))
	}
}

func (c *car) setIgnition(v tri) {
	if v == c.ignition {
		return
	}
	c.ignition = v
	var evs []Event
	if v == on {
		evs = append(evs, newEvent(ClassAudit, c.o.Ignition, "ignition_on"))
		if !c.allowed {
			// Someone started the car without an authorisation: the
			// immobiliser should have stopped it (a bypass, or a car
			// whose immobiliser the unit does not control yet).
			evs = append(evs, newEvent(ClassAudit, c.o.Ignition, "alarm", "alarm", "ignition_without_authorisation"))
		}
		c.note(c.o.Ignition, evs)
		return
	}
	c.note(c.o.Ignition, []Event{newEvent(ClassAudit, c.o.Ignition, "ignition_off")})
	if c.allowed { // ignition off ends a drive: the next start needs a new proof
		c.rearmNow("ignition_off")
	}
}

func (c *car) ajarAtStart(d *carDoor) func(bool) {
	return func(active bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		d.ajar = triOf(active)
	}
}

func (c *car) ajarChanged(d *carDoor) func(bool, time.Time) {
	return func(active bool, _ time.Time) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.shut {
			c.setAjar(d, triOf(active))
		}
	}
}

func (c *car) setAjar(d *carDoor, v tri) {
	if v == d.ajar {
		return
	}
	d.ajar = v
	typ := "door_closed"
	if v == on {
		typ = "door_opened"
		d.relockT.stop() // someone got in or out: no auto relock
	}
	c.note(d.o.ID, []Event{newEvent(ClassAudit, d.o.ID, typ)})
}

// VehicleStatus takes the signals of one status frame of a CAN car, by DBC
// name: door lock status, door ajar, ignition. It restarts the silence
// watchdog and clears a bus_silent alarm. Signals it does not know are
// ignored. It does nothing on a Hub without a CAN vehicle.
func (h *Hub) VehicleStatus(values map[string]float64) {
	c := h.car
	if c == nil || c.o.Bus == nil {
		return
	}
	// The flusher writes the records: a slow disk must not stall the
	// bus reader into missing frames.
	defer h.journal.kickFlush()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shut {
		return
	}
	c.armSilence()
	if c.lost {
		c.lost = false
		c.note(c.o.ID, []Event{newEvent(ClassAudit, c.o.ID, "alarm_cleared", "alarm", "bus_silent")})
	}
	for _, d := range c.doors {
		if v, ok := values[d.o.LockStatus]; ok {
			c.note(d.o.ID, c.doorLocked(d, v == 1, "reason", "status"))
		}
		if v, ok := values[d.o.AjarSignal]; ok {
			c.setAjar(d, triOf(v == 1))
		}
	}
	if v, ok := values[c.o.IgnitionSignal]; ok {
		c.setIgnition(triOf(v == 1))
	}
}

// simulate drives the car's inputs from outside: GPIO through the
// Simulator; a CAN car is simulated by its bus (a simulated body
// controller), not here.
func (c *car) simulate(p *carPart, action, value string) error {
	if err := noValue(p.kind, p.id, action, value); err != nil {
		return err
	}
	if c.o.Bus != nil {
		return errNotSimulated(p.kind, p.id, action, "the CAN bus")
	}
	pin, what := c.o.IgnitionPin, "ignition pin "+c.o.IgnitionPin
	active := action == "on"
	if p.kind == KindDoor {
		if p.door.o.Ajar == "" {
			return errUnknownAction(p.kind, p.id, action, p.actions()...)
		}
		pin, what, active = p.door.o.Ajar, "ajar switch "+p.door.o.Ajar, action == "door-open"
	}
	lvl := c.o.InputActive
	if !active {
		lvl = !lvl
	}
	return c.h.simulate(p.kind, p.id, action, what, func(s Simulator) error { return s.SetInput(pin, lvl) })
}

func triOf(b bool) tri {
	if b {
		return on
	}
	return off
}

// ---- device interface

// carSaved is what a car's devices record. Only the drive authorisation is
// restored, and only when the ignition is on at Start: an agent restarted
// while the car is driven must not cut it; a car started without a
// recorded authorisation gets none from a restart.
type carSaved struct {
	State   string `cbor:"state"`
	Until   int64  `cbor:"until,omitempty"` // Unix ms, drive
	Limit   string `cbor:"limit,omitempty"`
	Pending bool   `cbor:"rearm,omitempty"`
}

// note records events of the car's device id with its state.
func (c *car) note(id string, evs []Event) {
	if len(evs) == 0 {
		return
	}
	for _, p := range c.parts() {
		if p.id == id {
			st := p.stateLocked()
			s := carSaved{State: st.State}
			if p.kind == KindDrive && c.allowed {
				s.Until, s.Limit, s.Pending = c.until.UnixMilli(), c.limit.String(), c.rearm
			}
			c.h.journal.note(id, encode(s), evs)
			return
		}
	}
}

func (p *carPart) restore(b []byte) error {
	if p.kind != KindDrive {
		return nil
	}
	var s carSaved
	if err := decode(b, &s); err != nil {
		return err
	}
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	p.c.saved = &s
	return nil
}

// restoreDrive keeps a recorded authorisation when the ignition reads on
// at Start (GPIO: the inputs are read by then). A CAN car's ignition is
// unknown at Start, so its drive stays armed: the body controller keeps a
// running engine running on its own.
func (c *car) restoreDrive() {
	s := c.saved
	c.saved = nil
	if s == nil || s.State != "authorised" || c.ignition != on || c.shut {
		return
	}
	if err := c.sendDrive(true, 0); err != nil {
		return
	}
	c.allowed, c.rearm = true, true // re-arm at ignition off
	c.limit, _ = wire.ParseDriveLimit(s.Limit)
	c.until = time.UnixMilli(s.Until)
	c.h.log.Warn("devices: drive authorisation kept across a restart: the ignition is on", "drive", c.o.Drive)
}

func (p *carPart) shutdown() {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shut {
		return
	}
	c.shut = true
	c.silentT.stop()
	c.trunkT.stop()
	for _, d := range c.doors {
		d.relockT.stop()
	}
	if c.o.Bus == nil {
		for _, d := range c.doors {
			c.h.out(d.relay, !c.o.Active)
			c.note(d.o.ID, c.doorLocked(d, true, "reason", "shutdown"))
		}
		if c.trunkPin != nil {
			c.h.out(c.trunkPin, !c.o.Active)
		}
	}
	// The immobiliser is left as it is: a shutdown while driving must not
	// cut the car; the relay re-arms on its own when the unit loses power.
	c.driveT.stop()
}

func (p *carPart) state() State {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	return p.stateLocked()
}

func (p *carPart) stateLocked() State {
	c := p.c
	s := State{ID: p.id, Kind: p.kind, Attrs: map[string]any{}}
	word := func(v tri, onW, offW string) string {
		switch {
		case c.lost || v == unknown:
			return "unknown"
		case v == on:
			return onW
		}
		return offW
	}
	switch p.kind {
	case KindDoor:
		s.Name = p.door.o.Name
		s.State = word(p.door.locked, "locked", "unlocked")
		if p.door.o.Ajar != "" || p.door.o.AjarSignal != "" {
			s.Attrs["door"] = word(p.door.ajar, "open", "closed")
		}
	case KindCentralLock:
		s.Name = c.o.Name
		s.State = "locked"
		var ajar []string
		for _, d := range c.doors {
			switch w := word(d.locked, "locked", "unlocked"); {
			case w == "unknown":
				s.State = "unknown"
			case w == "unlocked" && s.State != "unknown":
				s.State = "unlocked"
			}
			if d.ajar == on && !c.lost {
				ajar = append(ajar, d.o.ID)
			}
		}
		if ajar != nil {
			s.Attrs["ajar"] = ajar
		}
		if c.lost {
			s.Attrs["alarms"] = []string{"bus_silent"}
		}
	case KindTrunk:
		s.State = "closed"
		if c.trunkT.t != nil {
			s.State = "releasing"
		}
	case KindDrive:
		s.State = "armed"
		if c.allowed {
			s.State = "authorised"
			s.Attrs["until"] = c.until.UTC().Format(time.RFC3339)
			if l := c.limit.String(); l != "" {
				s.Attrs["limit"] = l
			}
			if c.rearm {
				s.Attrs["rearm"] = "at ignition off"
			}
		}
		if c.lost || c.ignition == unknown {
			s.Attrs["vehicle"] = "unknown"
		}
	case KindIgnition:
		s.State = word(c.ignition, "on", "off")
	case KindChargePort:
		s.State = word(c.charge, "locked", "unlocked")
	}
	if len(s.Attrs) == 0 {
		s.Attrs = nil
	}
	return s
}

// VehicleState is what drive and door policy needs to know of the car.
type VehicleState struct {
	Known    bool     // false while the CAN status is missing
	Ignition bool     // on
	Ajar     []string // door ids open
}

// Vehicle returns the car's state for the policy; ok is false on a Hub
// without a vehicle.
func (h *Hub) Vehicle() (VehicleState, bool) {
	c := h.car
	if c == nil {
		return VehicleState{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	vs := VehicleState{Known: !c.lost && c.ignition != unknown, Ignition: c.ignition == on}
	for _, d := range c.doors {
		if d.ajar == on {
			vs.Ajar = append(vs.Ajar, d.o.ID)
		}
	}
	if !vs.Known {
		vs.Ajar = nil
	}
	slices.Sort(vs.Ajar)
	return vs, true
}

func (h *Hub) addCar(c *car) {
	h.car = c
	for _, p := range c.parts() {
		h.add(p.id, p)
	}
}

// kickFlush wakes the flusher without waiting for it.
func (q *journalQueue) kickFlush() {
	select {
	case q.kick <- struct{}{}:
	default: // already kicked: that flush writes ours too
	}
}
