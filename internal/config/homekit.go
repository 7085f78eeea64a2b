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
	// Principal is the name Apple Home's actions carry in the audit log.
	// Default "apple-home".
	Principal string `toml:"principal"`
	// Role is the principal's role in the audit log. Default "service".
	Role string `toml:"role"`
	// Devices Apple Home may act on: device ids, or ["*"] (default).
	Devices []string `toml:"devices"`
	// Actions Apple Home may take. Default DefaultHAActions: everything but
	// "unlock". A door opens from the Home app only when this list says
	// "unlock" (or "*").
	Actions []string `toml:"actions"`
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
	if h.Principal == "" {
		h.Principal = DefaultHomeKitPrincipal
	}
	if h.Role == "" {
		h.Role = DefaultHARole
	}
	if h.Devices == nil {
		h.Devices = []string{"*"}
	}
	if h.Actions == nil {
		h.Actions = slices.Clone(DefaultHAActions)
	}
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
	validatePrincipal(v, c, s, h.Role, h.Devices, h.Actions)
}

// validatePrincipal checks a local principal's role, devices and actions
// (the [homeassistant] and [homekit] sections).
func validatePrincipal(v *validator, c *Config, s, role string, devices, actions []string) {
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
