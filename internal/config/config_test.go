package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/devices"
)

const base = `site = "home-1"
`

func TestExampleConfigIsValid(t *testing.T) {
	c, err := Load("../../deploy/rpi/edgeagent.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Locks) == 0 || len(c.Switches) == 0 || len(c.Boilers) == 0 || len(c.Covers) == 0 || len(c.Inputs) == 0 {
		t.Fatalf("example must show every device kind: %+v", c)
	}
	kinds := map[string]bool{}
	for _, in := range c.Inputs {
		kinds[in.Type] = true
	}
	for _, k := range []string{"button", "contact", "motion"} {
		if !kinds[k] {
			t.Errorf("example has no %s input", k)
		}
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse("t.toml", []byte(base+`
[[lock]]
id = "door"
relay = "GPIO1"
fail = "secure"
[[switch]]
id = "light"
relay = "GPIO2"
[[boiler]]
id = "boiler"
relay = "GPIO3"
sensor = "28-00000a1b2c3d"
[[cover]]
id = "blind"
up = "GPIO4"
down = "GPIO5"
travel = "10s"
[[input]]
id = "bell"
pin = "GPIO6"
type = "button"
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != DefaultDataDir || c.SocketPath() != filepath.Join(DefaultDataDir, "admin.sock") || c.OneWireRoot != "" {
		t.Errorf("paths: %q %q %q (an unset onewire_root is the devices package's default)", c.DataDir, c.SocketPath(), c.OneWireRoot)
	}
	// Keys left out keep the devices package's defaults, with these values.
	d := c.Devices()
	l := d.Locks[0]
	if l.RelockAfter != 5*time.Second || l.Active != gpio.High || l.Debounce != 50*time.Millisecond ||
		l.LeftOpenAfter != time.Minute || l.ContactActive != gpio.High || l.ExitButtonActive != gpio.Low || l.Fail != "secure" {
		t.Errorf("lock defaults: %+v", l)
	}
	if !d.Switches[0].Restore || d.Switches[0].Active != gpio.High {
		t.Error("switch restore defaults to true")
	}
	b := d.Boilers[0]
	if b.Setpoint != 20 || b.Hysteresis != 1 || b.Frost != 5 || b.MinCycle != 3*time.Minute || b.MaxRun != 4*time.Hour || b.Poll != 10*time.Second || b.StaleAfter != time.Minute {
		t.Errorf("boiler defaults: %+v", b)
	}
	if cv := d.Covers[0]; cv.ReverseDelay != 500*time.Millisecond || cv.Travel != 10*time.Second {
		t.Errorf("cover defaults: %+v", cv)
	}
	if in := d.Inputs[0]; in.Active != gpio.Low || in.Pull != gpio.PullUp || in.Debounce != 50*time.Millisecond || in.Type != "button" {
		t.Errorf("input defaults: %+v", in)
	}
}

// Every key the file sets reaches the devices package's options.
func TestDevicesMapsEveryKey(t *testing.T) {
	c, err := Parse("t.toml", []byte(base+`
onewire_root = "/w1"
[[lock]]
id = "door"
name = "Door"
relay = "GPIO1"
fail = "safe"
active = "low"
relock_after = "7s"
contact = "GPIO2"
contact_active = "low"
exit_button = "GPIO3"
exit_button_active = "high"
left_open_after = "2m"
debounce = "20ms"
[[switch]]
id = "imm"
relay = "GPIO4"
active = "low"
restore = false
[[boiler]]
id = "heat"
relay = "GPIO5"
active = "low"
sensor = "28-00000a1b2c3d"
setpoint = 21.5
hysteresis = 0.5
frost = 0.0
min_cycle = "1m"
max_run = "2h"
poll = "5s"
stale_after = "30s"
[[cover]]
id = "blind"
up = "GPIO6"
down = "GPIO7"
active = "low"
travel = "15s"
reverse_delay = "1s"
[[input]]
id = "pir"
pin = "GPIO8"
type = "motion"
active = "high"
pull = "none"
debounce = "1s"
`))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Devices()
	want := devices.Config{
		OneWireRoot: "/w1",
		Locks: []devices.LockOpts{{ID: "door", Name: "Door", Relay: "GPIO1", Active: gpio.Low, Fail: "safe",
			RelockAfter: 7 * time.Second, Contact: "GPIO2", ContactActive: gpio.Low, ExitButton: "GPIO3",
			ExitButtonActive: gpio.High, LeftOpenAfter: 2 * time.Minute, Debounce: 20 * time.Millisecond}},
		Switches: []devices.SwitchOpts{{ID: "imm", Relay: "GPIO4", Active: gpio.Low, Restore: false}},
		Boilers: []devices.BoilerOpts{{ID: "heat", Relay: "GPIO5", Active: gpio.Low, Sensor: "28-00000a1b2c3d",
			Setpoint: 21.5, Hysteresis: 0.5, Frost: 0, MinCycle: time.Minute, MaxRun: 2 * time.Hour,
			Poll: 5 * time.Second, StaleAfter: 30 * time.Second}},
		Covers: []devices.CoverOpts{{ID: "blind", Up: "GPIO6", Down: "GPIO7", Active: gpio.Low,
			Travel: 15 * time.Second, ReverseDelay: time.Second}},
		Inputs: []devices.InputOpts{{ID: "pir", Pin: "GPIO8", Type: "motion", Active: gpio.High, Pull: gpio.Float,
			Debounce: time.Second}},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got  %+v\nwant %+v", d, want)
	}
}

// Each broken config must fail with exactly this message: file, line where
// the decoder knows it, key path and the offending value.
func TestBrokenConfigs(t *testing.T) {
	lock := "[[lock]]\nid = \"door\"\nrelay = \"GPIO17\"\nfail = \"secure\"\n"
	cases := []struct {
		name, body, want string
	}{
		{"unknown top key", base + "colour = \"red\"\n", `t.toml:2: colour: unknown key`},
		{"unknown device key", base + lock + "relock = \"5s\"\n", `t.toml:6: lock.relock: unknown key`},
		{"key of another kind", base + "[[switch]]\nid = \"l\"\nrelay = \"GPIO2\"\ntravel = \"5s\"\n", `t.toml:5: switch.travel: unknown key`},
		{"wrong type", base + "[[switch]]\nid = \"l\"\nrelay = 17\n", `t.toml:4: switch.relay: wrong type: a TOML integer into struct field config.Switch.Relay of type string`},
		{"bad duration", base + lock + "relock_after = \"5 parsecs\"\n", `t.toml:6: lock.relock_after: "5 parsecs" is not a duration (write e.g. "5s" or "3m")`},
		{"syntax error", base + "[[lock]\n", `t.toml:2: `},
		{"missing site", lock, `t.toml: site: missing`},
		{"bad site", "site = \"Home 1\"\n", `t.toml: site: "Home 1" is not a valid site id (lower-case letters, digits, - and _, at most 63)`},
		{"missing id", base + "[[switch]]\nrelay = \"GPIO2\"\n", `t.toml: switch[0].id: missing`},
		{"duplicate id", base + lock + "[[switch]]\nid = \"door\"\nrelay = \"GPIO2\"\n", `t.toml: switch[0].id: duplicate device id "door" (also lock[0])`},
		{"pin used twice", base + lock + "[[switch]]\nid = \"l\"\nrelay = \"GPIO17\"\n", `t.toml: switch[0] (l).relay: pin "GPIO17" is already used by lock[0] (door).relay`},
		{"pin twice in one device", base + "[[cover]]\nid = \"c\"\nup = \"GPIO1\"\ndown = \"GPIO1\"\ntravel = \"5s\"\n", `t.toml: cover[0] (c).down: pin "GPIO1" is already used by cover[0] (c).up`},
		{"missing relay", base + "[[switch]]\nid = \"l\"\n", `t.toml: switch[0] (l).relay: missing`},
		{"missing fail", base + "[[lock]]\nid = \"door\"\nrelay = \"GPIO17\"\n", `t.toml: lock[0] (door).fail: missing (write "secure": de-energised = locked, or "safe": de-energised = unlocked)`},
		{"bad fail", base + "[[lock]]\nid = \"door\"\nrelay = \"GPIO17\"\nfail = \"open\"\n", `t.toml: lock[0] (door).fail: "open" is not "secure" or "safe"`},
		{"bad level", base + lock + "active = \"up\"\n", `t.toml: lock[0] (door).active: "up" is not a level (high or low)`},
		{"negative duration", base + lock + "relock_after = \"-1s\"\n", `t.toml: lock[0] (door).relock_after: -1s is negative`},
		{"left open without contact", base + lock + "left_open_after = \"30s\"\n", `t.toml: lock[0] (door).left_open_after: needs a contact pin to know the door is open`},
		{"bad sensor", base + "[[boiler]]\nid = \"b\"\nrelay = \"GPIO3\"\nsensor = \"kitchen\"\n", `t.toml: boiler[0] (b).sensor: "kitchen" is not a 1-Wire id like "28-00000a1b2c3d"`},
		{"setpoint out of range", base + "[[boiler]]\nid = \"b\"\nrelay = \"GPIO3\"\nsensor = \"28-00000a1b2c3d\"\nsetpoint = 90.0\n", `t.toml: boiler[0] (b).setpoint: 90 is outside 5..35 °C`},
		{"hysteresis zero", base + "[[boiler]]\nid = \"b\"\nrelay = \"GPIO3\"\nsensor = \"28-00000a1b2c3d\"\nhysteresis = 0.0\n", `t.toml: boiler[0] (b).hysteresis: 0 is outside 0..5 °C (and must be above 0)`},
		{"stale not above poll", base + "[[boiler]]\nid = \"b\"\nrelay = \"GPIO3\"\nsensor = \"28-00000a1b2c3d\"\npoll = \"1m\"\nstale_after = \"30s\"\n", `t.toml: boiler[0] (b).stale_after: 30s must be longer than poll (1m0s)`},
		{"frost out of range", base + "[[boiler]]\nid = \"b\"\nrelay = \"GPIO3\"\nsensor = \"28-00000a1b2c3d\"\nfrost = 20.0\n", `t.toml: boiler[0] (b).frost: 20 is outside 0..15 °C`},
		{"second boiler's setpoint", base + "[[boiler]]\nid = \"a\"\nrelay = \"GPIO3\"\nsensor = \"28-00000a1b2c3d\"\n[[boiler]]\nid = \"b\"\nrelay = \"GPIO4\"\nsensor = \"28-00000a1b2c3e\"\nsetpoint = 4.5\n", `t.toml: boiler[1] (b).setpoint: 4.5 is outside 5..35 °C`},
		{"negative max_run", base + "[[boiler]]\nid = \"b\"\nrelay = \"GPIO3\"\nsensor = \"28-00000a1b2c3d\"\nmax_run = \"-1h\"\n", `t.toml: boiler[0] (b).max_run: -1h0m0s is negative`},
		{"negative reverse delay", base + "[[cover]]\nid = \"c\"\nup = \"GPIO1\"\ndown = \"GPIO2\"\ntravel = \"5s\"\nreverse_delay = \"-1s\"\n", `t.toml: cover[0] (c).reverse_delay: -1s is negative`},
		{"missing input type", base + "[[input]]\nid = \"i\"\npin = \"GPIO1\"\n", `t.toml: input[0] (i).type: missing ("button", "contact" or "motion")`},
		{"missing sensor", base + "[[boiler]]\nid = \"b\"\nrelay = \"GPIO3\"\n", `t.toml: boiler[0] (b).sensor: missing (the DS18B20 id, e.g. "28-00000a1b2c3d")`},
		{"cover without travel", base + "[[cover]]\nid = \"c\"\nup = \"GPIO1\"\ndown = \"GPIO2\"\n", `t.toml: cover[0] (c).travel: missing (the time from closed to open, e.g. "20s")`},
		{"input type", base + "[[input]]\nid = \"i\"\npin = \"GPIO1\"\ntype = \"lever\"\n", `t.toml: input[0] (i).type: "lever" is not "button", "contact" or "motion"`},
		{"input pull", base + "[[input]]\nid = \"i\"\npin = \"GPIO1\"\ntype = \"button\"\npull = \"sideways\"\n", `t.toml: input[0] (i).pull: "sideways" is not "up", "down" or "none"`},
		{"log level", base + "log_level = \"loud\"\n", `t.toml: log_level: "loud" is not one of debug, info, warn, error`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.toml", []byte(tc.body))
			if err == nil {
				t.Fatal("no error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *config.Error: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) || (!strings.HasSuffix(tc.want, ": ") && err.Error() != tc.want) {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestLoadNamesMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.toml")
	_, err := Load(p)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), p) {
		t.Fatalf("got %v", err)
	}
}
