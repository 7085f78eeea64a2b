package devices

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Errors returned by the Hub wrap one of them with the
// device, the action and the value that were wrong, so that a caller matches
// them with errors.Is and shows the message to a person as it is.
var (
	// ErrUnknownDevice: no device has this id.
	ErrUnknownDevice = errors.New("unknown device")
	// ErrUnknownAction: the device has no such action, or the action needs
	// an input (a door contact, an exit button) the device does not have.
	ErrUnknownAction = errors.New("unknown action")
	// ErrBadValue: the action's value is missing, malformed or out of range,
	// or the action takes no value and one was given.
	ErrBadValue = errors.New("bad value")
	// ErrNotSimulated: a simulated action (press, door-open, set-temperature
	// ...) on a Hub without Options.Sim (real hardware), or on a pin or
	// sensor its Simulator did not make.
	ErrNotSimulated = errors.New("not simulated")
	// ErrNotRecorded: the action was carried out, but its record did not
	// reach the journal (a failing or stuck disk): it is not durable.
	ErrNotRecorded = errors.New("done but not recorded")
	// ErrJournalBehind: the action was refused and nothing moved, because
	// the journal has a backlog of records it could not yet write (a stuck
	// or failing disk). Actions towards the safe state (lock, boiler off,
	// cover stop) are never refused for it.
	ErrJournalBehind = errors.New("journal behind, action refused")
	// ErrVehicleUnknown: drive authorisation refused because the car's
	// state is unknown (its CAN status is missing, or the ignition was not
	// read yet): the immobiliser is not released blind.
	ErrVehicleUnknown = errors.New("vehicle state unknown")
	// ErrShutdown: the hub was shut down; its outputs stay where Shutdown
	// left them (safe) and it takes no more actions.
	ErrShutdown = errors.New("hub is shut down")
	// ErrPowerOnReset: a DS18B20 answered 85.0 °C, the value its register
	// holds after power-on before any conversion. It is not a temperature:
	// obeying it would stop the heating on a cold night.
	ErrPowerOnReset = errors.New("85.0 °C is the DS18B20 power-on reset value, not a reading")
)

// OptError is an option New cannot use: the device kind and id, the option
// (Field, named as the config file names it: "setpoint", "relock_after") and
// what is wrong with it. A config loader that knows where the option came
// from names its own key with Field and Msg.
type OptError struct {
	Kind, ID string
	Field    string
	Msg      string
}

func (e *OptError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("devices: %s %s: %s", e.Kind, e.Field, e.Msg)
	}
	return fmt.Sprintf("devices: %s %q %s: %s", e.Kind, e.ID, e.Field, e.Msg)
}

func errUnknownDevice(id string) error {
	return fmt.Errorf("devices: %q: %w", id, ErrUnknownDevice)
}

func errUnknownAction(kind, id, action string, valid ...string) error {
	return fmt.Errorf("devices: %s %q: action %q: %w (valid: %s)",
		kind, id, action, ErrUnknownAction, strings.Join(valid, ", "))
}

func errBadValue(kind, id, action, value, why string) error {
	return fmt.Errorf("devices: %s %q: %s %q: %w: %s", kind, id, action, value, ErrBadValue, why)
}

func errNotSimulated(kind, id, action, what string) error {
	return fmt.Errorf("devices: %s %q: %s: %w: %s is real hardware", kind, id, action, ErrNotSimulated, what)
}

func errShutdown(kind, id, action string) error {
	return fmt.Errorf("devices: %s %q: %s: %w", kind, id, action, ErrShutdown)
}
