package rpi

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// unitFile maps "Section.Key" to its values in order (a key may repeat).
type unitFile map[string][]string

func parseUnit(t *testing.T, path string) unitFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			section = l[1 : len(l)-1]
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value in a section: %q", path, n, l)
			}
			key := section + "." + strings.TrimSpace(k)
			u[key] = append(u[key], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one returns the key's single value, failing when it is missing or repeated.
func (u unitFile) one(t *testing.T, key string) string {
	t.Helper()
	v := u[key]
	if len(v) != 1 {
		t.Errorf("%s: %d values %q, want exactly one", key, len(v), v)
		return ""
	}
	return v[0]
}

// words returns every space-separated word of every value of key.
func (u unitFile) words(key string) []string {
	var w []string
	for _, v := range u[key] {
		w = append(w, strings.Fields(v)...)
	}
	return w
}

// TestUnitRules checks the unit for the rules edgeagent depends on: it
// starts with no network, tells systemd when local control is served, is
// restarted whatever happens, and is confined without losing GPIO.
func TestUnitRules(t *testing.T) {
	u := parseUnit(t, "edgeagent.service")

	// Never wait for the network (or for network time): a unit that does
	// never starts offline.
	for _, key := range []string{"After", "Wants", "Requires", "Requisite", "BindsTo", "PartOf", "Upholds"} {
		for _, w := range u.words("Unit." + key) {
			l := strings.ToLower(w)
			if strings.Contains(l, "network") || strings.Contains(l, "online") || strings.Contains(l, "time-sync") || strings.Contains(l, "nss-lookup") {
				t.Errorf("Unit.%s names %s: the hub would not start offline", key, w)
			}
		}
	}
	for _, w := range u.words("Unit.After") {
		if !strings.HasPrefix(w, "local-fs") && w != "sysinit.target" && w != "systemd-udevd.service" {
			t.Errorf("Unit.After=%s: only local targets", w)
		}
	}
	if got := u.one(t, "Unit.StartLimitIntervalSec"); got != "0" {
		t.Errorf("StartLimitIntervalSec=%q: systemd must never give up restarting", got)
	}

	exact := map[string]string{
		"Service.Type":                    "notify",
		"Service.NotifyAccess":            "main",
		"Service.ExecStart":               "/usr/bin/edgeagent run --config /etc/edgeagent/edgeagent.toml",
		"Service.Restart":                 "always",
		"Service.User":                    "edgeagent",
		"Service.StateDirectory":          "edgeagent",
		"Service.StateDirectoryMode":      "0700",
		"Service.RuntimeDirectory":        "edgeagent",
		"Service.NoNewPrivileges":         "yes",
		"Service.CapabilityBoundingSet":   "",
		"Service.AmbientCapabilities":     "",
		"Service.ProtectSystem":           "strict",
		"Service.ProtectHome":             "yes",
		"Service.PrivateTmp":              "yes",
		"Service.DevicePolicy":            "closed",
		"Service.ProtectKernelTunables":   "yes",
		"Service.ProtectKernelModules":    "yes",
		"Service.ProtectControlGroups":    "yes",
		"Service.LockPersonality":         "yes",
		"Service.MemoryDenyWriteExecute":  "yes",
		"Service.RestrictNamespaces":      "yes",
		"Service.RestrictRealtime":        "yes",
		"Service.RestrictSUIDSGID":        "yes",
		"Service.SystemCallArchitectures": "native",
		"Service.SystemCallErrorNumber":   "EPERM",
		"Install.WantedBy":                "multi-user.target",
	}
	for key, want := range exact {
		if got := u.one(t, key); got != want {
			t.Errorf("%s=%q, want %q", key, got, want)
		}
	}

	for key, bound := range map[string][2]time.Duration{
		"Service.WatchdogSec":     {2 * time.Second, time.Minute}, // the health loop pings at half
		"Service.RestartSec":      {0, 5 * time.Second},           // back to local control at once
		"Service.TimeoutStopSec":  {2 * time.Second, 30 * time.Second},
		"Service.TimeoutStartSec": {5 * time.Second, 2 * time.Minute},
	} {
		d, err := time.ParseDuration(u.one(t, key))
		if err != nil || d < bound[0] || d > bound[1] {
			t.Errorf("%s=%q: want a duration in %s..%s", key, u[key], bound[0], bound[1])
		}
	}

	if !slices.Contains(u.words("Service.SupplementaryGroups"), "gpio") {
		t.Error("SupplementaryGroups lacks gpio: no access to /dev/gpiochip*")
	}
	allow := u["Service.DeviceAllow"]
	for _, want := range []string{"char-gpiochip rw", "/dev/gpiomem rw"} {
		if !slices.Contains(allow, want) {
			t.Errorf("DeviceAllow lacks %q (has %q)", want, allow)
		}
	}
	if v := u["Service.PrivateDevices"]; len(v) > 0 && v[0] != "no" {
		t.Error("PrivateDevices hides /dev/gpiochip*: the relays would not move")
	}
	families := u.words("Service.RestrictAddressFamilies")
	for _, f := range []string{"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"} {
		if !slices.Contains(families, f) {
			t.Errorf("RestrictAddressFamilies lacks %s", f)
		}
	}
	for _, f := range families {
		if strings.HasPrefix(f, "~") || f == "AF_PACKET" {
			t.Errorf("RestrictAddressFamilies has %s: an allow list only", f)
		}
	}
	// Trusted time reads the kernel's NTP flag with adjtimex, which is in
	// @clock: ProtectClock= would refuse it, and the filter must allow it.
	if v := u["Service.ProtectClock"]; len(v) > 0 && v[0] != "no" {
		t.Error("ProtectClock blocks adjtimex: trusted time would never anchor on NTP")
	}
	filters := u["Service.SystemCallFilter"]
	if len(filters) == 0 || filters[len(filters)-1] != "adjtimex" {
		t.Errorf("the last SystemCallFilter must allow adjtimex (after the deny lists), got %q", filters)
	}
	// ProcSubset=pid would hide /proc/cpuinfo, where periph recognises a Pi.
	if len(u["Service.ProcSubset"]) > 0 {
		t.Error("ProcSubset breaks periph's board detection")
	}
}

// TestSystemdAnalyzeVerify runs systemd's own checker on the unit. It checks
// that ExecStart exists, so the copy it reads points at a real executable;
// it reports unknown keys as warnings with exit 0, so any output fails.
func TestSystemdAnalyzeVerify(t *testing.T) {
	sa := need(t, "systemd-analyze", "systemd")
	b, err := os.ReadFile("edgeagent.service")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "ExecStart=/usr/bin/edgeagent ") {
		t.Fatal("ExecStart does not run /usr/bin/edgeagent")
	}
	path := filepath.Join(t.TempDir(), "edgeagent.service")
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "ExecStart=/usr/bin/edgeagent ", "ExecStart="+self+" ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
