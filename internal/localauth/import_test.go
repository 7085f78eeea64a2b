package localauth

import (
	"crypto"
	"errors"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

func TestImport(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.key(wire.Ed25519), h.key(wire.P256)
	ga := h.issue(h.spec(alice))
	gb := h.issue(h.spec(bob, func(s *GrantSpec) { s.Name = "bob" }))

	res := h.mustImport(ga)
	if !res.Accepted || res.Reason != ReasonAccepted || res.Kind != ImportGrant {
		t.Fatalf("first import: %+v", res)
	}
	if res := h.mustImport(ga); res.Reason != ReasonDuplicate {
		t.Errorf("same grant again: %+v, want duplicate", res)
	}
	h.mustImport(gb)
	if n := h.k.Status().Grants; n != 2 {
		t.Fatalf("%d grants, want 2", n)
	}

	refusals := []struct {
		name string
		b    []byte
		want Reason
	}{
		{"garbage", []byte("hello"), ReasonMalformed},
		{"a proof", prove(t, alice, &wire.Challenge{Nonce: make([]byte, 32), Hub: make([]byte, 16), Device: "d", Action: "a"}), ReasonUnknownType},
		{"unknown authority", h.issueWith(h.key(wire.Ed25519), h.spec(alice)), ReasonUnknownAuthority},
		{"wrong site", h.issue(h.spec(alice, func(s *GrantSpec) { s.Site = "elsewhere" })), ReasonWrongSite},
		{"expired", h.issue(h.spec(alice, func(s *GrantSpec) {
			s.NotBefore, s.NotAfter = h.clk.Now().Add(-2*time.Hour), h.clk.Now().Add(-time.Hour)
		})), ReasonExpired},
		{"a delegation", func() []byte {
			owner := h.key(wire.Ed25519)
			og := h.issue(h.spec(owner, func(s *GrantSpec) { s.Role = wire.RoleOwner }))
			d, err := Delegate(og, owner, GrantSpec{Holder: bob.Public(), Name: "g", Devices: []string{"garage"}, NotAfter: h.clk.Now().Add(time.Hour), IssuedAt: h.clk.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}(), ReasonUnknownAuthority},
	}
	for _, r := range refusals {
		res, err := h.k.Import(r.b)
		if !isRefused(err, r.want) || res.Accepted || res.Reason != r.want {
			t.Errorf("%s: %+v, %v; want refused as %s", r.name, res, err, r.want)
			continue
		}
		if e := h.lastAudit(); e.Kind != KindImport || e.OK || e.Reason != string(r.want) {
			t.Errorf("%s: audit entry %+v", r.name, e)
		}
		if ev := h.lastEvent(); ev.Type != EventImport || ev.Data["reason"] != string(r.want) {
			t.Errorf("%s: event %+v", r.name, ev)
		}
	}

	// A snapshot revoking bob's key deletes his imported grant, and a grant
	// of his can no longer be imported.
	res = h.mustImport(h.revoke(1, nil, []crypto.Signer{bob}))
	if res.Kind != ImportRevocation || res.Serial != 1 {
		t.Errorf("snapshot import: %+v", res)
	}
	if n := h.k.Status().Grants; n != 1 {
		t.Errorf("%d grants after revoking bob, want 1", n)
	}
	if _, err := h.k.Import(gb); !isRefused(err, ReasonRevoked) {
		t.Errorf("importing a revoked grant: %v", err)
	}

	// Grants and revocations survive a restart.
	h.reopen()
	s := h.k.Status()
	if s.Grants != 1 || s.RevokedKeys != 1 || s.SnapshotSerial != 1 {
		t.Errorf("after restart: %+v", s)
	}
	if res := h.mustImport(ga); res.Reason != ReasonDuplicate {
		t.Errorf("after restart, alice's grant again: %+v", res)
	}
}

// TestImportReplacesOnlyWithNewer: same grant id, different contents: the
// later issue wins, an earlier one is refused.
func TestImportReplacesOnlyWithNewer(t *testing.T) {
	h := newHarness(t)
	alice := h.key(wire.Ed25519)
	g1 := h.issue(h.spec(alice))
	h.mustImport(g1)
	older, _, _ := wire.ParseGrant(g1)
	older.IssuedAt -= 10
	stale, err := wire.SignGrant(h.authority, older)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.k.Import(stale); !isRefused(err, ReasonStaleGrant) {
		t.Errorf("older version: %v, want stale_grant", err)
	}
	newer, _, _ := wire.ParseGrant(g1)
	newer.IssuedAt += 10
	newer.Name = "alice-2"
	b, err := wire.SignGrant(h.authority, newer)
	if err != nil {
		t.Fatal(err)
	}
	if res := h.mustImport(b); res.Reason != ReasonAccepted {
		t.Errorf("newer version: %+v", res)
	}
	if n := h.k.Status().Grants; n != 1 {
		t.Errorf("%d grants, want 1 (replaced)", n)
	}
}

func TestUnpinnedAuthorityGrantsIgnoredAtLoad(t *testing.T) {
	h := newHarness(t)
	alice := h.key(wire.Ed25519)
	h.mustImport(h.issue(h.spec(alice)))
	other := h.key(wire.Ed25519)
	h.mods = append(h.mods, func(o *Options) { o.Authorities = []crypto.PublicKey{other.Public()} })
	h.reopen()
	if n := h.k.Status().Grants; n != 0 {
		t.Errorf("%d grants loaded after their authority was unpinned, want 0", n)
	}
}

func TestCapacity(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxGrants, o.MaxRevoked = 3, 2 })
	var grants [][]byte
	for i := 0; i < 4; i++ {
		grants = append(grants, h.issue(h.spec(h.key(wire.Ed25519))))
	}
	for _, g := range grants[:3] {
		h.mustImport(g)
	}
	res, err := h.k.Import(grants[3])
	if !errors.Is(err, ErrFull) || !errors.Is(err, ErrRefused) || res.Reason != ReasonFull {
		t.Errorf("4th grant with a limit of 3: %+v, %v; want ErrFull", res, err)
	}
	if e := h.lastAudit(); e.Reason != string(ReasonFull) {
		t.Errorf("audit entry %+v", e)
	}

	// Expired grants make room.
	short := h.issue(h.spec(h.key(wire.Ed25519), func(s *GrantSpec) { s.NotAfter = h.clk.Now().Add(time.Minute) }))
	h.close()
	h.mods = append(h.mods, func(o *Options) { o.MaxGrants = 4 })
	h.start()
	h.mustImport(short)
	h.clk.Advance(2 * time.Minute)
	if res := h.mustImport(grants[3]); res.Reason != ReasonAccepted {
		t.Errorf("after the short grant expired: %+v", res)
	}
	if n := h.k.Status().Grants; n != 4 {
		t.Errorf("%d grants, want 4", n)
	}

	_, err = h.k.Import(h.revoke(1, grants[:3], nil))
	if !errors.Is(err, ErrFull) {
		t.Errorf("snapshot of 3 ids with a limit of 2: %v, want ErrFull", err)
	}
	h.mustImport(h.revoke(1, grants[:2], nil))
}
