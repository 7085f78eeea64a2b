package config

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// LAN configures the residents' local HTTPS API and web app (package
// localapi).
type LAN struct {
	// Listen is the address, e.g. ":8443". Empty: no LAN API.
	// `edgeagent run --listen ADDR` overrides it.
	Listen string `toml:"listen"`
	// Hostnames are extra DNS names for the self-signed certificate made on
	// first start (the machine's hostname, hostname.local and localhost are
	// always in it). Changing them later does not change the certificate:
	// its fingerprint is what phones and scripts pin.
	Hostnames []string `toml:"hostnames"`
	// SessionTTL is how long a PIN login lasts (never beyond the grant's
	// not-after). Default 12h, at most 720h.
	SessionTTL Duration `toml:"session_ttl"`
	// MaxSessions bounds the sessions kept; beyond it the oldest ends.
	// Default 100.
	MaxSessions int `toml:"max_sessions"`
	// RequestsPerSecond is the rate allowed to one client address (bursts
	// of twice as many). Default 20.
	RequestsPerSecond int `toml:"requests_per_second"`
	// LoginsPerMinute is the rate of PIN login attempts allowed to one
	// address and, separately, for one user name, on top of the PIN
	// lockout. Default 10.
	LoginsPerMinute int `toml:"logins_per_minute"`
}

// MaxSessionTTL is the longest session_ttl accepted: a phone left logged
// in for longer should ask for the PIN again.
const MaxSessionTTL = 30 * 24 * time.Hour

// CheckListen checks a LAN API address (also the one given with --listen):
// HOST:PORT or :PORT with a numeric port.
func CheckListen(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT or :PORT (%v)", s, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", s, port)
	}
	return nil
}

func (l *LAN) validate(v *validator) {
	if l.Listen != "" {
		if err := CheckListen(l.Listen); err != nil {
			v.fail("lan.listen", "%v", err)
		}
	}
	for _, h := range l.Hostnames {
		if h == "" || len(h) > 253 {
			v.fail("lan.hostnames", "%q is not a host name", h)
		}
	}
	v.positive("lan", "session_ttl", l.SessionTTL)
	if l.SessionTTL.D() > MaxSessionTTL {
		v.fail("lan.session_ttl", "%s is longer than %s", l.SessionTTL.D(), MaxSessionTTL)
	}
	for _, k := range []struct {
		key string
		n   int
	}{{"max_sessions", l.MaxSessions}, {"requests_per_second", l.RequestsPerSecond}, {"logins_per_minute", l.LoginsPerMinute}} {
		if k.n < 0 {
			v.fail("lan."+k.key, "%d is negative", k.n)
		}
	}
}
