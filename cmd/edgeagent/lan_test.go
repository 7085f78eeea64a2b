package main

// End to end with the binary: an agent with its LAN API on a free loopback
// port, the cloud broker unreachable, and `edgeagent do` doing what a phone
// does with its key.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// lanOf reads the LAN API's address and fingerprint from the admin status.
func lanOf(t *testing.T, a *proc) (url, fingerprint string) {
	t.Helper()
	st, err := a.client.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.LAN == nil {
		t.Fatal("status has no lan part")
	}
	return "https://" + st.LAN.Listen, st.LAN.Fingerprint
}

// runBin runs the binary and returns its stdout, stderr and exit code.
func runBin(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(agentBin, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// keyFiles makes a holder key pair in dir and returns the private key's
// path and the key.
func keyFiles(t *testing.T, dir, name string) (string, wire.ID) {
	t.Helper()
	path := filepath.Join(dir, name+".key")
	id, err := localauth.NewKey(path, wire.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	return path, id
}

func writeFile(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLANDoUnlocksRefusesRevokedAndExpired(t *testing.T) {
	cfg, data := newSite(t)
	dir := t.TempDir()
	authDir := filepath.Join(dir, "authority")
	if _, err := localauth.InitAuthority(authDir); err != nil {
		t.Fatal(err)
	}
	authority, err := localauth.LoadAuthority(authDir)
	if err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, cfg, data, "--listen", "127.0.0.1:0",
		"--authority", filepath.Join(authDir, localauth.AuthorityPubFile),
		"--broker", "tcp://127.0.0.1:1") // nothing listens there: the cloud is down
	url, fp := lanOf(t, a)

	out, _, code := runBin(t, "status", "--data-dir", data)
	if code != 0 || !strings.Contains(out, fp) {
		t.Errorf("edgeagent status does not show the certificate fingerprint %s:\n%s", fp, out)
	}

	// A resident's phone key: the grant is presented at the door, and also
	// imported (so that a revocation finds it).
	keyPath, _ := keyFiles(t, dir, "rosa")
	pub, err := localauth.LoadPublicKey(keyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	grant, err := localauth.IssueGrant(authority, localauth.GrantSpec{
		Site: "test-site", Holder: pub, Name: "rosa", Role: wire.RoleResident, Devices: []string{"front-door", "hall-light"},
	})
	if err != nil {
		t.Fatal(err)
	}
	grantPath := writeFile(t, filepath.Join(dir, "rosa.grant"), grant)
	if _, err := a.client.Import(grant); err != nil {
		t.Fatal(err)
	}
	do := func(args ...string) (string, string, int) {
		t.Helper()
		return runBin(t, append([]string{"do", "--agent", url, "--fingerprint", fp}, args...)...)
	}

	out, errOut, code := do("--grant", grantPath, "--key", keyPath, "front-door", "unlock")
	if code != 0 || !strings.Contains(out, "front-door: unlocked") || !strings.Contains(out, "granted to rosa (resident)") {
		t.Fatalf("do unlock: exit %d\n%s%s", code, out, errOut)
	}
	if s := a.device("front-door").State; s != "unlocked" {
		t.Errorf("front-door %s after do unlock", s)
	}
	waitFor(t, "the relock", func() bool { return a.device("front-door").State == "locked" })

	// A device outside the grant.
	_, errOut, code = do("--grant", grantPath, "--key", keyPath, "boiler", "on")
	if code != 1 || !strings.Contains(errOut, "device_not_allowed") {
		t.Errorf("do on a device outside the grant: exit %d %s", code, errOut)
	}

	// Revoked: a snapshot naming the grant reaches the hub.
	info, _ := localauth.ParseGrant(grant)
	snap, err := localauth.IssueRevocation(authority, localauth.RevocationSpec{Site: "test-site", Serial: 1, GrantIDs: []string{info.ID.String()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.client.Import(snap); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = do("--grant", grantPath, "--key", keyPath, "front-door", "unlock")
	if code != 1 || !strings.Contains(errOut, "refused: revoked") || !strings.Contains(errOut, "revoked") {
		t.Errorf("do with a revoked grant: exit %d %q", code, errOut)
	}

	// Expired: valid for an hour that ended an hour ago.
	oldKey, _ := keyFiles(t, dir, "old")
	oldPub, _ := localauth.LoadPublicKey(oldKey + ".pub")
	now := time.Now()
	expired, err := localauth.IssueGrant(authority, localauth.GrantSpec{
		Site: "test-site", Holder: oldPub, Name: "old", Role: wire.RoleResident, Devices: []string{"*"},
		IssuedAt: now.Add(-2 * time.Hour), NotBefore: now.Add(-2 * time.Hour), NotAfter: now.Add(-time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, code = do("--grant", writeFile(t, filepath.Join(dir, "old.grant"), expired), "--key", oldKey, "front-door", "unlock")
	if code != 1 || !strings.Contains(errOut, "expired") {
		t.Errorf("do with an expired grant: exit %d %q", code, errOut)
	}
	if s := a.device("front-door").State; s != "locked" {
		t.Errorf("front-door %s after refusals", s)
	}

	// Every decision is in the audit log.
	var decisions []string
	for _, e := range a.events() {
		if e.Type == localauth.EventDecision {
			decisions = append(decisions, e.Data["reason"].(string))
		}
	}
	if strings.Join(decisions, ",") != "granted,device_not_allowed,revoked,expired" {
		t.Errorf("audited decisions %v", decisions)
	}
}

func TestLANDoDelegatedGuest(t *testing.T) {
	cfg, data := newSite(t)
	dir := t.TempDir()
	authDir := filepath.Join(dir, "authority")
	localauth.InitAuthority(authDir)
	authority, _ := localauth.LoadAuthority(authDir)
	a := startAgent(t, cfg, data, "--listen", "127.0.0.1:0", "--authority", filepath.Join(authDir, localauth.AuthorityPubFile))
	url, fp := lanOf(t, a)

	ownerKeyPath, _ := keyFiles(t, dir, "owner")
	ownerKey, _ := localauth.LoadPrivateKey(ownerKeyPath)
	ownerGrant, err := localauth.IssueGrant(authority, localauth.GrantSpec{
		Site: "test-site", Holder: ownerKey.Public(), Name: "olga", Role: wire.RoleOwner, Devices: []string{"*"},
	})
	if err != nil {
		t.Fatal(err)
	}
	guestKeyPath, _ := keyFiles(t, dir, "guest")
	guestPub, _ := localauth.LoadPublicKey(guestKeyPath + ".pub")
	guest, err := localauth.Delegate(ownerGrant, ownerKey, localauth.GrantSpec{
		Holder: guestPub, Name: "gail", Devices: []string{"hall-light"}, Actions: []string{"on", "off"}, NotAfter: time.Now().Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"do", "--agent", url, "--fingerprint", fp,
		"--grant", writeFile(t, filepath.Join(dir, "guest.grant"), guest),
		"--owner-grant", writeFile(t, filepath.Join(dir, "owner.grant"), ownerGrant),
		"--key", guestKeyPath}
	out, errOut, code := runBin(t, append(args, "hall-light", "on", "--json")...)
	if code != 0 || !strings.Contains(out, `"granted": true`) {
		t.Fatalf("delegated guest: exit %d\n%s%s", code, out, errOut)
	}
	if s := a.device("hall-light").State; s != "on" {
		t.Errorf("hall-light %s", s)
	}
	_, errOut, code = runBin(t, append(args[:len(args)-4], "--key", guestKeyPath, "hall-light", "on")...)
	if code != 1 || !strings.Contains(errOut, "missing_delegator") {
		t.Errorf("delegation without the owner's grant: exit %d %q", code, errOut)
	}
}

func TestLANDoUsageAndPinning(t *testing.T) {
	cfg, data := newSite(t)
	a := startAgent(t, cfg, data, "--listen", "127.0.0.1:0")
	url, fp := lanOf(t, a)
	dir := t.TempDir()
	keyPath, _ := keyFiles(t, dir, "k")
	grantPath := writeFile(t, filepath.Join(dir, "g"), []byte("not a grant"))
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"do", "front-door", "unlock"}, 2, "do needs --agent"},
		{[]string{"do", "--agent", url, "--fingerprint", fp, "--grant", grantPath, "--key", keyPath}, 2, "usage: edgeagent do"},
		{[]string{"do", "--agent", url, "--fingerprint", "abc", "--grant", grantPath, "--key", keyPath, "front-door", "unlock"}, 2, "not a SHA-256"},
		{[]string{"do", "--agent", "http://" + strings.TrimPrefix(url, "https://"), "--fingerprint", fp, "--grant", grantPath, "--key", keyPath, "front-door", "unlock"}, 2, "want https://HOST:PORT"},
		{[]string{"do", "--agent", url, "--fingerprint", strings.Repeat("00", 32), "--grant", grantPath, "--key", keyPath, "front-door", "unlock"}, 1, "not the pinned"},
		{[]string{"do", "--agent", url, "--fingerprint", fp, "--grant", grantPath, "--key", keyPath, "front-door", "press"}, 1, "unknown_action"},
		{[]string{"do", "--agent", url, "--fingerprint", fp, "--grant", grantPath, "--key", keyPath, "front-door", "unlock"}, 1, "malformed_grant"},
		{[]string{"do", "--agent", url, "--fingerprint", fp, "--grant", filepath.Join(dir, "none"), "--key", keyPath, "front-door", "unlock"}, 1, "no such file"},
	} {
		_, errOut, code := runBin(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d %q, want %d and %q", c.args[1:], code, errOut, c.code, c.want)
		}
	}
}

// The LAN certificate is made once and kept: a restart serves the same one.
func TestLANCertificateKeptAcrossRestart(t *testing.T) {
	cfg, data := newSite(t)
	a := startAgent(t, cfg, data, "--listen", "127.0.0.1:0")
	_, fp := lanOf(t, a)
	a.kill9()
	b := startAgent(t, cfg, data, "--listen", "127.0.0.1:0")
	if _, fp2 := lanOf(t, b); fp2 != fp {
		t.Errorf("fingerprint %s after a restart, was %s", fp2, fp)
	}
	if _, err := os.Stat(filepath.Join(data, "state.db")); err != nil {
		t.Fatal(err)
	}
}
