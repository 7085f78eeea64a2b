package config

import (
	"strings"
	"testing"
	"time"
)

func TestLANSection(t *testing.T) {
	c, err := Parse("t.toml", []byte(base+`
[lan]
listen = ":8443"
hostnames = ["hub.example.lan"]
session_ttl = "24h"
max_sessions = 20
requests_per_second = 5
logins_per_minute = 3
`))
	if err != nil {
		t.Fatal(err)
	}
	l := c.LAN
	if l.Listen != ":8443" || l.Hostnames[0] != "hub.example.lan" || l.SessionTTL.D() != 24*time.Hour ||
		l.MaxSessions != 20 || l.RequestsPerSecond != 5 || l.LoginsPerMinute != 3 {
		t.Errorf("lan section %+v", l)
	}
}

func TestLANSectionErrors(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`listen = "8443"`, `lan.listen: "8443" is not HOST:PORT or :PORT`},
		{`session_ttl = "-1h"`, "lan.session_ttl: -1h0m0s is negative"},
		{`session_ttl = "721h"`, "lan.session_ttl: 721h0m0s is longer than 720h0m0s"},
		{`max_sessions = -1`, "lan.max_sessions: -1 is negative"},
		{`requests_per_second = -2`, "lan.requests_per_second: -2 is negative"},
		{`logins_per_minute = -3`, "lan.logins_per_minute: -3 is negative"},
		{`hostnames = [""]`, `lan.hostnames: "" is not a host name`},
		{`port = 1`, "lan.port: unknown key"},
	} {
		_, err := Parse("t.toml", []byte(base+"[lan]\n"+c.body+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.body, err, c.want)
		}
	}
}
