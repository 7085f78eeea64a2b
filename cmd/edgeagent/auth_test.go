package main

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/edgeagent/edgeagent/internal/store"
)

// cli runs the binary and returns its combined output and exit code.
func cli(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(agentBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func mustCLI(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, code := cli(t, stdin, args...)
	if code != 0 {
		t.Fatalf("edgeagent %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// The whole offline issuer, then the hub's mailbox and audit chain, through
// the binary as an installer would use it.
func TestIssuerAndMailbox(t *testing.T) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "authority")
	out := mustCLI(t, "", "authority", "init", "--dir", auth)
	if !strings.Contains(out, "authority key ") {
		t.Fatalf("authority init: %s", out)
	}
	if fi, err := os.Stat(filepath.Join(auth, "authority.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("authority.key: %v %v", fi, err)
	}
	if _, code := cli(t, "", "authority", "init", "--dir", auth); code == 0 {
		t.Error("authority init overwrote an existing key")
	}
	owner := filepath.Join(dir, "owner")
	guest := filepath.Join(dir, "guest")
	mustCLI(t, "", "key", "new", "--out", owner, "--alg", "p256")
	mustCLI(t, "", "key", "new", "--out", guest)
	if fi, err := os.Stat(owner); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("owner key: %v %v", fi, err)
	}

	ownerGrant := filepath.Join(dir, "owner.grant")
	out = mustCLI(t, "1234\n", "grant", "issue", "--authority", auth, "--site", "test-site", "--holder", owner+".pub",
		"--name", "alice", "--role", "owner", "--devices", "front-door,hall-light", "--pin-stdin", "--out", ownerGrant)
	if !strings.Contains(out, `for "alice" (owner)`) {
		t.Errorf("grant issue: %s", out)
	}
	out = mustCLI(t, "", "grant", "show", ownerGrant, "--authority", auth)
	if !strings.Contains(out, "alice") || !strings.Contains(out, "front-door") {
		t.Errorf("grant show: %s", out)
	}
	other := filepath.Join(dir, "other")
	mustCLI(t, "", "authority", "init", "--dir", other)
	if out, code := cli(t, "", "grant", "show", ownerGrant, "--authority", other); code == 0 {
		t.Errorf("grant show verified against the wrong authority: %s", out)
	}

	guestGrant := filepath.Join(dir, "guest.grant")
	until := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	mustCLI(t, "", "grant", "delegate", "--owner-grant", ownerGrant, "--owner-key", owner, "--holder", guest+".pub",
		"--name", "bob", "--devices", "front-door", "--not-after", until, "--out", guestGrant)
	out, code := cli(t, "", "grant", "delegate", "--owner-grant", ownerGrant, "--owner-key", owner, "--holder", guest+".pub",
		"--name", "eve", "--devices", "front-door,boiler", "--not-after", until, "--out", filepath.Join(dir, "wide.grant"))
	if code == 0 || !strings.Contains(out, "boiler") {
		t.Errorf("a delegation wider than the owner's grant was issued (%d): %s", code, out)
	}
	out, code = cli(t, "", "grant", "issue", "--authority", auth, "--site", "test-site", "--holder", guest+".pub",
		"--name", "x", "--role", "guest", "--devices", "front-door", "--not-after", "next tuesday", "--out", filepath.Join(dir, "x"))
	if code != 2 || !strings.Contains(out, `--not-after "next tuesday" is not an RFC 3339 time`) {
		t.Errorf("bad time: %d %s", code, out)
	}

	cfg, data := newSite(t)
	a := startAgent(t, cfg, data, "--authority", filepath.Join(auth, "authority.pub"))
	out = mustCLI(t, "", "credentials", "import", ownerGrant, "--data-dir", data)
	if !strings.Contains(out, "grant accepted") {
		t.Errorf("import: %s", out)
	}
	out = mustCLI(t, "", "credentials", "import", ownerGrant, "--data-dir", data)
	if !strings.Contains(out, "duplicate") {
		t.Errorf("second import: %s", out)
	}
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("this is not a credential"), 0o600)
	out, code = cli(t, "", "credentials", "import", garbage, "--data-dir", data)
	if code != 1 || !strings.Contains(out, "refused: malformed") {
		t.Errorf("garbage import: %d %s", code, out)
	}
	foreign := filepath.Join(dir, "foreign.grant")
	mustCLI(t, "", "grant", "issue", "--authority", other, "--site", "test-site", "--holder", guest+".pub",
		"--name", "mallory", "--role", "resident", "--devices", "*", "--out", foreign)
	out, code = cli(t, "", "credentials", "import", foreign, "--data-dir", data)
	if code != 1 || !strings.Contains(out, "refused: unknown_authority") {
		t.Errorf("foreign grant import: %d %s", code, out)
	}

	rev1 := filepath.Join(dir, "rev1")
	mustCLI(t, "", "revoke", "--authority", auth, "--site", "test-site", "--serial", "2", "--grant", "00112233445566778899aabbccddeeff", "--out", rev1)
	mustCLI(t, "", "credentials", "import", rev1, "--data-dir", data)
	rev0 := filepath.Join(dir, "rev0")
	mustCLI(t, "", "revoke", "--authority", auth, "--site", "test-site", "--serial", "1", "--grant", "00112233445566778899aabbccddeeff", "--out", rev0)
	out, code = cli(t, "", "credentials", "import", rev0, "--data-dir", data)
	if code != 1 || !strings.Contains(out, "stale_serial") {
		t.Errorf("lower serial import: %d %s", code, out)
	}

	st, err := a.client.Auth()
	if err != nil || st.Grants != 1 || st.SnapshotSerial != 2 || st.RevokedGrants != 1 {
		t.Errorf("auth status: %+v %v", st, err)
	}
	out = mustCLI(t, "", "audit", "verify", "--data-dir", data)
	if !strings.Contains(out, "audit chain intact") {
		t.Errorf("audit verify: %s", out)
	}

	// Change one audit entry on disk while the agent is down: the next
	// verify names it.
	a.kill9()
	tamperAudit(t, filepath.Join(data, "state.db"), 2)
	startAgent(t, cfg, data, "--authority", filepath.Join(auth, "authority.pub"))
	out, code = cli(t, "", "audit", "verify", "--data-dir", data)
	if code != 1 || !strings.Contains(out, "BROKEN") || !strings.Contains(out, "seq 2") {
		t.Errorf("audit verify after tampering: %d %s", code, out)
	}
}

// tamperAudit flips one byte in the body of audit entry seq.
func tamperAudit(t *testing.T, path string, seq uint64) {
	t.Helper()
	foldLog(t, path)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("auth_audit"))
		if b == nil {
			return errors.New("no auth_audit bucket")
		}
		k := binary.BigEndian.AppendUint64(nil, seq)
		v := b.Get(k)
		if v == nil {
			return errors.New("no such audit entry")
		}
		v = append([]byte(nil), v...)
		v[len(v)-1] ^= 0x01
		return b.Put(k, v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// foldLog writes a stopped (or killed) hub's write-ahead log into its
// store file, as its next start would, so that a test editing the file
// with bbolt edits what the hub holds. Someone with the SD card can do the
// same.
func foldLog(t *testing.T, path string) {
	t.Helper()
	st, _, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}
