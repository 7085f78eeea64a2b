package main

// A store file damaged by a power cut must not reset the security state
// (DESIGN.md principle 7, issue 9 item 1). These tests run the binary, damage
// state.db between runs the ways a power cut or a failing SD card does, and
// check every security decision after the restart.

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// pinConfig is the test site with a lockout after one wrong PIN, for an
// hour, and a login rate that lets the test try a few.
const pinConfig = testConfig + `
[auth]
pin_attempts = 1
pin_lockout = "1h"

[lan]
logins_per_minute = 100
`

// damage is what a power cut or a dying SD card leaves of a file.
var damage = []struct {
	name string
	do   func(t *testing.T, path string)
}{
	{"truncated", func(t *testing.T, path string) {
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
	}},
	{"zeroed", func(t *testing.T, path string) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, make([]byte, fi.Size()))
	}},
	{"garbage", func(t *testing.T, path string) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, fi.Size())
		r := rand.NewChaCha8([32]byte{9})
		_, _ = r.Read(b)
		writeFile(t, path, b)
	}},
}

// pinLogin posts a PIN login to the LAN API (certificate pinned) and
// returns the HTTP status and the error code.
func pinLogin(t *testing.T, url, fingerprint, user, pin string) (int, string) {
	t.Helper()
	fp, err := localapi.ParseFingerprint(fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // pinned below, as a phone does
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || sha256.Sum256(cs.PeerCertificates[0].Raw) != fp {
				return errors.New("not the pinned certificate")
			}
			return nil
		},
	}}}
	body, _ := json.Marshal(map[string]string{"user": user, "pin": pin})
	resp, err := c.Post(url+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code string } `json:"error"`
		Code  string                `json:"code"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error.Code + e.Code
}

// site is an authority, an agent with its LAN API, and the credentials the
// tests present.
type site struct {
	t         *testing.T
	cfg, data string
	dir       string
	authPub   string
	authority crypto.Signer
}

func newDamageSite(t *testing.T) *site {
	t.Helper()
	cfg, data := newSite(t)
	writeFile(t, cfg, []byte(pinConfig))
	s := &site{t: t, cfg: cfg, data: data, dir: t.TempDir()}
	authDir := filepath.Join(s.dir, "authority")
	if _, err := localauth.InitAuthority(authDir); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.authority, err = localauth.LoadAuthority(authDir); err != nil {
		t.Fatal(err)
	}
	s.authPub = filepath.Join(authDir, localauth.AuthorityPubFile)
	return s
}

func (s *site) start() *proc {
	s.t.Helper()
	return startAgent(s.t, s.cfg, s.data, "--listen", "127.0.0.1:0", "--authority", s.authPub)
}

// holder is a phone key and its grant files.
type holder struct {
	key, grant, owner string // files; owner: the owner grant of a delegation
	signed            []byte
}

func (s *site) grant(name string, role wire.Role, mods func(*localauth.GrantSpec)) holder {
	s.t.Helper()
	keyPath, _ := keyFiles(s.t, s.dir, name)
	pub, err := localauth.LoadPublicKey(keyPath + ".pub")
	if err != nil {
		s.t.Fatal(err)
	}
	spec := localauth.GrantSpec{Site: "test-site", Holder: pub, Name: name, Role: role, Devices: []string{"*"}}
	if mods != nil {
		mods(&spec)
	}
	g, err := localauth.IssueGrant(s.authority, spec)
	if err != nil {
		s.t.Fatal(err)
	}
	return holder{key: keyPath, grant: writeFile(s.t, filepath.Join(s.dir, name+".grant"), g), signed: g}
}

func (s *site) delegate(owner holder, name string, spec localauth.GrantSpec) holder {
	s.t.Helper()
	keyPath, _ := keyFiles(s.t, s.dir, name)
	pub, _ := localauth.LoadPublicKey(keyPath + ".pub")
	ownerKey, err := localauth.LoadPrivateKey(owner.key)
	if err != nil {
		s.t.Fatal(err)
	}
	spec.Holder, spec.Name = pub, name
	g, err := localauth.Delegate(owner.signed, ownerKey, spec)
	if err != nil {
		s.t.Fatal(err)
	}
	return holder{key: keyPath, grant: writeFile(s.t, filepath.Join(s.dir, name+".grant"), g), owner: owner.grant, signed: g}
}

func (s *site) revoke(serial uint64, issued time.Time, grants ...holder) []byte {
	s.t.Helper()
	var ids []string
	for _, h := range grants {
		info, err := localauth.ParseGrant(h.signed)
		if err != nil {
			s.t.Fatal(err)
		}
		ids = append(ids, info.ID.String())
	}
	snap, err := localauth.IssueRevocation(s.authority, localauth.RevocationSpec{Site: "test-site", Serial: serial, IssuedAt: issued, GrantIDs: ids})
	if err != nil {
		s.t.Fatal(err)
	}
	return snap
}

// door runs `edgeagent do` for h on the front door: "" when granted, else
// the refusal's output.
func door(t *testing.T, a *proc, h holder) string {
	t.Helper()
	url, fp := lanOf(t, a)
	args := []string{"do", "--agent", url, "--fingerprint", fp, "--grant", h.grant, "--key", h.key}
	if h.owner != "" {
		args = append(args, "--owner-grant", h.owner)
	}
	out, errOut, code := runBin(t, append(args, "front-door", "unlock")...)
	if code == 0 {
		return ""
	}
	if errOut == "" {
		return fmt.Sprintf("exit %d: %s", code, out)
	}
	return errOut
}

func importReason(t *testing.T, a *proc, b []byte) localauth.Reason {
	t.Helper()
	res, err := a.client.Import(b)
	var apiErr *localapi.APIError
	if err != nil && !errors.As(err, &apiErr) {
		t.Fatal(err)
	}
	return res.Reason
}

// TestStoreDamageKeepsSecurityState is the attack of issue 9 item 1: revoke
// a grant, lock a PIN user out, then damage state.db and restart. Before
// the security state was kept apart from the store, the revoked key opened
// the door, an older snapshot was accepted, the floor fell to 1970 so a
// guest delegation that had expired opened the door again, the lockout was
// forgotten, and the hub id and LAN certificate changed.
func TestStoreDamageKeepsSecurityState(t *testing.T) {
	for _, dmg := range damage {
		t.Run(dmg.name, func(t *testing.T) {
			s := newDamageSite(t)
			a := s.start()
			now := time.Now()
			owner := s.grant("olga", wire.RoleOwner, func(g *localauth.GrantSpec) {
				g.IssuedAt, g.NotBefore = now.Add(-3*time.Hour), now.Add(-3*time.Hour)
			})
			rosa := s.grant("rosa", wire.RoleResident, nil)
			pete := s.grant("pete", wire.RoleResident, func(g *localauth.GrantSpec) {
				g.PIN, g.PINParams = "2468", localauth.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}
			})
			// Valid for an hour that ended an hour ago: after the owner grant
			// was issued, before the damage.
			gail := s.delegate(owner, "gail", localauth.GrantSpec{
				Devices: []string{"front-door"}, NotBefore: now.Add(-3 * time.Hour), NotAfter: now.Add(-time.Hour),
			})
			for _, h := range []holder{owner, rosa, pete} {
				if r := importReason(t, a, h.signed); r != localauth.ReasonAccepted {
					t.Fatalf("import: %s", r)
				}
			}
			if r := door(t, a, rosa); r != "" {
				t.Fatalf("rosa before the revocation: %s", r)
			}
			old := s.revoke(3, now.Add(-time.Minute))
			if r := importReason(t, a, s.revoke(5, now, rosa)); r != localauth.ReasonAccepted {
				t.Fatalf("snapshot 5: %s", r)
			}
			if r := door(t, a, rosa); !strings.Contains(r, "refused: revoked:") {
				t.Fatalf("rosa after the revocation: %q", r)
			}
			if r := door(t, a, gail); !strings.Contains(r, "refused: expired:") {
				t.Fatalf("gail's expired delegation before the damage: %q", r)
			}
			url, fp := lanOf(t, a)
			if code, reason := pinLogin(t, url, fp, "pete", "1111"); code != http.StatusTooManyRequests || reason != "locked_out" {
				t.Fatalf("a wrong PIN with pin_attempts = 1: %d %s", code, reason)
			}
			before, err := a.client.Auth()
			if err != nil {
				t.Fatal(err)
			}

			a.kill9() // a power cut
			dmg.do(t, filepath.Join(s.data, "state.db"))
			a = s.start()

			st, err := a.client.Status()
			if err != nil {
				t.Fatal(err)
			}
			if !st.Store.Recovered {
				t.Fatalf("the damaged store was not recovered: %+v", st.Store)
			}
			au := st.Auth
			if au.HubID != before.HubID {
				t.Errorf("hub id %s after the recovery, was %s: phones that pinned it refuse the hub", au.HubID, before.HubID)
			}
			if _, fp2 := lanOf(t, a); fp2 != fp {
				t.Errorf("LAN certificate %s after the recovery, was %s", fp2, fp)
			}
			if au.SnapshotSerial != 5 || au.RevokedGrants != 1 || !au.RevocationsLost.IsZero() || len(au.Warnings) != 0 {
				t.Errorf("revocations after the recovery: serial %d, %d revoked, lost %v, warnings %q; want serial 5, 1 revoked, nothing lost",
					au.SnapshotSerial, au.RevokedGrants, au.RevocationsLost, au.Warnings)
			}
			if au.Time.Floor.Before(now.Truncate(time.Second)) {
				t.Errorf("time floor %v after the recovery, below the snapshot's signed issue time %v", au.Time.Floor, now)
			}
			// First, before any signed timestamp of today reaches the hub: the
			// owner grant gail's delegation hangs from was issued 3 h ago,
			// and her delegation ended 1 h ago.
			if r := door(t, a, gail); !strings.Contains(r, "refused: expired:") {
				t.Errorf("the expired delegation after the recovery: %q, want expired", r)
			}
			if r := door(t, a, rosa); !strings.Contains(r, "refused: revoked:") {
				t.Errorf("the revoked grant at the door after the recovery: %q, want revoked", r)
			}
			if r := importReason(t, a, rosa.signed); r != localauth.ReasonRevoked {
				t.Errorf("the revoked grant imported again: %s, want revoked", r)
			}
			if r := importReason(t, a, old); r != localauth.ReasonStaleSerial {
				t.Errorf("snapshot serial 3 after the recovery: %s, want stale_serial", r)
			}
			// The cloud sends pete's grant again (retained): his lockout holds.
			if r := importReason(t, a, pete.signed); r != localauth.ReasonAccepted {
				t.Fatalf("pete's grant again: %s", r)
			}
			newURL, _ := lanOf(t, a)
			if code, reason := pinLogin(t, newURL, fp, "pete", "2468"); code != http.StatusTooManyRequests || reason != "locked_out" {
				t.Errorf("pete's right PIN after the recovery: %d %s, want 429 locked_out", code, reason)
			}
			if r := door(t, a, owner); r != "" {
				t.Errorf("the owner after the recovery: %s", r)
			}
			out, _, _ := runBin(t, "status", "--data-dir", s.data)
			if !strings.Contains(out, "RECOVERED") || !strings.Contains(out, "snapshot serial 5") || strings.Contains(out, "DEGRADED") {
				t.Errorf("edgeagent status after the recovery:\n%s", out)
			}
		})
	}
}

// TestStoreAndSecurityStateDamaged: the store and both copies of every
// security-state record are damaged at once. The revocation list cannot be
// known, so the hub says so loudly and refuses what depends on it: residents
// and guests whose grants were issued before the recovery are refused, an
// owner still opens, a grant issued after the recovery opens, and a snapshot
// issued after the recovery ends the degraded mode.
func TestStoreAndSecurityStateDamaged(t *testing.T) {
	s := newDamageSite(t)
	a := s.start()
	now := time.Now()
	owner := s.grant("olga", wire.RoleOwner, nil)
	rosa := s.grant("rosa", wire.RoleResident, func(g *localauth.GrantSpec) { g.IssuedAt = now.Add(-time.Hour) })
	gail := s.delegate(owner, "gail", localauth.GrantSpec{Devices: []string{"front-door"}, NotAfter: now.Add(24 * time.Hour)})
	eve := s.grant("eve", wire.RoleResident, func(g *localauth.GrantSpec) { g.IssuedAt = now.Add(-time.Hour) })
	for _, h := range []holder{owner, rosa, eve} {
		if r := importReason(t, a, h.signed); r != localauth.ReasonAccepted {
			t.Fatalf("import: %s", r)
		}
	}
	if r := importReason(t, a, s.revoke(5, now, eve)); r != localauth.ReasonAccepted {
		t.Fatalf("snapshot 5: %s", r)
	}
	if r := door(t, a, rosa); r != "" {
		t.Fatalf("rosa before the damage: %s", r)
	}
	before, err := a.client.Auth()
	if err != nil {
		t.Fatal(err)
	}
	a.kill9()
	damage[2].do(t, filepath.Join(s.data, "state.db"))
	files, _ := filepath.Glob(filepath.Join(s.data, "security", "*"))
	if len(files) < 8 {
		t.Fatalf("security state files %v, want two copies of hubkey, revocation, time, pins, lancert", files)
	}
	for _, f := range files {
		damage[2].do(t, f)
	}

	a = s.start()
	after := time.Now()
	au, err := a.client.Auth()
	if err != nil {
		t.Fatal(err)
	}
	if au.RevocationsLost.IsZero() || len(au.Warnings) == 0 || !strings.Contains(strings.Join(au.Warnings, " "), "revocation list lost") {
		t.Fatalf("degraded mode not shown: lost %v, warnings %q", au.RevocationsLost, au.Warnings)
	}
	out, _, _ := runBin(t, "status", "--data-dir", s.data)
	if !strings.Contains(out, "DEGRADED: revocation list lost") || !strings.Contains(out, "LOST since") {
		t.Errorf("edgeagent status does not show the degraded mode:\n%s", out)
	}
	if r := door(t, a, eve); !strings.Contains(r, "refused: revocations_unknown:") {
		t.Errorf("a resident revoked before the damage, issued before the recovery: %q, want revocations_unknown", r)
	}
	if r := door(t, a, rosa); !strings.Contains(r, "refused: revocations_unknown:") {
		t.Errorf("a resident issued before the recovery: %q, want revocations_unknown", r)
	}
	if r := door(t, a, gail); !strings.Contains(r, "refused: revocations_unknown:") {
		t.Errorf("a guest delegated before the recovery: %q, want revocations_unknown", r)
	}
	if r := door(t, a, owner); r != "" {
		t.Errorf("the owner in degraded mode: %s", r)
	}
	if !strings.Contains(strings.Join(au.Warnings, " "), "hub identity key lost") || au.HubID == before.HubID {
		t.Errorf("hub key record damaged: hub id %s (was %s), warnings %q; want a new id and a warning", au.HubID, before.HubID, au.Warnings)
	}
	// Issued after the recovery (a second later: issue times are whole
	// seconds): no lost revocation can name it.
	fresh := s.grant("fred", wire.RoleResident, func(g *localauth.GrantSpec) { g.IssuedAt = after.Add(time.Second) })
	if r := door(t, a, fresh); r != "" {
		t.Errorf("a resident grant issued after the recovery: %s", r)
	}

	// A snapshot issued before the recovery (a replayed retained message)
	// is taken but does not end the degraded mode.
	if r := importReason(t, a, s.revoke(5, now, eve)); r != localauth.ReasonAccepted {
		t.Fatalf("the old snapshot 5: %s", r)
	}
	if au, _ := a.client.Auth(); au.RevocationsLost.IsZero() {
		t.Error("a snapshot issued before the recovery ended the degraded mode")
	}
	if r := door(t, a, rosa); !strings.Contains(r, "refused: revocations_unknown:") {
		t.Errorf("rosa after an old snapshot: %q, want revocations_unknown", r)
	}
	// The operator issues a new one: the degraded mode ends, and survives a
	// restart ended.
	if r := importReason(t, a, s.revoke(6, time.Now().Add(time.Second), eve)); r != localauth.ReasonAccepted {
		t.Fatalf("snapshot 6: %s", r)
	}
	a.kill9()
	a = s.start()
	au, err = a.client.Auth()
	if err != nil {
		t.Fatal(err)
	}
	if !au.RevocationsLost.IsZero() || au.SnapshotSerial != 6 {
		t.Errorf("after a new snapshot and a restart: lost %v, serial %d; want not lost, 6", au.RevocationsLost, au.SnapshotSerial)
	}
	if r := door(t, a, rosa); r != "" {
		t.Errorf("rosa after the new snapshot: %s", r)
	}
	if r := door(t, a, eve); !strings.Contains(r, "refused: revoked:") {
		t.Errorf("eve after the new snapshot: %q, want revoked", r)
	}
}
