package config

import (
	"slices"
	"strings"
	"testing"
)

func TestMetricsAndHomeAssistantSections(t *testing.T) {
	c, err := Parse("t.toml", []byte(base+`
[metrics]
listen = "192.168.1.10:9101"

[homeassistant]
listen = "127.0.0.1:1883"
username = "homeassistant"
password_file = "/etc/edgeagent/ha.password"

[[switch]]
id = "hall"
relay = "GPIO5"
`))
	if err != nil {
		t.Fatal(err)
	}
	h := c.HomeAssistant.WithDefaults()
	if c.Metrics.Listen != "192.168.1.10:9101" || !h.Enabled() || h.Principal != DefaultHAPrincipal || h.Role != DefaultHARole ||
		h.DiscoveryPrefix != "homeassistant" || h.TopicPrefix != "edgeagent" || !slices.Equal(h.Devices, []string{"*"}) {
		t.Errorf("sections %+v %+v", c.Metrics, h)
	}
	// The default never lets Home Assistant open a door.
	if slices.Contains(h.Actions, "unlock") || slices.Contains(h.Actions, "*") {
		t.Errorf("default actions %v include unlock", h.Actions)
	}
}

func TestMetricsAndHomeAssistantErrors(t *testing.T) {
	const dev = "[[lock]]\nid = \"front\"\nrelay = \"GPIO17\"\nfail = \"secure\"\n"
	for _, c := range []struct{ body, want string }{
		{"[metrics]\nlisten = \":9101\"", "metrics.listen: \":9101\": the host must be an IP address"},
		{"[metrics]\nlisten = \"0.0.0.0:9101\"", "is not a loopback, private or link-local address"},
		{"[metrics]\nlisten = \"203.0.113.5:9101\"", "is not a loopback, private or link-local address"},
		{"[homeassistant]\nlisten = \"127.0.0.1:1883\"", "homeassistant.username: the embedded broker needs username and password_file"},
		{"[homeassistant]\nlisten = \"8.8.8.8:1883\"\nusername = \"u\"\npassword_file = \"p\"", "homeassistant.listen"},
		{"[homeassistant]\nlisten = \"127.0.0.1:1883\"\nbroker = \"tcp://127.0.0.1:1884\"", "not both"},
		{"[homeassistant]\nbroker = \"http://x:1\"", "homeassistant.broker"},
		{"[homeassistant]\nbroker = \"tcp://x:1\"\nusername = \"u\"", "username and password_file go together"},
		{"[homeassistant]\nbroker = \"tcp://x:1\"\nrole = \"admin\"", `homeassistant.role: "admin" is not`},
		{"[homeassistant]\nbroker = \"tcp://x:1\"\ndevices = [\"back\"]", `homeassistant.devices: "back" is not a device id`},
		{"[homeassistant]\nbroker = \"tcp://x:1\"\nactions = [\"unlok\"]", `homeassistant.actions: "unlok" is not an action`},
		{"[homeassistant]\nbroker = \"tcp://x:1\"\nactions = [\"*\", \"on\"]", `homeassistant.actions: "*" stands alone`},
		{"[homeassistant]\nbroker = \"tcp://x:1\"\ntopic_prefix = \"a/b\"", "homeassistant.topic_prefix"},
		{"[homeassistant]\nbroker = \"tcp://x:1\"\ndiscovery_prefix = \"#\"", "homeassistant.discovery_prefix"},
	} {
		_, err := Parse("t.toml", []byte(base+dev+c.body+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.body, err, c.want)
		}
	}
}
