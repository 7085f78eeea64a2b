package config

// HomeAssistant configures the Home Assistant bridge (package
// homeassistant): MQTT discovery and commands on a local broker, separate
// from the cloud link. Either Listen (the embedded broker) or Broker (a
// local broker the installer already runs) turns it on.
type HomeAssistant struct {
	// Listen is the embedded broker's address on the LAN, e.g.
	// "192.168.1.10:1883" (loopback, private or link-local IPs only).
	Listen string `toml:"listen"`
	// Broker is an external local broker instead, tcp://HOST:PORT.
	Broker string `toml:"broker"`
	// Username and PasswordFile: the embedded broker accepts exactly this
	// user (Home Assistant's); with an external broker, the bridge logs in
	// with them. Required with Listen. The password file holds one line.
	Username     string `toml:"username"`
	PasswordFile string `toml:"password_file"`
	// DiscoveryPrefix is Home Assistant's discovery prefix. Default
	// "homeassistant".
	DiscoveryPrefix string `toml:"discovery_prefix"`
	// TopicPrefix is the first level of the state, command and availability
	// topics: {topic_prefix}/{site}/... Default "edgeagent".
	TopicPrefix string `toml:"topic_prefix"`
	// Principal, role, devices and actions: see Acting. Default principal
	// "home-assistant".
	Acting
}

// Defaults of the [homeassistant] section.
const (
	DefaultHADiscoveryPrefix = "homeassistant"
	DefaultHATopicPrefix     = "edgeagent"
	DefaultHAPrincipal       = "home-assistant"
	DefaultHARole            = "service"
)

// DefaultHAActions lets Home Assistant switch lights, heating and covers
// and lock doors, not unlock them.
var DefaultHAActions = []string{"lock", "on", "off", "toggle", "set-setpoint", "open", "close", "stop", "set-position"}

// knownActions are the actions of every device kind (package devices).
var knownActions = []string{"lock", "unlock", "on", "off", "toggle", "set-setpoint", "open", "close", "stop", "set-position"}

// Enabled reports whether the bridge is configured.
func (h HomeAssistant) Enabled() bool { return h.Listen != "" || h.Broker != "" }

// WithDefaults returns the section with its defaults filled in.
func (h HomeAssistant) WithDefaults() HomeAssistant {
	if h.DiscoveryPrefix == "" {
		h.DiscoveryPrefix = DefaultHADiscoveryPrefix
	}
	if h.TopicPrefix == "" {
		h.TopicPrefix = DefaultHATopicPrefix
	}
	h.Acting = h.Acting.withDefaults(DefaultHAPrincipal)
	return h
}

func (h *HomeAssistant) validate(v *validator, c *Config) {
	const s = "homeassistant."
	if h.Listen != "" && h.Broker != "" {
		v.fail(s+"broker", "set listen (the embedded broker) or broker (an external one), not both")
	}
	if h.Listen != "" {
		if err := CheckLocalListen(h.Listen); err != nil {
			v.fail(s+"listen", "%v", err)
		}
		if h.Username == "" || h.PasswordFile == "" {
			v.fail(s+"username", "the embedded broker needs username and password_file: it never accepts anonymous clients")
		}
	}
	if h.Broker != "" {
		if err := CheckBroker(h.Broker); err != nil {
			v.fail(s+"broker", "%v", err)
		}
	}
	if (h.Username == "") != (h.PasswordFile == "") {
		v.fail(s+"password_file", "username and password_file go together")
	}
	for _, k := range []struct{ key, val string }{{"discovery_prefix", h.DiscoveryPrefix}, {"topic_prefix", h.TopicPrefix}} {
		if k.val != "" && CheckSite(k.val) != nil {
			v.fail(s+k.key, "%q is not one topic level (letters, digits, - and _; no /, + or #)", k.val)
		}
	}
	h.Acting.validate(v, c, s)
}

// deviceIDs lists every device id of the config.
func (c *Config) deviceIDs() []string {
	var ids []string
	for _, d := range c.Locks {
		ids = append(ids, d.ID)
	}
	for _, d := range c.Switches {
		ids = append(ids, d.ID)
	}
	for _, d := range c.Boilers {
		ids = append(ids, d.ID)
	}
	for _, d := range c.Covers {
		ids = append(ids, d.ID)
	}
	for _, d := range c.Inputs {
		ids = append(ids, d.ID)
	}
	return ids
}
