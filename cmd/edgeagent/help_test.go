package main

import (
	"bytes"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// Every subcommand answers -h and --help with its own usage on stdout and
// exit 0, and does nothing else (a help flag after the arguments of an action
// does not run the action: with no agent running it would exit 1).
func TestSubcommandHelp(t *testing.T) {
	cases := []struct {
		args []string
		want string // in the help text
	}{
		{[]string{"run"}, "edgeagent run --config FILE"},
		{[]string{"config", "check"}, "edgeagent config check FILE"},
		{[]string{"config"}, "edgeagent config check FILE"},
		{[]string{"status"}, "edgeagent status [--json]"},
		{[]string{"device"}, "edgeagent device set ID ACTION"},
		{[]string{"device", "list"}, "edgeagent device list [--json]"},
		{[]string{"device", "set"}, "device actions: lock unlock"},
		{[]string{"device", "set", "front-door", "unlock"}, "edgeagent device set ID ACTION"},
		{[]string{"events"}, "edgeagent events [--after SEQ]"},
		{[]string{"do"}, "edgeagent do --agent https://HOST:PORT"},
		{[]string{"ble-phone"}, "--bus: a test's bus with a fake BlueZ"},
		{[]string{"credentials", "import"}, "edgeagent credentials import FILE..."},
		{[]string{"credentials"}, "edgeagent credentials import FILE..."},
		{[]string{"audit", "verify"}, "edgeagent audit verify [--file STATE.DB"},
		{[]string{"rpi", "bootconfig"}, "edgeagent rpi bootconfig --config FILE"},
		{[]string{"homekit", "show"}, "edgeagent homekit show --config FILE"},
		{[]string{"homekit", "reset"}, "edgeagent homekit reset --config FILE"},
		{[]string{"node", "pin"}, "edgeagent node pin --user N"},
		{[]string{"demo"}, "edgeagent demo [--listen ADDR]"},
		{[]string{"version"}, "edgeagent version"},
		{[]string{"authority", "init"}, "edgeagent authority init --dir DIR"},
		{[]string{"key", "new"}, "edgeagent key new --out FILE"},
		{[]string{"grant"}, "edgeagent grant delegate"},
		{[]string{"grant", "issue"}, "edgeagent grant issue --authority DIR"},
		{[]string{"grant", "delegate"}, "edgeagent grant delegate --owner-grant"},
		{[]string{"grant", "show"}, "edgeagent grant show FILE"},
		{[]string{"revoke"}, "edgeagent revoke --authority DIR"},
		{[]string{"command", "sign"}, "edgeagent command sign --authority DIR"},
		{[]string{"settings", "sign"}, "edgeagent settings sign --authority DIR"},
		{[]string{"split"}, "edgeagent split FILE --out PREFIX"},
		{[]string{"split", "big.cose"}, "edgeagent split FILE --out PREFIX"},
	}
	for _, c := range cases {
		for _, h := range []string{"-h", "--help", "-help"} {
			args := append(append([]string{}, c.args...), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := Main(args, strings.NewReader(""), &stdout, &stderr)
				if code != 0 || stderr.Len() != 0 {
					t.Fatalf("exit %d, stderr %q", code, stderr.String())
				}
				out := stdout.String()
				if !strings.HasPrefix(out, "usage:\n") || !strings.Contains(out, c.want) {
					t.Errorf("help does not show %q:\n%s", c.want, out)
				}
				if strings.Contains(out, "offline issuer") {
					t.Errorf("printed the whole overview instead of the command's usage:\n%s", out)
				}
			})
		}
	}
	// "edgeagent help CMD" is the same text.
	var a, b, stderr bytes.Buffer
	Main([]string{"help", "grant", "show"}, nil, &a, &stderr)
	Main([]string{"grant", "show", "--help"}, nil, &b, &stderr)
	if a.String() != b.String() || a.Len() == 0 {
		t.Errorf("help grant show %q != grant show --help %q", a.String(), b.String())
	}
	// Every command of the overview is in the table above.
	covered := map[string]bool{}
	for _, c := range cases {
		covered[strings.Join(c.args, " ")] = true
	}
	for _, line := range strings.Split(usage, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "edgeagent" || f[1] == "help" {
			continue
		}
		if !covered[f[1]] && (len(f) < 3 || !covered[f[1]+" "+f[2]]) {
			t.Errorf("no help case for %q", line)
		}
	}
}

// After "--" a "-h" is an argument, not a request for help.
func TestHelpFlagAfterDashDashIsAnArgument(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Main([]string{"config", "check", "--", "-h"}, nil, &stdout, &stderr)
	if code == 0 || strings.Contains(stdout.String(), "usage:") {
		t.Errorf("config check -- -h: exit %d, stdout %q", code, stdout.String())
	}
}

// Every command that reads something has --json.
func TestReadCommandsHaveJSON(t *testing.T) {
	for _, cmd := range []string{"status", "device list", "device set", "events", "grant show", "audit verify", "credentials import"} {
		if u := commandUsage(cmd); !strings.Contains(u, "[--json]") {
			t.Errorf("%s: no --json in its usage %q", cmd, u)
		}
	}
}

// grant show --json gives a script the grant id (to revoke it) and says
// whether the signature was verified.
func TestGrantShowJSON(t *testing.T) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "authority")
	mustCLI(t, "", "authority", "init", "--dir", auth)
	holder := filepath.Join(dir, "alice")
	mustCLI(t, "", "key", "new", "--out", holder)
	grant := filepath.Join(dir, "alice.grant")
	out := mustCLI(t, "", "grant", "issue", "--authority", auth, "--site", "home-1", "--holder", holder+".pub",
		"--name", "alice", "--role", "owner", "--devices", "front-door", "--schedule", "mon-fri 08:00-18:00", "--out", grant)
	id := strings.Fields(out)[1] // "grant ID for ..."

	var g grantJSON
	out = mustCLI(t, "", "grant", "show", grant, "--authority", auth, "--json")
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatalf("grant show --json: %v\n%s", err, out)
	}
	if g.ID.String() != id || g.Name != "alice" || g.Role != "owner" || g.Site != "home-1" ||
		g.Signature != "verified" || len(g.Devices) != 1 || g.Devices[0] != "front-door" || g.Schedule == "" {
		t.Errorf("grant show --json = %+v, want id %s verified", g, id)
	}

	other := filepath.Join(dir, "other")
	mustCLI(t, "", "authority", "init", "--dir", other)
	out, code := cli(t, "", "grant", "show", grant, "--authority", other, "--json")
	if code != 1 {
		t.Fatalf("grant show --json against the wrong authority: exit %d\n%s", code, out)
	}
	// stdout (the JSON) comes first, the error line after it.
	g = grantJSON{}
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&g); err != nil || g.Signature != "invalid" || g.Error == "" {
		t.Errorf("wrong authority: %+v %v\n%s", g, err, out)
	}
}

// status with a cloud link that never connected, and so never synced, says
// so in words instead of printing Go's "<nil>" for the missing times.
func TestStatusNeverPrintsNil(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close() // nothing listens there: the broker is down
	cfg, data := newSite(t)
	startAgent(t, cfg, data, "--broker", "tcp://"+down, "--listen", "127.0.0.1:0")
	out := mustCLI(t, "", "status", "--data-dir", data)
	if strings.Contains(out, "<nil>") || strings.Contains(out, "%!") {
		t.Errorf("status prints a Go placeholder:\n%s", out)
	}
	if !strings.Contains(out, "last sync never") {
		t.Errorf("status does not say the cloud never synced:\n%s", out)
	}
}
