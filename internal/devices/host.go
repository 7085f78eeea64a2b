package devices

import (
	"fmt"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// Host initialises periph's host drivers (host.Init is idempotent) and
// returns the board's pin resolvers by name ("GPIO17") for Options: inputs
// are periph's; an output on a kernel GPIO chip is a ChipOutput, requested
// with its safe level as its initial value so that it never shows another
// level at start. Thermometer is left for the caller.
func Host() (Options, error) {
	if _, err := host.Init(); err != nil {
		return Options{}, fmt.Errorf("devices: initialising periph host drivers: %w", err)
	}
	byName := func(name string) (gpio.PinIO, error) {
		p := gpioreg.ByName(name)
		if p == nil {
			return nil, fmt.Errorf("devices: no GPIO pin named %q on this board", name)
		}
		return p, nil
	}
	output := func(name string, safe gpio.Level) (gpio.PinIO, error) {
		p := chipOutput(name)
		if p == nil { // no GPIO chip character device (sysfs or memory-mapped only)
			var err error
			if p, err = byName(name); err != nil {
				return nil, err
			}
		}
		return p, p.Out(safe)
	}
	return Options{Pin: byName, Output: output}, nil
}
