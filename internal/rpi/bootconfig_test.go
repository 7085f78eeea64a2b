package rpi

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/edgeagent/edgeagent/internal/config"
)

// TestExampleConfig checks the boot config of the shipped example line by
// line: this is what a resident's hub gets by default.
func TestExampleConfig(t *testing.T) {
	cfg, err := config.Load("../../deploy/rpi/edgeagent.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := BootConfig(cfg, Options{RTC: "ds3231"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"# edgeagent boot config for site home-1 (edgeagent rpi bootconfig):",
		"# outputs held at their safe level from power-on, before Linux starts.",
		"[all]",
		// active high, fail secure: de-energised (low) is locked.
		"# lock front-door relay: held low = locked (fail secure: relay de-energised)",
		"gpio=17=op,dl",
		"# switch hall-light relay: held low = off",
		"gpio=5=op,dl",
		// active defaults to high: an immobiliser off means the engine cannot start.
		"# switch immobiliser relay: held low = off",
		"gpio=13=op,dl",
		"# boiler boiler relay: held low = off",
		"gpio=6=op,dl",
		"# cover living-curtain up: held low = stopped",
		"gpio=23=op,dl",
		"# cover living-curtain down: held low = stopped",
		"gpio=24=op,dl",
		"# lock front-door contact: input, pull up",
		"gpio=27=ip,pu",
		// exit_button_active = "low": pulled up to its idle level.
		"# lock front-door exit_button: input, pull up",
		"gpio=22=ip,pu",
		"# input doorbell pin: input, pull up",
		"gpio=16=ip,pu",
		"# input garage-door pin: input, pull up",
		"gpio=20=ip,pu",
		"# input hall-motion pin: input, pull down",
		"gpio=21=ip,pd",
		"# 1-Wire bus on GPIO4 for the boiler sensors (DS18B20, 4.7k pull-up to 3.3V)",
		"dtoverlay=w1-gpio",
		"# hardware watchdog: reboots a hung system (systemd RuntimeWatchdogSec feeds it)",
		"dtparam=watchdog=on",
		"# battery-backed real-time clock on I2C (GPIO2, GPIO3)",
		"dtoverlay=i2c-rtc,ds3231",
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, g, w)
		}
	}
	for _, l := range got {
		// The firmware ignores characters past 98 on a line; whitespace
		// around "=" makes it drop a directive silently.
		if len(l) > 98 {
			t.Errorf("line longer than the firmware reads (98): %q", l)
		}
		if !strings.HasPrefix(l, "#") && strings.ContainsAny(l, " \t#") {
			t.Errorf("directive with whitespace or a comment: %q", l)
		}
	}
}

func parse(t *testing.T, toml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.toml", []byte("site = \"s\"\n"+toml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// directives returns the non-comment lines after "[all]".
func directives(lines []string) []string {
	var out []string
	for _, l := range lines[3:] {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// TestSafeLevels: the level held at power-on is the de-energised one, except
// for a fail-safe lock, which is locked when energised.
func TestSafeLevels(t *testing.T) {
	for _, tc := range []struct {
		name, toml string
		want       string
	}{
		{"secure lock, active high", `[[lock]]
id = "a"
relay = "GPIO17"
fail = "secure"`, "gpio=17=op,dl"},
		{"secure lock, active low", `[[lock]]
id = "a"
relay = "GPIO17"
active = "low"
fail = "secure"`, "gpio=17=op,dh"},
		{"safe lock (maglock), active high", `[[lock]]
id = "a"
relay = "GPIO17"
fail = "safe"`, "gpio=17=op,dh"},
		{"safe lock (maglock), active low", `[[lock]]
id = "a"
relay = "GPIO17"
active = "low"
fail = "safe"`, "gpio=17=op,dl"},
		{"switch active low", `[[switch]]
id = "a"
relay = "BCM5"
active = "low"`, "gpio=5=op,dh"},
		{"boiler active low", `[[boiler]]
id = "a"
relay = "6"
active = "low"
sensor = "28-00000a1b2c3d"`, "gpio=6=op,dh"},
		{"exit button active high", `[[lock]]
id = "a"
relay = "GPIO17"
fail = "secure"
exit_button = "GPIO22"
exit_button_active = "high"`, "gpio=22=ip,pd"},
		{"input without pull", `[[input]]
id = "a"
pin = "GPIO26"
type = "contact"
pull = "none"`, "gpio=26=ip,pn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BootConfig(parse(t, tc.toml), Options{})
			if err != nil {
				t.Fatal(err)
			}
			d := directives(got)
			found := false
			for _, l := range d {
				found = found || l == tc.want
			}
			if !found {
				t.Errorf("no %q in %q", tc.want, d)
			}
		})
	}
}

func TestCoverActiveLowAndOneWirePin(t *testing.T) {
	cfg := parse(t, `[[cover]]
id = "c"
up = "GPIO23"
down = "GPIO24"
active = "low"
travel = "10s"

[[boiler]]
id = "b"
relay = "GPIO6"
sensor = "28-00000a1b2c3d"
`)
	got, err := BootConfig(cfg, Options{OneWirePin: 19})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gpio=6=op,dl", "gpio=23=op,dh", "gpio=24=op,dh", "dtoverlay=w1-gpio,gpiopin=19", "dtparam=watchdog=on"}
	if d := directives(got); strings.Join(d, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", d, want)
	}
}

func TestNoBoilerNoOneWire(t *testing.T) {
	got, err := BootConfig(parse(t, "[[switch]]\nid = \"a\"\nrelay = \"GPIO5\"\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gpio=5=op,dl", "dtparam=watchdog=on"}
	if d := directives(got); strings.Join(d, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", d, want)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, toml string
		opts       Options
		is         error
		msg        string
	}{
		{"header name", "[[switch]]\nid = \"hall\"\nrelay = \"P1_11\"\n", Options{},
			ErrPinName, `switch "hall" relay: pin "P1_11": not a BCM GPIO pin name (the firmware numbers pins by BCM: write e.g. "GPIO17")`},
		{"other board's name", "[[lock]]\nid = \"door\"\nrelay = \"PA10\"\nfail = \"secure\"\n", Options{},
			ErrPinName, `lock "door" relay: pin "PA10": not a BCM GPIO pin name`},
		{"out of range", "[[input]]\nid = \"bell\"\npin = \"GPIO60\"\ntype = \"button\"\n", Options{},
			ErrPinName, `input "bell" pin: pin "GPIO60": not a BCM GPIO pin name (BCM pins are GPIO0..GPIO53)`},
		{"lower case", "[[cover]]\nid = \"c\"\nup = \"gpio5\"\ndown = \"GPIO6\"\ntravel = \"1s\"\n", Options{},
			ErrPinName, `cover "c" up: pin "gpio5"`},
		{"device on the 1-Wire pin", "[[switch]]\nid = \"a\"\nrelay = \"GPIO4\"\n[[boiler]]\nid = \"b\"\nrelay = \"GPIO6\"\nsensor = \"28-00000a1b2c3d\"\n", Options{},
			ErrPinConflict, `switch "a" relay uses GPIO4, which the 1-Wire bus of the boiler sensors needs`},
		{"device on the RTC bus", "[[input]]\nid = \"bell\"\npin = \"GPIO3\"\ntype = \"button\"\n", Options{RTC: "ds3231"},
			ErrPinConflict, `input "bell" pin uses GPIO3, which the RTC's I2C bus (SCL) needs`},
		{"unknown RTC", "", Options{RTC: "ds9999"},
			ErrRTC, `"ds9999": unknown RTC chip`},
		{"1-Wire pin out of range", "[[boiler]]\nid = \"b\"\nrelay = \"GPIO6\"\nsensor = \"28-00000a1b2c3d\"\n", Options{OneWirePin: 99},
			ErrPinName, "1-Wire pin 99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BootConfig(parse(t, tc.toml), tc.opts)
			if !errors.Is(err, tc.is) {
				t.Fatalf("got %v (lines %q), want %v", err, got, tc.is)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			if got != nil {
				t.Errorf("lines returned with an error: %q", got)
			}
		})
	}
}

func TestBCM(t *testing.T) {
	for name, want := range map[string]int{"GPIO0": 0, "GPIO17": 17, "BCM27": 27, "4": 4, "GPIO53": 53} {
		got, err := BCM(name)
		if err != nil || got != want {
			t.Errorf("BCM(%q) = %d, %v; want %d", name, got, err, want)
		}
	}
	for _, name := range []string{"", "GPIO", "GPIO54", "GPIO123", "GPIO-1", "P1_11", " GPIO17", "GPIO17 "} {
		if _, err := BCM(name); !errors.Is(err, ErrPinName) {
			t.Errorf("BCM(%q): got %v, want ErrPinName", name, err)
		}
	}
}

func ExampleBootConfig() {
	cfg, err := config.Parse("hub.toml", []byte(`site = "flat-3"
[[lock]]
id = "door"
relay = "GPIO17"
active = "low"
fail = "secure"
`))
	if err != nil {
		panic(err)
	}
	lines, err := BootConfig(cfg, Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// # edgeagent boot config for site flat-3 (edgeagent rpi bootconfig):
	// # outputs held at their safe level from power-on, before Linux starts.
	// [all]
	// # lock door relay: held high = locked (fail secure: relay de-energised)
	// gpio=17=op,dh
	// # hardware watchdog: reboots a hung system (systemd RuntimeWatchdogSec feeds it)
	// dtparam=watchdog=on
}
