package config

// LAN configures the residents' local HTTPS API and web app (package
// localapi).
type LAN struct {
	// Listen is the address, e.g. ":8443". Empty: no LAN API.
	// `edgeagent run --listen ADDR` overrides it.
	Listen string `toml:"listen"`
}

func (l *LAN) validate(v *validator) {}
