package config

import (
	"path/filepath"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
)

// Vehicle is the [vehicle] table: a car reached through GPIO relays, or
// through its CAN bus when [vehicle.can] names a DBC file. Keys left out
// take devices.DefaultVehicleOpts and localauth.DefaultVehiclePolicy.
type Vehicle struct {
	// ID is the central-locking device; drive, ignition, trunk and
	// charge_port are the other devices' ids (trunk, charge_port optional).
	ID         string `toml:"id"`
	Name       string `toml:"name"`
	Drive      string `toml:"drive"`
	Ignition   string `toml:"ignition"`
	Trunk      string `toml:"trunk"`
	ChargePort string `toml:"charge_port"`
	Doors      []Door `toml:"door"`

	// GPIO retrofit.
	DriveRelay  string   `toml:"drive_relay"`
	TrunkRelay  string   `toml:"trunk_relay"`
	ChargeRelay string   `toml:"charge_relay"`
	IgnitionPin string   `toml:"ignition_pin"`
	Active      Level    `toml:"active"`
	InputActive Level    `toml:"input_active"`
	Debounce    Duration `toml:"debounce"`

	DriveWindow Duration `toml:"drive_window"`
	TrunkPulse  Duration `toml:"trunk_pulse"`
	AutoRelock  Duration `toml:"auto_relock"`

	// Policy: a drive authorisation needs a holder proof within
	// proof_within and (unless door_first = false) a door unlocked by the
	// same holder within door_within.
	ProofWithin Duration `toml:"proof_within"`
	DoorFirst   *bool    `toml:"door_first"`
	DoorWithin  Duration `toml:"door_within"`

	CAN *VehicleCAN `toml:"can"`
}

// Door is one [[vehicle.door]]: a relay and an ajar switch (GPIO), or
// DBC signal names (CAN).
type Door struct {
	ID          string `toml:"id"`
	Name        string `toml:"name"`
	Relay       string `toml:"relay"`
	Ajar        string `toml:"ajar"`
	LockCommand string `toml:"lock_command"`
	LockStatus  string `toml:"lock_status"`
	AjarSignal  string `toml:"ajar_signal"`
}

// VehicleCAN is [vehicle.can]: the interface, the DBC file (relative to
// the config file's directory unless absolute) and the signal names.
type VehicleCAN struct {
	Interface      string   `toml:"interface"`
	DBC            string   `toml:"dbc"`
	DriveCommand   string   `toml:"drive_command"`
	TrunkCommand   string   `toml:"trunk_command"`
	ChargeCommand  string   `toml:"charge_command"`
	SpeedLimit     string   `toml:"speed_limit"`
	IgnitionSignal string   `toml:"ignition"`
	StatusPeriod   Duration `toml:"status_period"`
	StatusLost     int      `toml:"status_lost"`
	// ChargeStatus is not read yet: the charge port's state is what was
	// last commanded.
}

// VehicleOpts maps [vehicle] onto the devices package's options, without
// the bus (the agent opens it: canbus). Nil without a [vehicle] table.
func (c *Config) VehicleOpts() *devices.VehicleOpts {
	d := c.Vehicle
	if d == nil {
		return nil
	}
	o := devices.DefaultVehicleOpts
	o.ID, o.Name, o.Drive, o.Ignition, o.Trunk, o.ChargePort = d.ID, d.Name, d.Drive, d.Ignition, d.Trunk, d.ChargePort
	o.DriveRelay, o.TrunkRelay, o.ChargeRelay, o.IgnitionPin = d.DriveRelay, d.TrunkRelay, d.ChargeRelay, d.IgnitionPin
	setLevel(&o.Active, d.Active)
	setLevel(&o.InputActive, d.InputActive)
	setDuration(&o.Debounce, d.Debounce)
	setDuration(&o.DriveWindow, d.DriveWindow)
	setDuration(&o.TrunkPulse, d.TrunkPulse)
	setDuration(&o.AutoRelock, d.AutoRelock)
	for _, x := range d.Doors {
		o.Doors = append(o.Doors, devices.DoorOpts{ID: x.ID, Name: x.Name, Relay: x.Relay, Ajar: x.Ajar,
			LockCommand: x.LockCommand, LockStatus: x.LockStatus, AjarSignal: x.AjarSignal})
	}
	if k := d.CAN; k != nil {
		o.DriveCommand, o.TrunkCommand, o.ChargeCommand = k.DriveCommand, k.TrunkCommand, k.ChargeCommand
		o.IgnitionSignal, o.SpeedLimitSignal = k.IgnitionSignal, k.SpeedLimit
		setDuration(&o.StatusPeriod, k.StatusPeriod)
		if k.StatusLost != 0 {
			o.StatusLost = k.StatusLost
		}
	}
	return &o
}

// CANSignals are the DBC signal names the hub writes (commands) and reads
// (status), for canbus.Load.
func (k *VehicleCAN) CANSignals(v *Vehicle) (commands, status []string) {
	add := func(list *[]string, names ...string) {
		for _, n := range names {
			if n != "" {
				*list = append(*list, n)
			}
		}
	}
	add(&commands, k.DriveCommand, k.TrunkCommand, k.ChargeCommand, k.SpeedLimit)
	add(&status, k.IgnitionSignal)
	for _, d := range v.Doors {
		add(&commands, d.LockCommand)
		add(&status, d.LockStatus, d.AjarSignal)
	}
	return commands, status
}

// DBCPath is the DBC file, relative to the config file's directory.
func (k *VehicleCAN) DBCPath(configFile string) string {
	if filepath.IsAbs(k.DBC) {
		return k.DBC
	}
	return filepath.Join(filepath.Dir(configFile), k.DBC)
}

// VehiclePolicy is the policy localauth adds for the car; nil without one.
// State is left for the agent to wire to the hub.
func (c *Config) VehiclePolicy() *localauth.VehiclePolicy {
	d := c.Vehicle
	if d == nil {
		return nil
	}
	p := localauth.DefaultVehiclePolicy
	p.Doors = []string{d.ID}
	for _, x := range d.Doors {
		p.Doors = append(p.Doors, x.ID)
	}
	p.Trunk, p.Drive, p.ChargePort = d.Trunk, d.Drive, d.ChargePort
	setDuration(&p.ProofWithin, d.ProofWithin)
	setDuration(&p.DoorWithin, d.DoorWithin)
	if d.DoorFirst != nil {
		p.DoorFirst = *d.DoorFirst
	}
	return &p
}

// validate checks [vehicle]: ids and pins with the other devices', then
// what the devices package accepts (with a placeholder bus for CAN, whose
// signals canbus checks against the DBC at start).
func (d *Vehicle) validate(v *validator, c *Config) {
	if d == nil {
		return
	}
	ids := []struct{ key, id string }{{"id", d.ID}, {"drive", d.Drive}, {"ignition", d.Ignition}}
	if d.Trunk != "" {
		ids = append(ids, struct{ key, id string }{"trunk", d.Trunk})
	}
	if d.ChargePort != "" {
		ids = append(ids, struct{ key, id string }{"charge_port", d.ChargePort})
	}
	for _, x := range ids {
		v.id("vehicle."+x.key, 0, x.id)
	}
	for i, x := range d.Doors {
		w := v.id("vehicle.door", i, x.ID)
		v.pin(w, "relay", x.Relay, false)
		v.pin(w, "ajar", x.Ajar, false)
	}
	v.pin("vehicle", "drive_relay", d.DriveRelay, false)
	v.pin("vehicle", "trunk_relay", d.TrunkRelay, false)
	v.pin("vehicle", "charge_relay", d.ChargeRelay, false)
	v.pin("vehicle", "ignition_pin", d.IgnitionPin, false)
	v.level("vehicle", "active", d.Active)
	v.level("vehicle", "input_active", d.InputActive)
	for _, x := range []struct {
		key string
		d   Duration
	}{{"proof_within", d.ProofWithin}, {"door_within", d.DoorWithin}} {
		v.positive("vehicle", x.key, x.d)
	}
	if d.ProofWithin.D() > localauth.MaxChallengeTTL {
		v.fail("vehicle.proof_within", "%s is longer than a challenge lives (%s)", d.ProofWithin.D(), localauth.MaxChallengeTTL)
	}
	o := c.VehicleOpts()
	if d.CAN != nil {
		if d.CAN.Interface == "" {
			v.fail("vehicle.can.interface", `missing (e.g. "can0")`)
		}
		if d.CAN.DBC == "" {
			v.fail("vehicle.can.dbc", "missing (the DBC file that describes the car's frames)")
		}
		o.Bus = placeholderBus{}
	}
	v.device("vehicle", o.Validate())
}

type placeholderBus struct{}

func (placeholderBus) Send(map[string]float64) error { return nil }
