package config

import (
	"errors"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/devices"
)

// Devices maps the device tables onto the devices package's options. A key
// the file does not set keeps that package's default (devices.DefaultLockOpts
// ...): the defaults have one owner, and this is only the key mapping. Call it
// on a Config from Load or Parse, whose keys are checked.
func (c *Config) Devices() devices.Config {
	out := devices.Config{OneWireRoot: c.OneWireRoot}
	for _, d := range c.Locks {
		out.Locks = append(out.Locks, d.opts())
	}
	for _, d := range c.Switches {
		out.Switches = append(out.Switches, d.opts())
	}
	for _, d := range c.Boilers {
		out.Boilers = append(out.Boilers, d.opts())
	}
	for _, d := range c.Covers {
		out.Covers = append(out.Covers, d.opts())
	}
	for _, d := range c.Inputs {
		out.Inputs = append(out.Inputs, d.opts())
	}
	out.Vehicle = c.VehicleOpts()
	out.Nodes = c.nodeOpts()
	return out
}

func (d Lock) opts() devices.LockOpts {
	o := devices.DefaultLockOpts
	o.ID, o.Name, o.Relay, o.Fail = d.ID, d.Name, d.Relay, d.Fail
	o.Contact, o.ExitButton = d.Contact, d.ExitButton
	setLevel(&o.Active, d.Active)
	setLevel(&o.ContactActive, d.ContactActive)
	setLevel(&o.ExitButtonActive, d.ExitButtonActive)
	setDuration(&o.RelockAfter, d.RelockAfter)
	setDuration(&o.LeftOpenAfter, d.LeftOpenAfter)
	setDuration(&o.Debounce, d.Debounce)
	return o
}

func (d Switch) opts() devices.SwitchOpts {
	o := devices.DefaultSwitchOpts
	o.ID, o.Name, o.Relay = d.ID, d.Name, d.Relay
	setLevel(&o.Active, d.Active)
	if d.Restore != nil {
		o.Restore = *d.Restore
	}
	return o
}

func (d Boiler) opts() devices.BoilerOpts {
	o := devices.DefaultBoilerOpts
	o.ID, o.Name, o.Relay, o.Sensor = d.ID, d.Name, d.Relay, d.Sensor
	setLevel(&o.Active, d.Active)
	setFloat(&o.Setpoint, d.Setpoint)
	setFloat(&o.Hysteresis, d.Hysteresis)
	setFloat(&o.Frost, d.Frost)
	setDuration(&o.MinCycle, d.MinCycle)
	setDuration(&o.MaxRun, d.MaxRun)
	setDuration(&o.Poll, d.Poll)
	setDuration(&o.StaleAfter, d.StaleAfter)
	return o
}

func (d Cover) opts() devices.CoverOpts {
	o := devices.DefaultCoverOpts
	o.ID, o.Name, o.Up, o.Down = d.ID, d.Name, d.Up, d.Down
	setLevel(&o.Active, d.Active)
	setDuration(&o.Travel, d.Travel)
	setDuration(&o.ReverseDelay, d.ReverseDelay)
	return o
}

// pulls maps the pull key's words; validate rejects any other.
var pulls = map[string]gpio.Pull{"up": gpio.PullUp, "down": gpio.PullDown, "none": gpio.Float}

func (d Input) opts() devices.InputOpts {
	o := devices.DefaultInputOpts
	o.ID, o.Name, o.Pin, o.Type = d.ID, d.Name, d.Pin, d.Type
	setLevel(&o.Active, d.Active)
	if p, ok := pulls[d.Pull]; ok {
		o.Pull = p
	}
	setDuration(&o.Debounce, d.Debounce)
	return o
}

// setLevel, setDuration and setFloat overwrite a default with a key the
// file sets ("", 0 and nil are unset: a zero duration is never a useful
// one, so "0s" means the default).
func setLevel(dst *gpio.Level, l Level) {
	switch l {
	case High:
		*dst = gpio.High
	case Low:
		*dst = gpio.Low
	}
}

func setDuration(dst *time.Duration, d Duration) {
	if d != 0 {
		*dst = d.D()
	}
}

func setFloat(dst *float64, f *float64) {
	if f != nil {
		*dst = *f
	}
}

// device checks one device's options as the devices package will use them,
// and names the file's key in its error: boiler[1] (hall).setpoint.
func (v *validator) device(where string, err error) {
	if err == nil {
		return
	}
	var oe *devices.OptError
	if errors.As(err, &oe) {
		v.fail(where+"."+oe.Field, "%s", oe.Msg)
		return
	}
	v.fail(where, "%v", err)
}
