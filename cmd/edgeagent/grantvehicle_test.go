package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeagent/edgeagent/internal/localauth"
)

// TestGrantIssueDriveClaims: `grant issue --drive-window --max-speed` puts
// the car's claims in the signed grant (read back by ParseGrant and grant
// show --json); a valet without a window, and windows or speeds out of
// range, are refused naming the flag, and nothing is written.
func TestGrantIssueDriveClaims(t *testing.T) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "authority")
	mustCLI(t, "", "authority", "init", "--dir", auth)
	holder := filepath.Join(dir, "valet")
	mustCLI(t, "", "key", "new", "--out", holder)
	out := filepath.Join(dir, "valet.grant")
	issue := func(extra ...string) (string, int) {
		return cli(t, "", append([]string{"grant", "issue", "--authority", auth, "--site", "car-1", "--holder", holder + ".pub",
			"--name", "valet", "--devices", "car,drive", "--out", out}, extra...)...)
	}

	if got, code := issue("--role", "valet", "--drive-window", "2h", "--max-speed", "40"); code != 0 {
		t.Fatalf("grant issue valet: exit %d %s", code, got)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	info, err := localauth.ParseGrant(b)
	if err != nil {
		t.Fatal(err)
	}
	if g := info.Grant; g.Role != "valet" || g.DriveWindow != 7200 || g.MaxSpeed != 40 {
		t.Errorf("grant role %s window %d s speed %d, want valet 7200 40", g.Role, g.DriveWindow, g.MaxSpeed)
	}
	var j grantJSON
	if err := json.Unmarshal([]byte(mustCLI(t, "", "grant", "show", out, "--authority", auth, "--json")), &j); err != nil {
		t.Fatal(err)
	}
	if j.DriveWindow != "2h0m0s" || j.MaxSpeed != 40 || j.Signature != "verified" {
		t.Errorf("grant show --json: window %q speed %d signature %s", j.DriveWindow, j.MaxSpeed, j.Signature)
	}
	os.Remove(out)

	for _, c := range []struct {
		name  string
		extra []string
		says  string
	}{
		{"valet without a window", []string{"--role", "valet", "--max-speed", "40"}, "--role valet needs --drive-window"},
		{"window not a duration", []string{"--role", "driver", "--drive-window", "two hours"}, "--drive-window"},
		{"window over a day", []string{"--role", "valet", "--drive-window", "25h"}, "--drive-window"},
		{"window under a second", []string{"--role", "valet", "--drive-window", "500ms"}, "--drive-window"},
		{"speed 0", []string{"--role", "valet", "--drive-window", "1h", "--max-speed", "0"}, "--max-speed"},
		{"speed too high", []string{"--role", "valet", "--drive-window", "1h", "--max-speed", "301"}, "--max-speed"},
		{"speed not a number", []string{"--role", "driver", "--max-speed", "fast"}, "--max-speed"},
	} {
		got, code := issue(c.extra...)
		if code != 2 || !strings.Contains(got, c.says) {
			t.Errorf("%s: exit %d %q, want 2 and %q", c.name, code, got, c.says)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a grant was written", c.name)
			os.Remove(out)
		}
	}
	// A driver needs no window: the car's own drive_window bounds it.
	if got, code := issue("--role", "driver"); code != 0 {
		t.Errorf("driver without a window: exit %d %s", code, got)
	}
}
