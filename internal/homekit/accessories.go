package homekit

import (
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/brutella/hap/accessory"
	"github.com/brutella/hap/characteristic"
	"github.com/brutella/hap/service"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// device is one hub device as a HomeKit accessory: set copies the hub's
// state into the characteristics (which notifies subscribed controllers).
type device struct {
	id  string
	acc *accessory.A
	set func(st devices.State)
}

// commandFunc decides and carries out an action; it returns a HAP status
// (0 for done). A non-zero status leaves the characteristic as it was.
type commandFunc func(dev, action, value string) int

// newDevice builds the accessory of st's kind, or nil for a kind HomeKit
// does not show (a button: its presses are events, not a state).
func newDevice(st devices.State, aid uint64, light bool, info accessory.Info, do commandFunc) *device {
	info.Name = st.Name
	if info.Name == "" {
		info.Name = st.ID
	}
	info.SerialNumber = st.ID
	info.Model = "edgeagent " + st.Kind
	d := &device{id: st.ID}
	switch st.Kind {
	case "lock":
		a := accessory.New(info, accessory.TypeDoorLock)
		s := service.NewLockMechanism()
		a.AddS(s.S)
		s.LockTargetState.SetValueRequestFunc = func(v any, _ *http.Request) (any, int) {
			action := "lock"
			if v.(int) == characteristic.LockTargetStateUnsecured {
				action = "unlock"
			}
			return nil, do(st.ID, action, "")
		}
		d.acc, d.set = a, func(st devices.State) {
			cur := characteristic.LockCurrentStateSecured
			if st.State == "unlocked" {
				cur = characteristic.LockCurrentStateUnsecured
			}
			s.LockCurrentState.SetValue(cur)
			s.LockTargetState.SetValue(cur) // settled: an unlock pulse ends locked
		}
	case "switch":
		var on *characteristic.On
		var a *accessory.A
		if light {
			a = accessory.New(info, accessory.TypeLightbulb)
			s := service.NewLightbulb()
			a.AddS(s.S)
			on = s.On
		} else {
			a = accessory.New(info, accessory.TypeSwitch)
			s := service.NewSwitch()
			a.AddS(s.S)
			on = s.On
		}
		on.SetValueRequestFunc = func(v any, _ *http.Request) (any, int) {
			return nil, do(st.ID, map[bool]string{true: "on", false: "off"}[v.(bool)], "")
		}
		d.acc, d.set = a, func(st devices.State) { on.SetValue(st.State == "on") }
	case "boiler":
		a := accessory.New(info, accessory.TypeThermostat)
		s := service.NewThermostat()
		a.AddS(s.S)
		s.TargetTemperature.SetMinValue(wire.MinSetpoint)
		s.TargetTemperature.SetMaxValue(wire.MaxSetpoint)
		s.TargetTemperature.SetStepValue(0.5)
		s.CurrentTemperature.SetMinValue(-50) // a frost guard reads below 0
		// The hub heats or is off (frost guard only): no cooling, no auto.
		s.TargetHeatingCoolingState.ValidVals = []int{characteristic.TargetHeatingCoolingStateOff, characteristic.TargetHeatingCoolingStateHeat}
		s.CurrentHeatingCoolingState.ValidVals = []int{characteristic.CurrentHeatingCoolingStateOff, characteristic.CurrentHeatingCoolingStateHeat}
		s.TargetTemperature.SetValueRequestFunc = func(v any, _ *http.Request) (any, int) {
			sp := math.Round(v.(float64)*2) / 2
			return nil, do(st.ID, "set-setpoint", strconv.FormatFloat(sp, 'f', -1, 64))
		}
		s.TargetHeatingCoolingState.SetValueRequestFunc = func(v any, _ *http.Request) (any, int) {
			return nil, do(st.ID, map[bool]string{true: "on", false: "off"}[v.(int) == characteristic.TargetHeatingCoolingStateHeat], "")
		}
		d.acc, d.set = a, func(st devices.State) {
			if t, ok := number(st.Attrs["temperature"]); ok {
				s.CurrentTemperature.SetValue(t)
			}
			if sp, ok := number(st.Attrs["setpoint"]); ok {
				s.TargetTemperature.SetValue(sp)
			}
			mode := characteristic.TargetHeatingCoolingStateOff
			if st.Attrs["mode"] == wire.ModeHeat {
				mode = characteristic.TargetHeatingCoolingStateHeat
			}
			s.TargetHeatingCoolingState.SetValue(mode)
			cur := characteristic.CurrentHeatingCoolingStateOff
			if st.State == "heating" {
				cur = characteristic.CurrentHeatingCoolingStateHeat
			}
			s.CurrentHeatingCoolingState.SetValue(cur)
		}
	case "cover":
		a := accessory.New(info, accessory.TypeWindowCovering)
		s := service.NewWindowCovering()
		a.AddS(s.S)
		s.TargetPosition.SetValueRequestFunc = func(v any, _ *http.Request) (any, int) {
			return nil, do(st.ID, "set-position", strconv.Itoa(v.(int)))
		}
		d.acc, d.set = a, func(st devices.State) {
			p, _ := number(st.Attrs["position"])
			pos := int(math.Round(p))
			s.CurrentPosition.SetValue(pos)
			switch st.State {
			case "opening":
				s.PositionState.SetValue(characteristic.PositionStateIncreasing)
			case "closing":
				s.PositionState.SetValue(characteristic.PositionStateDecreasing)
			default:
				s.PositionState.SetValue(characteristic.PositionStateStopped)
				s.TargetPosition.SetValue(pos) // stopped (by hand, or by a limit): target is where it is
			}
		}
	case "input":
		switch st.Attrs["type"] {
		case "contact":
			a := accessory.New(info, accessory.TypeSensor)
			s := service.NewContactSensor()
			a.AddS(s.S)
			d.acc, d.set = a, func(st devices.State) {
				v := characteristic.ContactSensorStateContactDetected
				if st.State == "open" {
					v = characteristic.ContactSensorStateContactNotDetected
				}
				s.ContactSensorState.SetValue(v)
			}
		case "motion":
			a := accessory.New(info, accessory.TypeSensor)
			s := service.NewMotionSensor()
			a.AddS(s.S)
			d.acc, d.set = a, func(st devices.State) { s.MotionDetected.SetValue(st.State == "motion") }
		}
	}
	if d.acc == nil {
		return nil
	}
	d.acc.Id = aid
	d.set(st)
	return d
}

// number reads a numeric attribute of a device state.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, !math.IsNaN(n)
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

// isLight reports whether a switch is shown as a lightbulb.
func isLight(lights []string, id string) bool { return slices.Contains(lights, id) }
