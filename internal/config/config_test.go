package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	if c.DataDir != DefaultDataDir || c.SocketPath() != filepath.Join(DefaultDataDir, "admin.sock") || c.OneWireRoot != DefaultOneWireRoot {
		t.Errorf("paths: %q %q %q", c.DataDir, c.SocketPath(), c.OneWireRoot)
	}
	l := c.Locks[0]
	if l.RelockAfter.D() != 5*time.Second || l.Active != High || l.Debounce.D() != DefaultDebounce {
		t.Errorf("lock defaults: %+v", l)
	}
	if !*c.Switches[0].Restore {
		t.Error("switch restore defaults to true")
	}
	b := c.Boilers[0]
	if *b.Setpoint != 20 || *b.Hysteresis != 1 || *b.Frost != 5 || b.MinCycle.D() != 3*time.Minute || b.MaxRun.D() != 4*time.Hour || b.Poll.D() != 10*time.Second || b.StaleAfter.D() != time.Minute {
		t.Errorf("boiler defaults: %+v", b)
	}
	if c.Covers[0].ReverseDelay.D() != 500*time.Millisecond {
		t.Errorf("cover defaults: %+v", c.Covers[0])
	}
	if in := c.Inputs[0]; in.Active != Low || in.Pull != "up" {
		t.Errorf("input defaults: %+v", in)
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
