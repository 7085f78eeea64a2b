package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/nodelink"
	"github.com/edgeagent/edgeagent/internal/nodelink/nodetest"
	"github.com/edgeagent/edgeagent/internal/store"
)

// heartbeatLoss is the node's bound (docs/protocol.md, "Session"): no
// valid hub frame for 5 s, outputs safe. The wait adds the hub's heartbeat
// period (its last frame may be up to 1 s before the kill) and a second of
// scheduling on a loaded machine.
const heartbeatLoss = 5*time.Second + 2*time.Second

// TestAgentNodeOnQEMU: the real agent binary drives the real lock image
// under qemu through a [[node]] table, the keypad line made by `edgeagent
// node pin`. An unlock round trips through the admin socket and the CLI;
// the device list shows the node's health; kill -9 of the agent leaves the
// door unlocked only until the node's own heartbeat bound, then locked and
// local; alone, the node opens on the PIN; the agent started again puts
// that local open, the wrong PIN before it and the loss of the hub in its
// event log as audit.
func TestAgentNodeOnQEMU(t *testing.T) {
	n := nodetest.Boot(t, "lock")

	// The verifier line, made as an installer would, pasted into the config.
	line := strings.TrimSpace(mustCLI(t, "2468\n", "node", "pin", "--user", "7", "--iterations", "1000"))
	dir := t.TempDir()
	cfg, data := filepath.Join(dir, "edgeagent.toml"), filepath.Join(dir, "data")
	conf := fmt.Sprintf(`site = "test-site"
log_level = "debug"

[[node]]
id = "front-keypad"
name = "Front door keypad"
kind = "lock"
port = %q
unlock_for = "60s"
pins = [
  %s
]
`, n.LinkPath, line)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustCLI(t, "", "config", "check", cfg); !strings.Contains(out, "1 devices") || !strings.Contains(out, "1 nodes") {
		t.Fatalf("config check does not count the node: %s", out)
	}

	a := startAgent(t, cfg, data)
	// The session is up once the node said hello: its health says so.
	waitFor(t, "the node's session", func() bool { return nodeHealth(t, data)["up"] == true })
	h := nodeHealth(t, data)
	if h["port"] != n.LinkPath || h["mode"] != "hub" {
		t.Fatalf("node health before any command: %v", h)
	}

	// edgeagent device set: the admin socket, the link, the node's output.
	var st devices.State
	out := mustCLI(t, "", "device", "set", "front-keypad", "unlock", "--json", "--data-dir", data)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("device set --json: %v\n%s", err, out)
	}
	if st.State != "unlocked" || st.Kind != "lock" {
		t.Fatalf("state after unlock: %+v", st)
	}
	n.WaitLine(t, "lock 1", 1, 20*time.Second)
	if !hasAudit(events(t, data), "unlocked", "by", "command") {
		t.Fatalf("no audit event for the unlock: %+v", events(t, data))
	}

	// kill -9: no shutdown, no lock command. The 60 s pulse is cut by the
	// node's own heartbeat bound.
	killed := time.Now()
	a.kill9()
	n.WaitLine(t, "lock 0", 1, heartbeatLoss)
	t.Logf("locked %v after kill -9", time.Since(killed).Round(time.Millisecond))
	n.WaitLine(t, "mode local", 1, 20*time.Second)

	// Alone: a wrong PIN, then the right one opens the door.
	n.WaitLine(t, "keypad ready", 1, 20*time.Second)
	n.Input(t, "k1357#")
	n.Input(t, "k2468#")
	n.WaitLine(t, "lock 1", 2, 20*time.Second)

	// The agent again, on the same data dir: the node's buffered reports
	// become audit events.
	startAgent(t, cfg, data)
	waitFor(t, "the node's buffered reports in the event log", func() bool {
		evs := events(t, data)
		return hasAudit(evs, "keypad_granted", "user", float64(7), "opened_by_node", true) &&
			hasAudit(evs, "unlocked", "by", "keypad_local") &&
			hasAudit(evs, "keypad_denied") &&
			hasAudit(evs, "node_alarm", "alarm", "hub_lost")
	})
	if h := nodeHealth(t, data); h["up"] != true {
		t.Fatalf("node health after the restart: %v", h)
	}
}

// nodeHealth is the node's health from `edgeagent device list --json`.
func nodeHealth(t *testing.T, data string) map[string]any {
	t.Helper()
	var list []devices.State
	out := mustCLI(t, "", "device", "list", "--json", "--data-dir", data)
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("device list --json: %v\n%s", err, out)
	}
	for _, d := range list {
		if d.ID == "front-keypad" {
			h, _ := d.Attrs["node"].(map[string]any)
			return h
		}
	}
	t.Fatalf("front-keypad not in the device list:\n%s", out)
	return nil
}

// events is the event log from `edgeagent events --json`.
func events(t *testing.T, data string) []store.Event {
	t.Helper()
	var evs []store.Event
	out := mustCLI(t, "", "events", "--limit", "1000", "--json", "--data-dir", data)
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatalf("events --json: %v\n%s", err, out)
	}
	return evs
}

// hasAudit reports an audit event of the node of type typ whose data has
// the key/value pairs kv (numbers as JSON decodes them).
func hasAudit(evs []store.Event, typ string, kv ...any) bool {
next:
	for _, e := range evs {
		if e.Device != "front-keypad" || e.Type != typ || e.Class != store.ClassAudit {
			continue
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if e.Data[kv[i].(string)] != kv[i+1] {
				continue next
			}
		}
		return true
	}
	return false
}

// TestNodePinCommand: the line verifies the PIN it was made from, with a
// fresh salt each time (two residents with one PIN get unlike lines), and
// the PIN itself is nowhere in it; a bad PIN or flag is exit 2 naming it.
func TestNodePinCommand(t *testing.T) {
	read := func(out string) (nodelink.PINEntry, uint32) {
		t.Helper()
		s := strings.TrimSuffix(strings.TrimSpace(out), ",")
		e, it, err := nodelink.ParsePINLine(strings.Trim(s, `"`))
		if err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return e, it
	}
	e1, it := read(mustCLI(t, "13572468\n", "node", "pin", "--user", "3", "--iterations", "1500"))
	e2, _ := read(mustCLI(t, "13572468\n", "node", "pin", "--user", "3", "--iterations", "1500"))
	if want, _ := nodelink.NewPINEntry(3, "13572468", e1.Salt, 1500); e1 != want || it != 1500 {
		t.Fatalf("line %+v (%d iterations) does not verify the PIN: want %+v", e1, it, want)
	}
	if e1.Salt == e2.Salt {
		t.Fatal("two lines share a salt")
	}
	if _, it := read(mustCLI(t, "2468\n", "node", "pin", "--user", "1")); it != devices.DefaultNodeOpts.Iterations {
		t.Fatalf("default iterations %d, want the node's default %d", it, devices.DefaultNodeOpts.Iterations)
	}
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"2468\n", []string{"node", "pin"}, "needs --user"},
		{"246\n", []string{"node", "pin", "--user", "1"}, "PIN of 3 digits, the keypad takes 4 to 8"},
		{"24a8\n", []string{"node", "pin", "--user", "1"}, "digits only"},
		{"", []string{"node", "pin", "--user", "1"}, "no PIN on standard input"},
		{"2468\n", []string{"node", "pin", "--user", "1", "--iterations", "20001"}, "--iterations 20001 outside 1..20000"},
		{"2468\n", []string{"node", "pin", "--user", "4294967296"}, "--user 4294967296 is over"},
		{"2468\n", []string{"node", "key"}, "usage: edgeagent node pin"},
	} {
		out, code := cli(t, c.stdin, c.args...)
		if code != 2 || !strings.Contains(out, c.want) || strings.Contains(out, "pbkdf2") {
			t.Errorf("%v < %q: exit %d\n%s\nwant exit 2 with %q", c.args, c.stdin, code, out, c.want)
		}
	}
}
