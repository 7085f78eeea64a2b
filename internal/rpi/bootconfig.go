// Package rpi owns what the agent asks of a Raspberry Pi's firmware: the
// config.txt lines that hold every output pin at its safe level from
// power-on, seconds before Linux (and long before the agent) can drive it,
// set the input pulls, enable the hardware watchdog and the 1-Wire bus, and
// optionally an I2C real-time clock.
//
// The safe levels and pulls are the ones the devices package applies at
// start (relays de-energised, locks locked), read from the same options
// (config.Devices), so that the firmware, the kernel's idle state and the
// agent agree.
package rpi

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
)

// Errors returned by BootConfig, wrapped with the device, key and value.
var (
	// ErrPinName: the firmware knows pins only by BCM number; a periph name
	// such as "P1_11" cannot be mapped.
	ErrPinName = errors.New("not a BCM GPIO pin name")
	// ErrPinConflict: a device uses a pin that the 1-Wire bus or the RTC's
	// I2C bus needs.
	ErrPinConflict = errors.New("pin needed by the boot config")
	// ErrRTC: an RTC chip the i2c-rtc overlay does not know (or we do not).
	ErrRTC = errors.New("unknown RTC chip")
)

// Options are BootConfig's choices beyond the agent config.
type Options struct {
	// RTC adds dtoverlay=i2c-rtc,<RTC> for a battery-backed clock on the
	// I2C bus (GPIO2, GPIO3): "ds3231", "ds1307", "pcf8523", "pcf8563",
	// "pcf85063a", "mcp7940x", "rv3028". Default "": none.
	RTC string
	// OneWirePin is the BCM pin of the DS18B20 1-Wire bus, enabled when the
	// config has a boiler. Default 0 means GPIO4, the w1-gpio overlay's own
	// default (GPIO0 is the HAT EEPROM bus, never a 1-Wire pin).
	OneWirePin int
}

// rtcChips are the i2c-rtc overlay parameters accepted for Options.RTC.
var rtcChips = []string{"ds1307", "ds3231", "mcp7940x", "pcf8523", "pcf8563", "pcf85063a", "rv3028"}

// defaultOneWirePin is the w1-gpio overlay's default pin.
const defaultOneWirePin = 4

// maxBCM is the highest GPIO of the BCM2835..BCM2711 (GPIO0..GPIO53); the
// 40-pin header carries GPIO0..GPIO27.
const maxBCM = 53

// BCM maps a pin name from the config to its BCM number. Pin names
// accepted: "GPIO17" (periph's name on a Pi), "BCM17" or "17".
func BCM(name string) (int, error) {
	digits, ok := strings.CutPrefix(name, "GPIO")
	if !ok {
		digits, _ = strings.CutPrefix(name, "BCM")
	}
	if len(digits) == 0 || len(digits) > 2 || strings.Trim(digits, "0123456789") != "" {
		return 0, fmt.Errorf("%q: %w (the firmware numbers pins by BCM: write e.g. \"GPIO17\")", name, ErrPinName)
	}
	n, _ := strconv.Atoi(digits) // one or two digits: cannot fail
	if n > maxBCM {
		return 0, fmt.Errorf("%q: %w (BCM pins are GPIO0..GPIO%d)", name, ErrPinName, maxBCM)
	}
	return n, nil
}

// line is one config.txt directive with the comment line that precedes it.
type line struct {
	comment, directive string
}

// gen collects lines and the first error.
type gen struct {
	lines []line
	used  map[int]string // BCM pin -> "lock front-door relay"
	err   error
}

// output holds pin at its safe level from power-on: op = output, dl/dh =
// driving low/high. meaning says what the level does.
func (g *gen) output(kind, id, key, pin string, safe gpio.Level, meaning string) {
	high := safe == gpio.High
	n, ok := g.pin(kind, id, key, pin)
	if !ok {
		return
	}
	drive := "dl"
	if high {
		drive = "dh"
	}
	g.lines = append(g.lines, line{
		comment:   fmt.Sprintf("%s %s %s: held %s = %s", kind, id, key, level(high), meaning),
		directive: fmt.Sprintf("gpio=%d=op,%s", n, drive),
	})
}

// input sets pin as an input with pull "up", "down" or "none".
func (g *gen) input(kind, id, key, pin string, pull gpio.Pull) {
	n, ok := g.pin(kind, id, key, pin)
	if !ok {
		return
	}
	word, p := "none", "pn"
	switch pull {
	case gpio.PullUp:
		word, p = "up", "pu"
	case gpio.PullDown:
		word, p = "down", "pd"
	}
	g.lines = append(g.lines, line{
		comment:   fmt.Sprintf("%s %s %s: input, pull %s", kind, id, key, word),
		directive: fmt.Sprintf("gpio=%d=ip,%s", n, p),
	})
}

func (g *gen) pin(kind, id, key, pin string) (int, bool) {
	if pin == "" || g.err != nil {
		return 0, false
	}
	n, err := BCM(pin)
	if err != nil {
		g.err = fmt.Errorf("%s %q %s: pin %w", kind, id, key, err)
		return 0, false
	}
	g.used[n] = fmt.Sprintf("%s %q %s", kind, id, key)
	return n, true
}

// claim fails when a device already uses pin n, which the boot config needs
// for what.
func (g *gen) claim(n int, what string) {
	if other, ok := g.used[n]; ok && g.err == nil {
		g.err = fmt.Errorf("%s uses GPIO%d, which %s needs: %w", other, n, what, ErrPinConflict)
	}
}

// BootConfig returns the config.txt lines for cfg (as returned by
// config.Load): for each output pin a gpio= line
// driving it at its safe level from power-on, for each input pin its pull,
// the 1-Wire overlay when there is a boiler, the hardware watchdog, and the
// RTC overlay when opts asks for one. Every directive is preceded by a
// comment line naming the device: the firmware reads only whole-line
// comments, and a trailing "# ..." would become part of the value.
func BootConfig(cfg *config.Config, opts Options) ([]string, error) {
	g := &gen{used: map[int]string{}}
	devs := cfg.Devices()
	for _, d := range devs.Locks {
		// Either way the safe level is "locked".
		if d.Fail == devices.FailSafe {
			g.output("lock", d.ID, "relay", d.Relay, d.LockedLevel(), "locked (fail safe: relay energised)")
		} else {
			g.output("lock", d.ID, "relay", d.Relay, d.LockedLevel(), "locked (fail secure: relay de-energised)")
		}
	}
	for _, d := range devs.Switches {
		g.output("switch", d.ID, "relay", d.Relay, !d.Active, "off")
	}
	for _, d := range devs.Boilers {
		g.output("boiler", d.ID, "relay", d.Relay, !d.Active, "off")
	}
	for _, d := range devs.Covers {
		g.output("cover", d.ID, "up", d.Up, !d.Active, "stopped")
		g.output("cover", d.ID, "down", d.Down, !d.Active, "stopped")
	}
	for _, d := range devs.Locks {
		g.input("lock", d.ID, "contact", d.Contact, d.ContactPull())
		g.input("lock", d.ID, "exit_button", d.ExitButton, d.ExitButtonPull())
	}
	for _, d := range devs.Inputs {
		g.input("input", d.ID, "pin", d.Pin, d.Pull)
	}

	var tail []line
	if len(cfg.Boilers) > 0 {
		w1 := opts.OneWirePin
		if w1 == 0 {
			w1 = defaultOneWirePin
		}
		if w1 < 0 || w1 > maxBCM {
			return nil, fmt.Errorf("1-Wire pin %d: %w (BCM pins are GPIO0..GPIO%d)", w1, ErrPinName, maxBCM)
		}
		g.claim(w1, "the 1-Wire bus of the boiler sensors")
		dir := "dtoverlay=w1-gpio"
		if w1 != defaultOneWirePin {
			dir += ",gpiopin=" + strconv.Itoa(w1)
		}
		tail = append(tail, line{fmt.Sprintf("1-Wire bus on GPIO%d for the boiler sensors (DS18B20, 4.7k pull-up to 3.3V)", w1), dir})
	}
	tail = append(tail, line{"hardware watchdog: reboots a hung system (systemd RuntimeWatchdogSec feeds it)", "dtparam=watchdog=on"})
	if opts.RTC != "" {
		if !slices.Contains(rtcChips, opts.RTC) {
			return nil, fmt.Errorf("%q: %w (known: %v)", opts.RTC, ErrRTC, rtcChips)
		}
		g.claim(2, "the RTC's I2C bus (SDA)")
		g.claim(3, "the RTC's I2C bus (SCL)")
		tail = append(tail, line{"battery-backed real-time clock on I2C (GPIO2, GPIO3)", "dtoverlay=i2c-rtc," + opts.RTC})
	}
	if g.err != nil {
		return nil, g.err
	}

	out := []string{
		"# edgeagent boot config for site " + cfg.Site + " (edgeagent rpi bootconfig):",
		"# outputs held at their safe level from power-on, before Linux starts.",
		"[all]", // whatever section filter came before, these apply to every board
	}
	for _, l := range append(g.lines, tail...) {
		out = append(out, "# "+l.comment, l.directive)
	}
	return out, nil
}

func level(high bool) string {
	if high {
		return "high"
	}
	return "low"
}
