package localauth

import (
	"crypto"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// The tests' site is in Amsterdam, and "now" is Monday 2 March 2026, 10:00
// there (09:00 UTC), so that schedules are checked in a zone that is not UTC.
const testSite = "home-1"

var amsterdam = mustLocation("Europe/Amsterdam")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // tzdata is embedded: this cannot fail
	}
	return loc
}

var testStart = time.Date(2026, 3, 2, 10, 0, 0, 0, amsterdam)

// testBuildTime stands for the binary's build time, well before testStart:
// tests set the clock back by up to a year.
var testBuildTime = testStart.AddDate(-2, 0, 0)

// cheapPIN keeps argon2 fast in tests; the default parameters are measured
// by BenchmarkCheckPIN.
var cheapPIN = PINParams{Time: 1, MemoryKiB: 64, Threads: 1}

// harness is a hub (store + Keeper) on a real bbolt file in t.TempDir(),
// driven by a fake clock, with one authority key pinned.
type harness struct {
	t         testing.TB
	path      string
	clk       *clocktest.Fake
	ntp       atomic.Bool
	authority crypto.Signer
	mods      []func(*Options)
	st        *store.Store
	sec       *secstate.Dir // beside the store file; kept across reopen, as on a hub
	k         *Keeper
	// skipAuditCheck turns off the chain check at cleanup, for tests that
	// break the chain on purpose.
	skipAuditCheck bool
}

func newHarness(t testing.TB, mods ...func(*Options)) *harness {
	t.Helper()
	h := &harness{
		t:    t,
		path: filepath.Join(t.TempDir(), "state.db"),
		clk:  clocktest.New(testStart),
		mods: mods,
	}
	h.ntp.Store(true)
	var err error
	if h.sec, err = secstate.Open(filepath.Join(filepath.Dir(h.path), "security")); err != nil {
		t.Fatal(err)
	}
	if h.authority, err = wire.GenerateKey(wire.Ed25519); err != nil {
		t.Fatal(err)
	}
	h.start()
	t.Cleanup(func() {
		if h.k == nil {
			return
		}
		if !h.skipAuditCheck {
			if _, err := VerifyAudit(h.st, h.options().SecState); err != nil {
				t.Errorf("audit chain at the end of the test: %v", err)
			}
		}
		h.close()
	})
	return h
}

func (h *harness) options() Options {
	o := Options{
		Site:        testSite,
		Location:    amsterdam,
		Authorities: []crypto.PublicKey{h.authority.Public()},
		Store:       h.st,
		SecState:    h.sec,
		BuildTime:   testBuildTime,
		Clock:       h.clk,
		NTPSynced:   h.ntp.Load,
	}
	for _, m := range h.mods {
		m(&o)
	}
	return o
}

func (h *harness) start() {
	h.t.Helper()
	st, _, err := store.Open(h.path, store.Options{Now: h.clk.Now})
	if err != nil {
		h.t.Fatal(err)
	}
	h.st = st
	k, err := New(h.options())
	if err != nil {
		h.t.Fatal(err)
	}
	h.k = k
}

func (h *harness) close() {
	h.t.Helper()
	if err := h.k.Close(); err != nil {
		h.t.Errorf("Keeper.Close: %v", err)
	}
	if err := h.st.Close(); err != nil {
		h.t.Errorf("store.Close: %v", err)
	}
	h.k, h.st = nil, nil
}

// reopen is a restart: the keeper and the store are closed and opened again
// from the file.
func (h *harness) reopen() {
	h.t.Helper()
	h.close()
	h.start()
}

func (h *harness) key(alg wire.Alg) crypto.Signer {
	h.t.Helper()
	k, err := wire.GenerateKey(alg)
	if err != nil {
		h.t.Fatal(err)
	}
	return k
}

// spec is a valid resident grant for holder: front-door and garage, any
// action, valid from an hour ago for 30 days.
func (h *harness) spec(holder crypto.Signer, mods ...func(*GrantSpec)) GrantSpec {
	now := h.clk.Now()
	s := GrantSpec{
		Site:      testSite,
		Holder:    holder.Public(),
		Name:      "alice",
		Role:      wire.RoleResident,
		Devices:   []string{"front-door", "garage"},
		IssuedAt:  now.Add(-time.Hour),
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.Add(30 * 24 * time.Hour),
		PINParams: cheapPIN,
	}
	for _, m := range mods {
		m(&s)
	}
	return s
}

func (h *harness) issue(spec GrantSpec) []byte {
	h.t.Helper()
	return h.issueWith(h.authority, spec)
}

func (h *harness) issueWith(signer crypto.Signer, spec GrantSpec) []byte {
	h.t.Helper()
	b, err := IssueGrant(signer, spec)
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

func (h *harness) revoke(serial uint64, grants [][]byte, keys []crypto.Signer) []byte {
	h.t.Helper()
	spec := RevocationSpec{Site: testSite, Serial: serial, IssuedAt: h.clk.Now().Add(-time.Minute)}
	for _, g := range grants {
		info, err := ParseGrant(g)
		if err != nil {
			h.t.Fatal(err)
		}
		spec.GrantIDs = append(spec.GrantIDs, info.ID.String())
	}
	for _, k := range keys {
		id, _ := wire.KeyIDOf(k.Public())
		spec.KeyIDs = append(spec.KeyIDs, id.String())
	}
	b, err := IssueRevocation(h.authority, spec)
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

func (h *harness) mustImport(b []byte) ImportResult {
	h.t.Helper()
	res, err := h.k.Import(b)
	if err != nil {
		h.t.Fatalf("Import: %v (%+v)", err, res)
	}
	return res
}

// challenge asks the hub for a challenge and checks its signature and form.
func (h *harness) challenge(device, action string) *wire.Challenge {
	h.t.Helper()
	b, err := h.k.Challenge(device, action)
	if err != nil {
		h.t.Fatal(err)
	}
	c, s, err := wire.ParseChallenge(b)
	if err != nil {
		h.t.Fatal(err)
	}
	v, _ := wire.NewVerifier(h.k.HubPublicKey())
	if err := s.Verify(v); err != nil {
		h.t.Fatalf("challenge not signed by the hub key: %v", err)
	}
	return c
}

func prove(t testing.TB, key crypto.Signer, c *wire.Challenge) []byte {
	t.Helper()
	b, err := wire.SignProof(key, &wire.Proof{Nonce: c.Nonce, Hub: c.Hub, Device: c.Device, Action: c.Action})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// try runs the whole exchange: challenge, proof by key, decision.
func (h *harness) try(chain [][]byte, key crypto.Signer, device, action string) Decision {
	h.t.Helper()
	c := h.challenge(device, action)
	return h.decide(Request{Chain: chain, Proof: prove(h.t, key, c), Device: device, Action: action})
}

func (h *harness) decide(req Request) Decision {
	h.t.Helper()
	d, err := h.k.Decide(req)
	if err != nil {
		h.t.Fatalf("Decide: %v", err)
	}
	return d
}

// lastAudit is the newest audit entry.
func (h *harness) lastAudit() wire.AuditEntry {
	h.t.Helper()
	es, err := h.k.AuditEntries(0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(es) == 0 {
		h.t.Fatal("no audit entries")
	}
	return es[len(es)-1]
}

// lastEvent is the newest event of the store's event log.
func (h *harness) lastEvent() store.Event {
	h.t.Helper()
	evs, err := h.st.Events(0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(evs) == 0 {
		h.t.Fatal("no events")
	}
	return evs[len(evs)-1]
}

func isRefused(err error, reason Reason) bool {
	var r *RefusedError
	return errors.As(err, &r) && r.Reason == reason
}
