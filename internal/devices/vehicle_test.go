package devices

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// carConfig is a GPIO retrofit car: two doors with ajar switches, trunk,
// drive relay, ignition input, charge port.
func carConfig() Config {
	return Config{Vehicle: new(with(DefaultVehicleOpts, func(o *VehicleOpts) {
		o.ID, o.Drive, o.Ignition, o.Trunk, o.ChargePort = "car", "drive", "ignition", "trunk", "charge"
		o.Doors = []DoorOpts{
			{ID: "door-fl", Relay: "GPIO5", Ajar: "GPIO6"},
			{ID: "door-fr", Relay: "GPIO13", Ajar: "GPIO19"},
		}
		o.DriveRelay, o.TrunkRelay, o.ChargeRelay, o.IgnitionPin = "GPIO17", "GPIO27", "GPIO22", "GPIO26"
	}))}
}

// Pins of carConfig; inputs are active low.
const (
	pinFL, pinFLAjar, pinFRAjar, pinDrive, pinTrunk, pinIgnition = "GPIO5", "GPIO6", "GPIO19", "GPIO17", "GPIO27", "GPIO26"
)

func (r *rig) input(pin string, active bool) {
	r.t.Helper()
	l := gpio.High
	if active {
		l = gpio.Low
	}
	r.set(pin, l)
	r.advance(DefaultVehicleOpts.Debounce)
}

func TestVehicleStartsSafe(t *testing.T) {
	r := newRig(t, carConfig())
	for _, p := range []string{pinFL, "GPIO13", pinDrive, pinTrunk, "GPIO22"} {
		if !r.pin(p).IsOutput() || r.level(p) != "L" {
			t.Errorf("%s = output %v level %s before Start, want driven L (locked, immobilised)", p, r.pin(p).IsOutput(), r.level(p))
		}
	}
	r.h.Start(r.j, nil)
	for id, want := range map[string]string{"car": "locked", "door-fl": "locked", "drive": "armed", "ignition": "off", "trunk": "closed", "charge": "locked"} {
		if got := r.get(id).State; got != want {
			t.Errorf("%s = %s, want %s", id, got, want)
		}
	}
}

// The immobiliser's whole life: authorised for a window, held while the
// ignition is on (the window passing and a withdrawal do not cut a
// running car), re-armed at ignition off.
func TestVehicleDriveHeldWhileIgnitionOn(t *testing.T) {
	r := started(t, carConfig())
	r.do("drive", "authorise", "")
	if r.level(pinDrive) != "H" {
		t.Fatal("authorise did not energise the drive relay")
	}
	r.input(pinIgnition, true)
	r.advance(DefaultVehicleOpts.DriveWindow + time.Minute)
	if st := r.get("drive"); st.State != "authorised" || r.level(pinDrive) != "H" {
		t.Fatalf("window passed with the ignition on: %+v relay %s, want held", st, r.level(pinDrive))
	}
	st := r.do("drive", "rearm", "")
	if st.State != "authorised" || st.Attrs["rearm"] != "at ignition off" || r.level(pinDrive) != "H" {
		t.Fatalf("rearm with the ignition on: %+v relay %s, want held until ignition off", st, r.level(pinDrive))
	}
	r.input(pinIgnition, false)
	if st := r.get("drive"); st.State != "armed" || r.level(pinDrive) != "L" {
		t.Fatalf("after ignition off: %+v relay %s, want armed", st, r.level(pinDrive))
	}
	eq(t, "drive events", r.j.types("drive"), []string{"drive_authorised(command)", "rearm_deferred(ignition_on)", "drive_rearmed(ignition_off)"})
	eq(t, "ignition events", r.j.types("ignition"), []string{"ignition_on", "ignition_off"})
}

func TestVehicleDriveWindowPassesUnused(t *testing.T) {
	r := started(t, carConfig())
	r.do("drive", "authorise", "window=30s")
	r.advance(30*time.Second - time.Millisecond)
	if r.level(pinDrive) != "H" {
		t.Fatal("re-armed before the window ended")
	}
	r.advance(time.Millisecond)
	if st := r.get("drive"); st.State != "armed" || r.level(pinDrive) != "L" {
		t.Fatalf("window over, ignition off: %+v relay %s, want armed", st, r.level(pinDrive))
	}
	// The value never widens the configured window.
	st := r.do("drive", "authorise", "window=10h")
	if st.Attrs["limit"] != "window=2m0s" {
		t.Errorf("limit = %v, want the configured 2m window", st.Attrs["limit"])
	}
}

func TestVehicleIgnitionWithoutAuthorisationRaisesAlarm(t *testing.T) {
	r := started(t, carConfig())
	r.input(pinIgnition, true)
	eq(t, "ignition events", r.j.types("ignition"), []string{"ignition_on", "alarm(ignition_without_authorisation)"})
	if r.level(pinDrive) != "L" {
		t.Error("the immobiliser released by a start without authorisation")
	}
}

func TestVehicleCentralLockWithDoorAjar(t *testing.T) {
	r := started(t, carConfig())
	r.do("car", "unlock", "")
	r.input(pinFRAjar, true)
	st := r.do("car", "lock", "")
	if st.State != "locked" || !reflect.DeepEqual(st.Attrs["ajar"], []string{"door-fr"}) {
		t.Fatalf("central lock with door-fr ajar: %+v", st)
	}
	if r.level(pinFL) != "L" || r.level("GPIO13") != "L" {
		t.Error("not every door relay is locked")
	}
	evs := r.j.events("car")
	last := evs[len(evs)-1]
	if last.Type != "locked_with_door_ajar" || !reflect.DeepEqual(last.Data["ajar"], []string{"door-fr"}) {
		t.Errorf("last central event = %+v, want locked_with_door_ajar naming door-fr", last)
	}
}

func TestVehicleAutoRelockUnlessADoorOpened(t *testing.T) {
	r := started(t, carConfig())
	r.do("door-fl", "unlock", "")
	r.advance(DefaultVehicleOpts.AutoRelock)
	if r.get("door-fl").State != "locked" || r.level(pinFL) != "L" {
		t.Fatal("an unlocked door nobody opened did not relock")
	}
	r.do("door-fl", "unlock", "")
	r.input(pinFLAjar, true)
	r.advance(DefaultVehicleOpts.AutoRelock)
	if r.get("door-fl").State != "unlocked" {
		t.Fatal("relocked a door someone opened")
	}
	eq(t, "door events", r.j.types("door-fl"), []string{"unlocked(command)", "locked(auto_relock)", "unlocked(command)", "door_opened"})
}

func TestVehicleTrunkIsAPulse(t *testing.T) {
	r := started(t, carConfig())
	r.do("trunk", "release", "")
	if r.level(pinTrunk) != "H" {
		t.Fatal("trunk relay not energised")
	}
	r.advance(DefaultVehicleOpts.TrunkPulse)
	if r.level(pinTrunk) != "L" {
		t.Fatal("trunk relay still energised after the pulse")
	}
}

func TestVehicleEveryChangeIsAudit(t *testing.T) {
	r := started(t, carConfig())
	r.do("car", "unlock", "")
	r.input(pinFLAjar, true)
	r.input(pinFLAjar, false)
	r.do("trunk", "release", "")
	r.do("charge", "unlock", "")
	r.do("drive", "authorise", "")
	r.input(pinIgnition, true)
	r.input(pinIgnition, false)
	r.do("car", "lock", "")
	all := r.j.all()
	for _, e := range all {
		if e.Class != ClassAudit {
			t.Errorf("%s %s is %s, want audit", e.Device, e.Type, e.Class)
		}
	}
	if n := len(all); n < 12 {
		t.Errorf("%d events, want every change recorded", n)
	}
}

// An agent restarted while the car is driven keeps the authorisation the
// journal recorded; a car started (hot-wired) without one gets none from a
// restart.
func TestVehicleRestartWhileDriving(t *testing.T) {
	r := started(t, carConfig())
	r.do("drive", "authorise", "")
	r.input(pinIgnition, true)
	saved := r.j.saved()
	r.h.Shutdown()

	for _, tc := range []struct {
		name  string
		saved map[string][]byte
		want  string
	}{{"authorised before", saved, "H"}, {"never authorised", nil, "L"}} {
		t.Run(tc.name, func(t *testing.T) {
			r2 := newRig(t, carConfig())
			r2.pin(pinIgnition).Set(gpio.Low) // ignition on
			r2.h.Start(r2.j, tc.saved)
			if r2.level(pinDrive) != tc.want {
				t.Fatalf("drive relay %s, want %s", r2.level(pinDrive), tc.want)
			}
			if tc.want == "H" {
				r2.input(pinIgnition, false)
				if r2.level(pinDrive) != "L" {
					t.Fatal("kept authorisation not re-armed at ignition off")
				}
			}
		})
	}
}

func TestVehicleValidate(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		f          func(*VehicleOpts)
	}{
		{"no doors", "door: missing", func(o *VehicleOpts) { o.Doors = nil }},
		{"no drive relay", "drive_relay: missing", func(o *VehicleOpts) { o.DriveRelay = "" }},
		{"shared pin", `pin "GPIO5" is already used`, func(o *VehicleOpts) { o.DriveRelay = "GPIO5" }},
		{"duplicate id", "duplicate device id", func(o *VehicleOpts) { o.Trunk = "door-fl" }},
		{"bus without signals", "lock_command: missing", func(o *VehicleOpts) { o.Bus = &fakeBus{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := carConfig()
			tc.f(cfg.Vehicle)
			_, err := New(cfg, NewSim(nil).Options())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestVehicleDoErrorsChangeNothing(t *testing.T) {
	tests := []struct {
		id, action, value string
		want              error
	}{
		{"door-fl", "open", "", ErrUnknownAction},
		{"door-fl", "unlock", "x", ErrBadValue},
		{"car", "release", "", ErrUnknownAction},
		{"trunk", "release", "now", ErrBadValue},
		{"drive", "authorise", "window=forever", ErrBadValue},
		{"drive", "authorise", "speed=900", ErrBadValue},
		{"drive", "authorise", "colour=red", ErrBadValue},
		{"drive", "rearm", "1", ErrBadValue},
		{"ignition", "start", "", ErrUnknownAction},
		{"charge", "release", "", ErrUnknownAction},
	}
	r := started(t, carConfig())
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
			if !strings.Contains(err.Error(), `"`+tt.id+`"`) || !strings.Contains(err.Error(), tt.action) {
				t.Errorf("error %q does not name the device and action", err)
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

// fakeBus records the command frames a CAN car sends.
type fakeBus struct {
	mu   sync.Mutex
	sent []map[string]float64
	fail error
}

func (b *fakeBus) Send(s map[string]float64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.sent = append(b.sent, maps.Clone(s))
	return nil
}

func (b *fakeBus) last() map[string]float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.sent) == 0 {
		return nil
	}
	return b.sent[len(b.sent)-1]
}

// drive is the last DriveAllowed sent, -1 for none.
func (b *fakeBus) drive() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.sent) - 1; i >= 0; i-- {
		if v, ok := b.sent[i]["DriveAllowed"]; ok {
			return v
		}
	}
	return -1
}

// busConfig is carConfig reached over CAN, with the signal names of
// deploy/vehicle/simcar.dbc.
func busConfig(b Bus) Config {
	return Config{Vehicle: new(with(DefaultVehicleOpts, func(o *VehicleOpts) {
		o.ID, o.Drive, o.Ignition, o.Trunk = "car", "drive", "ignition", "trunk"
		o.Doors = []DoorOpts{
			{ID: "door-fl", LockCommand: "LockCmdFL", LockStatus: "LockedFL", AjarSignal: "AjarFL"},
			{ID: "door-fr", LockCommand: "LockCmdFR", LockStatus: "LockedFR", AjarSignal: "AjarFR"},
		}
		o.Bus, o.DriveCommand, o.TrunkCommand, o.IgnitionSignal, o.SpeedLimitSignal = b, "DriveAllowed", "TrunkRelease", "Ignition", "SpeedLimit"
	}))}
}

var statusOff = map[string]float64{"LockedFL": 1, "LockedFR": 1, "AjarFL": 0, "AjarFR": 0, "Ignition": 0}

func TestVehicleBusStatusAndSilence(t *testing.T) {
	bus := &fakeBus{}
	r := started(t, busConfig(bus))
	if _, err := r.h.Do("drive", "authorise", ""); !errors.Is(err, ErrVehicleUnknown) {
		t.Fatalf("authorise before any status = %v, want ErrVehicleUnknown", err)
	}
	if len(bus.sent) != 0 {
		t.Fatal("a refused authorisation sent a frame")
	}
	r.h.VehicleStatus(statusOff)
	if st := r.get("car"); st.State != "locked" {
		t.Fatalf("car = %+v after a status frame", st)
	}
	r.do("door-fl", "unlock", "")
	if got := bus.last(); !reflect.DeepEqual(got, map[string]float64{"LockCmdFL": 2}) {
		t.Fatalf("unlock sent %v", got)
	}
	r.h.VehicleStatus(map[string]float64{"LockedFL": 0, "LockedFR": 1, "Ignition": 0})
	if r.get("door-fl").State != "unlocked" {
		t.Fatal("status frame did not update the door")
	}
	r.do("drive", "authorise", "speed=40")
	if got := bus.last(); got["DriveAllowed"] != 1 || got["SpeedLimit"] != 40 {
		t.Fatalf("authorise sent %v", got)
	}
	r.h.VehicleStatus(map[string]float64{"Ignition": 1})

	// Two lost frames: nothing happens, even when the next one comes on
	// its due time; the third lost raises the alarm.
	p := DefaultVehicleOpts.StatusPeriod
	r.advance(3 * p)
	if r.get("ignition").State != "on" {
		t.Fatal("two lost frames and the third due now made the state unknown")
	}
	r.h.VehicleStatus(map[string]float64{"Ignition": 1})
	r.advance(3 * p)
	r.advance(p / 2)
	if st := r.get("car"); st.State != "unknown" || !reflect.DeepEqual(st.Attrs["alarms"], []string{"bus_silent"}) {
		t.Fatalf("after 3 lost frames: %+v", st)
	}
	// The window passes while the bus is silent: never withdrawn blind.
	r.advance(DefaultVehicleOpts.DriveWindow)
	if bus.drive() != 1 || r.get("drive").State != "authorised" {
		t.Fatal("drive withdrawn while the ignition may be on")
	}
	r.h.VehicleStatus(statusOff)
	if bus.drive() != 0 || r.get("drive").State != "armed" {
		t.Fatal("not re-armed once the status showed the ignition off")
	}
	eq(t, "car events", r.j.types("car"), []string{"alarm_cleared(bus_silent)", "alarm(bus_silent)", "alarm_cleared(bus_silent)"})

	r.advance(3*p + p/2)
	if _, err := r.h.Do("drive", "authorise", ""); !errors.Is(err, ErrVehicleUnknown) {
		t.Fatalf("authorise on a silent bus = %v, want ErrVehicleUnknown", err)
	}
}

func TestVehicleBusSendFailureChangesNothing(t *testing.T) {
	bus := &fakeBus{}
	r := started(t, busConfig(bus))
	r.h.VehicleStatus(statusOff)
	bus.fail = errors.New("no buffer space")
	n := r.j.count()
	if _, err := r.h.Do("drive", "authorise", ""); err == nil || !strings.Contains(err.Error(), "no buffer space") {
		t.Fatalf("err = %v", err)
	}
	if r.get("drive").State != "armed" || r.j.count() != n {
		t.Fatal("a failed send changed the state or the journal")
	}
}
