package devices

import (
	"fmt"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	// The drivers of the boards the agent supports (docs/operations.md,
	// "Which build for which board"): any kernel GPIO chip (gpioioctl),
	// the sysfs fallback, and the Raspberry Pi's SoC. Not periph's host
	// package, which also links the Allwinner, Pine64 and Raspberry Pi
	// header drivers: their pin tables are built at every start, on any
	// board (10 ms of each cold start under qemu-aarch64), for boards the
	// agent does not support and for header names ("P1_11") the config
	// does not take (pins are GPIO<n>, as the boot config needs them).
	// Another board's lines are still found on its GPIO chip, by the
	// kernel's line names.
	_ "periph.io/x/host/v3/bcm283x"
	_ "periph.io/x/host/v3/gpioioctl"
	_ "periph.io/x/host/v3/sysfs"
)

// Host initialises the registered periph drivers (driverreg.Init is
// idempotent) and returns the board's pin resolvers by name ("GPIO17") for
// Options: inputs are periph's; an output on a kernel GPIO chip is a
// ChipOutput, requested with its safe level as its initial value so that
// it never shows another level at start. Thermometer is left for the
// caller.
func Host() (Options, error) {
	if _, err := driverreg.Init(); err != nil {
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
