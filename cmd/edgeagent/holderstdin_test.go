package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// TestGrantHolderFromStdin: `grant issue --holder -` takes the public key
// a phone's web app shows as text; anything else on standard input is
// refused with a message naming where it came from, and nothing is written.
func TestGrantHolderFromStdin(t *testing.T) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "authority")
	mustCLI(t, "", "authority", "init", "--dir", auth)
	key, _ := wire.GenerateKey(wire.P256)
	pub, _ := wire.EncodePublicKeyPEM(key.Public())
	out := filepath.Join(dir, "phone.grant")
	issue := func(stdin string, extra ...string) (string, int) {
		return cli(t, stdin, append([]string{"grant", "issue", "--authority", auth, "--site", "s", "--holder", "-",
			"--name", "olivia", "--role", "resident", "--devices", "*", "--out", out}, extra...)...)
	}
	// Pasted with the chat's blank lines around it.
	mustCLI(t, "\n"+string(pub)+"\n", "grant", "issue", "--authority", auth, "--site", "s", "--holder", "-",
		"--name", "olivia", "--role", "resident", "--devices", "*", "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	info, err := localauth.ParseGrant(b)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := wire.KeyIDOf(key.Public()); info.HolderKey != want || info.HolderAlg != wire.P256 {
		t.Errorf("holder %s (%s), want %s (p256)", info.HolderKey, info.HolderAlg, want)
	}
	os.Remove(out)

	for _, c := range []struct {
		name, stdin string
		extra       []string
		code        int
		says        string
	}{
		{"not a key", "hello\n", nil, 1, "--holder - (standard input)"},
		{"nothing", "", nil, 1, "--holder - (standard input)"},
		{"with --pin-stdin", string(pub), []string{"--pin-stdin"}, 2, "both read standard input"},
	} {
		got, code := issue(c.stdin, c.extra...)
		if code != c.code || !strings.Contains(got, c.says) {
			t.Errorf("%s: exit %d %q, want %d and %q", c.name, code, got, c.code, c.says)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a grant was written", c.name)
		}
	}
}
