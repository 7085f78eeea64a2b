package config

import (
	"slices"
	"strings"
	"testing"
)

func TestHomeKitSection(t *testing.T) {
	c, err := Parse("t.toml", []byte(base+"[homekit]\nenabled = true\nlisten = \"192.168.1.10:51826\"\nlights = [\"hall\"]\n\n[[switch]]\nid = \"hall\"\nrelay = \"GPIO5\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := c.HomeKit.WithDefaults()
	if !h.Enabled || h.Name != DefaultHomeKitName || h.Principal != DefaultHomeKitPrincipal || h.Role != DefaultHARole || !slices.Equal(h.Devices, []string{"*"}) {
		t.Errorf("section %+v", h)
	}
	// The default never lets the Home app open a door.
	if slices.Contains(h.Actions, "unlock") || slices.Contains(h.Actions, "*") {
		t.Errorf("default actions %v include unlock", h.Actions)
	}
	if _, err := Parse("t.toml", []byte(base+"[homekit]\nlisten = \"8.8.8.8:1\"\n")); err != nil {
		t.Errorf("a disabled section is not checked: %v", err)
	}
}

func TestHomeKitErrors(t *testing.T) {
	const dev = "[[lock]]\nid = \"front\"\nrelay = \"GPIO17\"\nfail = \"secure\"\n"
	for _, c := range []struct{ body, want string }{
		{"[homekit]\nenabled = true", "homekit.listen: missing"},
		{"[homekit]\nenabled = true\nlisten = \":51826\"", "homekit.listen: \":51826\": the host must be an IP address"},
		{"[homekit]\nenabled = true\nlisten = \"203.0.113.5:51826\"", "is not a loopback, private or link-local address"},
		{"[homekit]\nenabled = true\nlisten = \"127.0.0.1:51826\"\nlights = [\"front\"]", `homekit.lights: "front" is not a switch id`},
		{"[homekit]\nenabled = true\nlisten = \"127.0.0.1:51826\"\nrole = \"root\"", `homekit.role: "root" is not`},
		{"[homekit]\nenabled = true\nlisten = \"127.0.0.1:51826\"\ndevices = [\"back\"]", `homekit.devices: "back" is not a device id`},
		{"[homekit]\nenabled = true\nlisten = \"127.0.0.1:51826\"\nactions = [\"unlok\"]", `homekit.actions: "unlok" is not an action`},
		{"[homekit]\nenabled = true\nlisten = \"127.0.0.1:51826\"\nunknown = 1", "unknown"},
	} {
		_, err := Parse("t.toml", []byte(base+dev+c.body+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.body, err, c.want)
		}
	}
}
