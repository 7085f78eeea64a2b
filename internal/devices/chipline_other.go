//go:build !linux

package devices

import "periph.io/x/conn/v3/gpio"

// chipOutput: kernel GPIO chips are Linux's; elsewhere outputs are periph's.
func chipOutput(string) gpio.PinIO { return nil }
