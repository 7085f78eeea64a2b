package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/nodelink"
)

// pinLine is a verifier line as `edgeagent node pin` prints it.
func pinLine(t *testing.T, user uint32, pin string, iterations uint32) string {
	t.Helper()
	e, err := nodelink.NewPINEntry(user, pin, [nodelink.SaltLen]byte{byte(user), 1, 2}, iterations)
	if err != nil {
		t.Fatal(err)
	}
	return e.Line(iterations)
}

func TestNodeSection(t *testing.T) {
	l1, l2 := pinLine(t, 1, "2468", 2000), pinLine(t, 2, "13579", 2000)
	c, err := Parse("t.toml", []byte(base+`
[[node]]
id = "front-keypad"
name = "Front keypad"
kind = "lock"
port = "/dev/ttyAMA0"
unlock_for = "8s"
pins = ["`+l1+`", "`+l2+`"]

[[node]]
id = "cellar-boiler"
kind = "boiler"
port = "/dev/ttyUSB0"
baud = 57600
`))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Devices()
	if len(d.Nodes) != 2 {
		t.Fatalf("nodes: %+v", d.Nodes)
	}
	lock, boiler := d.Nodes[0], d.Nodes[1]
	if lock.ID != "front-keypad" || lock.Name != "Front keypad" || lock.Kind != devices.NodeLock || lock.Port != "/dev/ttyAMA0" ||
		lock.Baud != 115200 || lock.UnlockFor != 8*time.Second || lock.Iterations != 2000 || len(lock.PINs) != 2 {
		t.Fatalf("lock node: %+v", lock)
	}
	// the verifiers reach the node as computed: the same PIN checks out
	want, _ := nodelink.NewPINEntry(2, "13579", [nodelink.SaltLen]byte{2, 1, 2}, 2000)
	if lock.PINs[1] != want {
		t.Fatalf("pins[1] = %+v, want %+v", lock.PINs[1], want)
	}
	if boiler.Kind != devices.NodeBoiler || boiler.Baud != 57600 || boiler.UnlockFor != devices.DefaultNodeOpts.UnlockFor ||
		boiler.Iterations != devices.DefaultNodeOpts.Iterations || len(boiler.PINs) != 0 {
		t.Fatalf("boiler node: %+v", boiler)
	}
}

func TestNodeErrors(t *testing.T) {
	l1, l2 := pinLine(t, 1, "2468", 1000), pinLine(t, 2, "1357", 1000)
	other := pinLine(t, 2, "1357", 3000)
	const head = "[[node]]\nid = \"front-keypad\"\nkind = \"lock\"\nport = \"/dev/ttyAMA0\"\n"
	for _, c := range []struct{ body, want string }{
		{"[[node]]\nid = \"front-keypad\"\nkind = \"lock\"", "node[0] (front-keypad).port: missing"},
		{"[[node]]\nid = \"front-keypad\"\nport = \"/dev/ttyAMA0\"", "node[0] (front-keypad).kind: missing"},
		{"[[node]]\nid = \"front-keypad\"\nkind = \"door\"\nport = \"/dev/ttyAMA0\"", `node[0] (front-keypad).kind: "door" is not "lock" or "boiler"`},
		{"[[node]]\nkind = \"lock\"\nport = \"/dev/ttyAMA0\"", "node[0].id: missing"},
		{head + "baud = 115201", "node[0] (front-keypad).baud: 115201 is not one of"},
		{head + "unlock_for = \"61s\"", "node[0] (front-keypad).unlock_for: 1m1s is longer than the node's limit of 60s"},
		{head + "unlock_for = \"-1s\"", "node[0] (front-keypad).unlock_for"},
		{head + "pins = [\"2468\"]", `node[0] (front-keypad).pins[0]: "2468" is not USER:pbkdf2-sha256:ITERATIONS:SALT:HASH`},
		{head + "pins = [\"" + l1 + "\", \"" + strings.Replace(l2, "pbkdf2-sha256", "md5", 1) + "\"]", `node[0] (front-keypad).pins[1]: algorithm "md5"`},
		{head + "pins = [\"" + strings.Replace(l1, ":1000:", ":20001:", 1) + "\"]", "node[0] (front-keypad).pins[0]: iterations \"20001\" outside 1..20000"},
		{head + "pins = [\"" + l1[:len(l1)-2] + "\"]", "node[0] (front-keypad).pins[0]: hash is not 32 bytes"},
		{head + "pins = [\"" + l1 + "\", \"" + other + "\"]", "node[0] (front-keypad).pins[1]: 3000 iterations, pins[0] has 1000"},
		{head + "pins = [\"" + l1 + "\", \"" + l1 + "\"]", "node[0] (front-keypad).pins[1]: user 1 is also pins[0]"},
		{head + "pins = [" + nineUsers(t) + "]", "node[0] (front-keypad).pins: 9 verifiers, the node holds at most 8"},
		{"[[node]]\nid = \"heat\"\nkind = \"boiler\"\nport = \"/dev/ttyUSB0\"\npins = [\"" + l1 + "\"]", "node[0] (heat).pins: a boiler node has no keypad"},
		{head + "[[node]]\nid = \"back\"\nkind = \"lock\"\nport = \"/dev/ttyAMA0\"", `node[1] (back).port: "/dev/ttyAMA0" is already the port of node[0] (front-keypad)`},
		{head + "[[lock]]\nid = \"front-keypad\"\nrelay = \"GPIO17\"\nfail = \"secure\"", `lock[0].id: duplicate device id "front-keypad" (also node[0])`},
		{head + "pin = \"1\"", "unknown key"},
	} {
		_, err := Parse("t.toml", []byte(base+c.body+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.body, err, c.want)
		}
	}
}

func nineUsers(t *testing.T) string {
	var lines []string
	for u := uint32(1); u <= 9; u++ {
		lines = append(lines, `"`+pinLine(t, u, "2468", 1000)+`"`)
	}
	return strings.Join(lines, ", ")
}

// TestExampleNodeIsValid: the example's [[node]], commented out (a node on
// /dev/ttyAMA0 would stop `make run --sim`), parses once uncommented.
func TestExampleNodeIsValid(t *testing.T) {
	b, err := os.ReadFile("../../deploy/rpi/edgeagent.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "#[[node]]")
	if i < 0 {
		t.Fatal("the example has no commented [[node]]")
	}
	var block []string
	for _, line := range strings.Split(text[i:], "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		block = append(block, strings.TrimPrefix(line, "#"))
	}
	c, err := Parse("example node", []byte(base+strings.Join(block, "\n")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Devices().Nodes; len(n) != 1 || len(n[0].PINs) != 1 {
		t.Fatalf("example node: %+v", n)
	}
}
