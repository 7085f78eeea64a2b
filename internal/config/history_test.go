package config

import (
	"strings"
	"testing"
	"time"
)

func TestHistorySection(t *testing.T) {
	c, err := Parse("t.toml", []byte(base+`
[history]
max_age = "168h"
audit_max_age = "2160h"
max_mb = 16
`))
	if err != nil {
		t.Fatal(err)
	}
	h := c.History
	if h.MaxAge.D() != 7*24*time.Hour || h.AuditMaxAge.D() != 90*24*time.Hour || h.MaxMB != 16 {
		t.Errorf("history section %+v", h)
	}
}

func TestHistorySectionErrors(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`max_age = "-1h"`, "history.max_age: -1h0m0s is negative"},
		{`audit_max_age = "-1h"`, "history.audit_max_age: -1h0m0s is negative"},
		{"max_age = \"720h\"\naudit_max_age = \"24h\"", "history.audit_max_age: 24h0m0s is shorter than history.max_age (720h0m0s)"},
		{`max_mb = -1`, "history.max_mb: -1 is not from 1 to 65536"},
		{`max_mb = 100000`, "history.max_mb: 100000 is not from 1 to 65536"},
		{`max_bytes = 1`, "history.max_bytes: unknown key"},
	} {
		_, err := Parse("t.toml", []byte(base+"[history]\n"+c.body+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.body, err, c.want)
		}
	}
}
