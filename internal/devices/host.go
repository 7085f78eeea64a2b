package devices

import (
	"fmt"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// HostPins initialises periph's host drivers (host.Init is idempotent) and
// returns a resolver of the board's GPIO pins by name ("GPIO17"), for
// Options.Pin.
func HostPins() (func(name string) (gpio.PinIO, error), error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("devices: initialising periph host drivers: %w", err)
	}
	return func(name string) (gpio.PinIO, error) {
		p := gpioreg.ByName(name)
		if p == nil {
			return nil, fmt.Errorf("devices: no GPIO pin named %q on this board", name)
		}
		return p, nil
	}, nil
}
