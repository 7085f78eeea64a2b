package config

import (
	"fmt"
	"net"
	"net/netip"
)

// Metrics configures the Prometheus endpoint (package metrics).
type Metrics struct {
	// Listen is the address of /metrics, e.g. "127.0.0.1:9101", or a LAN
	// address of the hub for a Prometheus on a home server. Empty: no
	// endpoint. Only loopback, private (RFC 1918, fc00::/7) and link-local
	// IP addresses are accepted: the metrics tell who is home (sessions,
	// decisions), so they are never served to the internet, nor on every
	// interface.
	Listen string `toml:"listen"`
}

// CheckLocalListen checks an address that must stay on the hub or its LAN:
// IP:PORT with a loopback, private or link-local IP ("localhost" is
// loopback). An empty host (":9101", every interface) is refused.
func CheckLocalListen(s string) error {
	if err := CheckListen(s); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(s)
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%q: the host must be an IP address (a name could resolve to a public one)", s)
	}
	if !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() {
		return fmt.Errorf("%q: %s is not a loopback, private or link-local address: local only", s, ip)
	}
	return nil
}

func (m *Metrics) validate(v *validator) {
	if m.Listen != "" {
		if err := CheckLocalListen(m.Listen); err != nil {
			v.fail("metrics.listen", "%v", err)
		}
	}
}
