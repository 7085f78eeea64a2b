package config

import (
	"slices"
)

// HomeKit configures the HomeKit bridge (package homekit): Apple Home on
// the LAN with no cloud. Its pairing state (keys, paired controllers, the
// setup code) lives in the security directory, beside the store.
type HomeKit struct {
	Enabled bool `toml:"enabled"`
	// Listen is the HAP server's address on the LAN, e.g.
	// "192.168.1.10:51826" (loopback, private or link-local IPs only).
	Listen string `toml:"listen"`
	// Interfaces the bridge is announced on by mDNS (Bonjour), e.g.
	// ["eth0"]. Default: every interface with multicast.
	Interfaces []string `toml:"interfaces"`
	// Name is the bridge's name in the Home app. Default "edgeagent".
	Name string `toml:"name"`
	// Lights are switch ids shown as lightbulbs; other switches are
	// switches.
	Lights []string `toml:"lights"`
	// Principal, role, devices and actions: see Acting. Default principal
	// "apple-home".
	Acting
}

// Defaults of the [homekit] section.
const (
	DefaultHomeKitName      = "edgeagent"
	DefaultHomeKitPrincipal = "apple-home"
)

// WithDefaults returns the section with its defaults filled in.
func (h HomeKit) WithDefaults() HomeKit {
	if h.Name == "" {
		h.Name = DefaultHomeKitName
	}
	h.Acting = h.Acting.withDefaults(DefaultHomeKitPrincipal)
	return h
}

func (h *HomeKit) validate(v *validator, c *Config) {
	const s = "homekit."
	if !h.Enabled {
		return
	}
	if h.Listen == "" {
		v.fail(s+"listen", "missing: the bridge's LAN address, e.g. \"192.168.1.10:51826\"")
	} else if err := CheckLocalListen(h.Listen); err != nil {
		v.fail(s+"listen", "%v", err)
	}
	for _, l := range h.Lights {
		if !slices.ContainsFunc(c.Switches, func(sw Switch) bool { return sw.ID == l }) {
			v.fail(s+"lights", "%q is not a switch id of this config", l)
		}
	}
	h.Acting.validate(v, c, s)
}

// Acting is a home platform acting in the house as a local principal
// ([homeassistant], [homekit]): the keys each of those sections has.
type Acting struct {
	// Principal is the name the platform's actions carry in the audit log.
	Principal string `toml:"principal"`
	// Role is the principal's role in the audit log. Default "service".
	Role string `toml:"role"`
	// Devices the platform may act on: device ids, or ["*"] (default).
	Devices []string `toml:"devices"`
	// Actions it may take. Default DefaultHAActions: everything but
	// "unlock". A door opens from the platform only when this list says
	// "unlock" (or "*").
	Actions []string `toml:"actions"`
}

func (a Acting) withDefaults(principal string) Acting {
	if a.Principal == "" {
		a.Principal = principal
	}
	if a.Role == "" {
		a.Role = DefaultHARole
	}
	if a.Devices == nil {
		a.Devices = []string{"*"}
	}
	if a.Actions == nil {
		a.Actions = slices.Clone(DefaultHAActions)
	}
	return a
}

// validate checks the role, devices and actions; s is the section's key prefix.
func (a Acting) validate(v *validator, c *Config, s string) {
	role, devices, actions := a.Role, a.Devices, a.Actions
	if role != "" {
		switch role {
		case "owner", "resident", "guest", "service":
		default:
			v.fail(s+"role", "%q is not owner, resident, guest or service", role)
		}
	}
	ids := c.deviceIDs()
	for _, d := range devices {
		if d != "*" && !slices.Contains(ids, d) {
			v.fail(s+"devices", "%q is not a device id of this config", d)
		}
	}
	if slices.Contains(devices, "*") && len(devices) > 1 {
		v.fail(s+"devices", `"*" stands alone`)
	}
	for _, a := range actions {
		if a != "*" && !slices.Contains(knownActions, a) {
			v.fail(s+"actions", "%q is not an action (%v, or \"*\")", a, knownActions)
		}
	}
	if slices.Contains(actions, "*") && len(actions) > 1 {
		v.fail(s+"actions", `"*" stands alone`)
	}
}
