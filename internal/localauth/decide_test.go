package localauth

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// fixture is a hub with an owner, a delegated guest and a resident.
type fixture struct {
	*harness
	owner, guest, alice crypto.Signer
	ownerGrant          []byte
	delegated           []byte
}

func newFixture(t *testing.T, alg wire.Alg) *fixture {
	h := newHarness(t)
	f := &fixture{harness: h, owner: h.key(alg), guest: h.key(alg), alice: h.key(alg)}
	f.ownerGrant = h.issue(h.spec(f.owner, func(s *GrantSpec) {
		s.Role, s.Name, s.Devices = wire.RoleOwner, "olga", []string{wire.Wildcard}
	}))
	now := h.clk.Now()
	var err error
	f.delegated, err = Delegate(f.ownerGrant, f.owner, GrantSpec{
		Holder: f.guest.Public(), Name: "gus", Devices: []string{"front-door"}, Actions: []string{"unlock"},
		IssuedAt: now.Add(-time.Minute), NotAfter: now.Add(48 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// rawDelegation signs a delegated grant without Delegate's checks, as a
// hostile or buggy issuer could.
func (f *fixture) rawDelegation(signer crypto.Signer, from []byte, holder crypto.Signer, mutate func(*wire.Grant)) []byte {
	f.t.Helper()
	parent, _, err := wire.ParseGrant(from)
	if err != nil {
		f.t.Fatal(err)
	}
	ck, _ := wire.COSEKeyOf(holder.Public())
	now := f.clk.Now()
	g := &wire.Grant{
		ID: randomID(), Site: testSite, Role: wire.RoleGuest, Name: "mallory",
		IssuedAt: now.Add(-time.Minute).Unix(), NotBefore: now.Add(-time.Minute).Unix(), NotAfter: now.Add(time.Hour).Unix(),
		Holder: wire.Confirmation{Key: ck}, Devices: []string{"front-door"}, Actions: []string{"unlock"},
		Delegator: parent.ID,
	}
	if mutate != nil {
		mutate(g)
	}
	b, err := wire.SignGrant(signer, g)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func randomID() []byte {
	b := make([]byte, wire.IDSize)
	rand.Read(b)
	return b
}

// TestDenyReasons has one case per deny reason. Each case must produce its
// reason, and the newest audit entry must record that denial.
func TestDenyReasons(t *testing.T) {
	cases := []struct {
		name string
		want Reason
		run  func(f *fixture) Reason
	}{
		{"bad issuer signature", ReasonBadSignature, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			g[len(g)-1] ^= 1 // last byte of the signature
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"unknown authority", ReasonUnknownAuthority, func(f *fixture) Reason {
			g := f.issueWith(f.key(wire.Ed25519), f.spec(f.alice))
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"wrong site", ReasonWrongSite, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice, func(s *GrantSpec) { s.Site = "home-2" }))
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"revoked grant", ReasonRevoked, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			f.mustImport(f.revoke(1, [][]byte{g}, nil))
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"revoked holder key", ReasonRevoked, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			f.mustImport(f.revoke(1, nil, []crypto.Signer{f.alice}))
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"revoked delegator", ReasonDelegatorRevoked, func(f *fixture) Reason {
			f.mustImport(f.revoke(1, [][]byte{f.ownerGrant}, nil))
			return f.try([][]byte{f.delegated, f.ownerGrant}, f.guest, "front-door", "unlock").Reason
		}},
		{"superseded by a later issue", ReasonSuperseded, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			later, _, _ := wire.ParseGrant(g)
			later.IssuedAt += 60
			later.Devices = []string{"garage"} // narrowed
			b, err := wire.SignGrant(f.authority, later)
			if err != nil {
				f.t.Fatal(err)
			}
			f.mustImport(b)
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"expired", ReasonExpired, func(f *fixture) Reason {
			now := f.clk.Now()
			g := f.issue(f.spec(f.alice, func(s *GrantSpec) {
				s.IssuedAt, s.NotBefore, s.NotAfter = now.Add(-48*time.Hour), now.Add(-48*time.Hour), now.Add(-time.Minute)
			}))
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"not yet valid", ReasonNotYetValid, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice, func(s *GrantSpec) { s.NotBefore = f.clk.Now().Add(time.Hour) }))
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"requires trusted time, anchor too old", ReasonUntrustedTime, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice, func(s *GrantSpec) { s.Role, s.RequiresTrustedTime = wire.RoleGuest, true }))
			f.ntp.Store(false)            // the network is gone...
			f.clk.Advance(25 * time.Hour) // ...for longer than the 24 h bound
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"wall clock set back below the floor", ReasonExpired, func(f *fixture) Reason {
			start := f.clk.Now()
			g := f.issue(f.spec(f.alice, func(s *GrantSpec) { s.NotAfter = start.Add(time.Hour) }))
			f.clk.Advance(2 * time.Hour)          // the floor passes not-after...
			f.clk.Set(start.Add(-24 * time.Hour)) // ...and the wall clock is set back a day
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"device not allowed", ReasonDeviceNotAllowed, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			return f.try([][]byte{g}, f.alice, "boiler", "on").Reason
		}},
		{"action not allowed", ReasonActionNotAllowed, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice, func(s *GrantSpec) { s.Actions = []string{"lock"} }))
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"outside schedule", ReasonOutsideSchedule, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice, func(s *GrantSpec) { s.Role, s.Schedule = wire.RoleGuest, "sat,sun 10:00-14:00" }))
			return f.try([][]byte{g}, f.alice, "front-door", "unlock").Reason
		}},
		{"replayed nonce", ReasonNonceReplayed, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			c := f.challenge("front-door", "unlock")
			req := Request{Chain: [][]byte{g}, Proof: prove(f.t, f.alice, c), Device: "front-door", Action: "unlock"}
			if d := f.decide(req); !d.Granted {
				f.t.Fatalf("first use: %s", d.Reason)
			}
			return f.decide(req).Reason
		}},
		{"expired nonce", ReasonNonceExpired, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			c := f.challenge("front-door", "unlock")
			f.clk.Advance(31 * time.Second)
			return f.decide(Request{Chain: [][]byte{g}, Proof: prove(f.t, f.alice, c), Device: "front-door", Action: "unlock"}).Reason
		}},
		// Refused as unknown: the key that made it is gone with the restart.
		{"nonce issued before a restart, replayed after it", ReasonNonceUnknown, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			c := f.challenge("front-door", "unlock")
			req := Request{Chain: [][]byte{g}, Proof: prove(f.t, f.alice, c), Device: "front-door", Action: "unlock"}
			if d := f.decide(req); !d.Granted {
				f.t.Fatalf("first use: %s", d.Reason)
			}
			f.reopen()
			return f.decide(req).Reason
		}},
		{"nonce never issued", ReasonNonceUnknown, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			hub := f.k.HubID()
			c := &wire.Challenge{Nonce: make([]byte, 32), Hub: hub[:], Device: "front-door", Action: "unlock"}
			rand.Read(c.Nonce)
			return f.decide(Request{Chain: [][]byte{g}, Proof: prove(f.t, f.alice, c), Device: "front-door", Action: "unlock"}).Reason
		}},
		{"nonce issued for another device", ReasonChallengeMismatch, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			c := f.challenge("garage", "unlock")
			c.Device = "front-door"
			return f.decide(Request{Chain: [][]byte{g}, Proof: prove(f.t, f.alice, c), Device: "front-door", Action: "unlock"}).Reason
		}},
		{"malformed proof", ReasonMalformedProof, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			return f.decide(Request{Chain: [][]byte{g}, Proof: []byte("not cbor"), Device: "front-door", Action: "unlock"}).Reason
		}},
		{"proof by another key", ReasonBadProof, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			return f.try([][]byte{g}, f.key(wire.Ed25519), "front-door", "unlock").Reason
		}},
		{"proof for another hub", ReasonBadProof, func(f *fixture) Reason {
			g := f.issue(f.spec(f.alice))
			c := f.challenge("front-door", "unlock")
			c.Hub = randomID()
			return f.decide(Request{Chain: [][]byte{g}, Proof: prove(f.t, f.alice, c), Device: "front-door", Action: "unlock"}).Reason
		}},
		{"malformed grant", ReasonMalformedGrant, func(f *fixture) Reason {
			return f.try([][]byte{[]byte{0xd2, 0x84}}, f.alice, "front-door", "unlock").Reason
		}},
		{"delegation wider than the owner's grant", ReasonDelegationTooWide, func(f *fixture) Reason {
			// The owner grant ends in 30 days; this delegation runs for 60.
			wide := f.rawDelegation(f.owner, f.ownerGrant, f.guest, func(g *wire.Grant) {
				g.NotAfter = f.clk.Now().Add(60 * 24 * time.Hour).Unix()
			})
			return f.try([][]byte{wide, f.ownerGrant}, f.guest, "front-door", "unlock").Reason
		}},
		{"delegation two levels deep", ReasonDelegationTooDeep, func(f *fixture) Reason {
			// The guest delegates on to mallory with the guest's own key.
			mallory := f.key(wire.Ed25519)
			deeper := f.rawDelegation(f.guest, f.delegated, mallory, nil)
			if r := f.try([][]byte{deeper, f.delegated}, mallory, "front-door", "unlock").Reason; r != ReasonDelegationTooDeep {
				return r
			}
			return f.try([][]byte{deeper, f.delegated, f.ownerGrant}, mallory, "front-door", "unlock").Reason
		}},
		{"delegation from a resident", ReasonDelegatorNotOwner, func(f *fixture) Reason {
			resident := f.issue(f.spec(f.alice))
			d := f.rawDelegation(f.alice, resident, f.guest, nil)
			return f.try([][]byte{d, resident}, f.guest, "front-door", "unlock").Reason
		}},
		{"delegation presented without the owner grant", ReasonMissingDelegator, func(f *fixture) Reason {
			return f.try([][]byte{f.delegated}, f.guest, "front-door", "unlock").Reason
		}},
		{"delegation presented with another owner's grant", ReasonChainMismatch, func(f *fixture) Reason {
			other := f.issue(f.spec(f.owner, func(s *GrantSpec) { s.Role = wire.RoleOwner }))
			return f.try([][]byte{f.delegated, other}, f.guest, "front-door", "unlock").Reason
		}},
		{"delegation signed by someone else", ReasonBadSignature, func(f *fixture) Reason {
			forged := f.rawDelegation(f.key(wire.Ed25519), f.ownerGrant, f.guest, nil)
			return f.try([][]byte{forged, f.ownerGrant}, f.guest, "front-door", "unlock").Reason
		}},
	}
	for _, alg := range []wire.Alg{wire.Ed25519, wire.P256} {
		for _, c := range cases {
			t.Run(string(alg)+"/"+c.name, func(t *testing.T) {
				f := newFixture(t, alg)
				got := c.run(f)
				if got != c.want {
					t.Fatalf("reason %q, want %q", got, c.want)
				}
				e := f.lastAudit()
				if e.Kind != KindDecision || e.OK || e.Reason != string(c.want) {
					t.Errorf("audit entry: kind %s ok %v reason %s, want a denied decision with %s", e.Kind, e.OK, e.Reason, c.want)
				}
				ev := f.lastEvent()
				if ev.Type != EventDecision || ev.Data["reason"] != string(c.want) || ev.Data["ok"] != false {
					t.Errorf("event: %s %v, want %s with reason %s", ev.Type, ev.Data, EventDecision, c.want)
				}
			})
		}
	}
}

// TestSnapshotSerial: a snapshot whose serial is not above the one held is
// refused, and the refusal is audited.
func TestSnapshotSerial(t *testing.T) {
	h := newHarness(t)
	alice := h.key(wire.Ed25519)
	g := h.issue(h.spec(alice))
	h.mustImport(h.revoke(5, [][]byte{g}, nil))
	for _, serial := range []uint64{3, 5} {
		// An older snapshot that would un-revoke g.
		res, err := h.k.Import(h.revoke(serial, nil, nil))
		if !isRefused(err, ReasonStaleSerial) || res.Accepted {
			t.Fatalf("serial %d after 5: %+v, %v; want refused as stale_serial", serial, res, err)
		}
		e := h.lastAudit()
		if e.Kind != KindImport || e.OK || e.Reason != string(ReasonStaleSerial) || e.Serial != serial {
			t.Errorf("audit entry %+v, want a refused import of serial %d", e, serial)
		}
	}
	if d := h.try([][]byte{g}, alice, "front-door", "unlock"); d.Reason != ReasonRevoked {
		t.Errorf("after the refused snapshots: %s, want still revoked", d.Reason)
	}
	// The serial survives a restart.
	h.reopen()
	if _, err := h.k.Import(h.revoke(4, nil, nil)); !isRefused(err, ReasonStaleSerial) {
		t.Errorf("serial 4 after a restart: %v, want stale_serial", err)
	}
	if s := h.k.Status(); s.SnapshotSerial != 5 || s.RevokedGrants != 1 {
		t.Errorf("status %+v, want serial 5 and 1 revoked grant", s)
	}
}

func TestGrantedPaths(t *testing.T) {
	for _, alg := range []wire.Alg{wire.Ed25519, wire.P256} {
		t.Run(string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			check := func(what string, d Decision, role wire.Role) {
				t.Helper()
				if !d.Granted || d.Reason != ReasonGranted || d.Role != role {
					t.Fatalf("%s: %+v, want granted as %s", what, d, role)
				}
				e := f.lastAudit()
				if !e.OK || e.Reason != string(ReasonGranted) || e.Seq != d.AuditSeq || !bytes.Equal(e.Grant, d.GrantID[:]) || !bytes.Equal(e.Key, d.KeyID[:]) {
					t.Errorf("%s: audit entry %+v does not record %+v", what, e, d)
				}
				if ev := f.lastEvent(); ev.Type != EventDecision || ev.Data["ok"] != true || ev.Device != d.Device {
					t.Errorf("%s: event %+v", what, ev)
				}
			}

			resident := f.issue(f.spec(f.alice))
			check("resident", f.try([][]byte{resident}, f.alice, "garage", "open"), wire.RoleResident)

			check("owner", f.try([][]byte{f.ownerGrant}, f.owner, "boiler", "on"), wire.RoleOwner)

			// It is 10:00 in Amsterdam, 09:00 UTC: this window lets the
			// guest in only if the schedule is read in the site's zone.
			guest := f.key(alg)
			scheduled := f.issue(f.spec(guest, func(s *GrantSpec) {
				s.Role, s.Name, s.Schedule = wire.RoleGuest, "cleaner", "sat 08:00-12:00; mon 09:30-10:30"
			}))
			check("guest with schedule", f.try([][]byte{scheduled}, guest, "front-door", "unlock"), wire.RoleGuest)
			f.clk.Advance(time.Hour) // 11:00 local
			if d := f.try([][]byte{scheduled}, guest, "front-door", "unlock"); d.Reason != ReasonOutsideSchedule {
				t.Errorf("guest at 11:00: %s, want outside_schedule", d.Reason)
			}
		})
	}
}

// TestDelegatedGuestWithoutCloud: no import at all, no NTP: the guest's
// phone presents its delegation and the owner's grant, and the door opens.
func TestDelegatedGuestWithoutCloud(t *testing.T) {
	for _, alg := range []wire.Alg{wire.Ed25519, wire.P256} {
		t.Run(string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			f.ntp.Store(false) // the hub had the time once; now the network is gone
			f.clk.Advance(10 * time.Minute)
			d := f.try([][]byte{f.delegated, f.ownerGrant}, f.guest, "front-door", "unlock")
			if !d.Granted || d.Role != wire.RoleGuest || d.Delegator.IsZero() {
				t.Fatalf("%+v, want granted to the delegated guest", d)
			}
			if s := f.k.Status(); s.Grants != 0 || s.SnapshotSerial != 0 {
				t.Errorf("status %+v: nothing should have been imported", s)
			}
			// Only within the delegation: the owner may open the garage, the guest may not.
			if d := f.try([][]byte{f.delegated, f.ownerGrant}, f.guest, "garage", "unlock"); d.Reason != ReasonDeviceNotAllowed {
				t.Errorf("guest at the garage: %s", d.Reason)
			}
		})
	}
}

func TestResidentWithoutTrustedTime(t *testing.T) {
	// The same situation as the untrusted_time case: residents still get in.
	h := newHarness(t)
	alice := h.key(wire.P256)
	g := h.issue(h.spec(alice))
	h.ntp.Store(false)
	h.clk.Advance(25 * time.Hour)
	if ts := h.k.TimeStatus(); ts.Trusted {
		t.Fatalf("time status %+v, want untrusted", ts)
	}
	if d := h.try([][]byte{g}, alice, "front-door", "unlock"); !d.Granted {
		t.Errorf("resident: %s, want granted (floor only)", d.Reason)
	}
}

// TestNonceAcrossRestart: challenges are MAC'd under a key made at start
// and kept only in memory, so after a restart every earlier nonce is
// unknown, the one answered before it too: no replay across restarts, and
// nothing about nonces in the store (the bucket that held them before is
// gone).
func TestNonceAcrossRestart(t *testing.T) {
	h := newHarness(t)
	if err := h.st.Update(func(tx *store.Tx) error {
		_, err := tx.CreateBucket([]byte("auth_nonces")) // as an older agent left it
		return err
	}); err != nil {
		t.Fatal(err)
	}
	alice := h.key(wire.Ed25519)
	g := h.issue(h.spec(alice))
	unused := h.challenge("front-door", "unlock")
	used := h.challenge("front-door", "unlock")
	usedReq := Request{Chain: [][]byte{g}, Proof: prove(t, alice, used), Device: "front-door", Action: "unlock"}
	if d := h.decide(usedReq); !d.Granted {
		t.Fatalf("first use: %s", d.Reason)
	}
	if d := h.decide(usedReq); d.Reason != ReasonNonceReplayed {
		t.Errorf("second use: %s, want nonce_replayed", d.Reason)
	}
	h.reopen()
	req := Request{Chain: [][]byte{g}, Proof: prove(t, alice, unused), Device: "front-door", Action: "unlock"}
	if d := h.decide(req); d.Reason != ReasonNonceUnknown {
		t.Errorf("challenge issued before the restart: %s, want nonce_unknown", d.Reason)
	}
	if d := h.decide(usedReq); d.Reason != ReasonNonceUnknown {
		t.Errorf("nonce used before the restart: %s, want nonce_unknown", d.Reason)
	}
	c := h.challenge("front-door", "unlock")
	if d := h.decide(Request{Chain: [][]byte{g}, Proof: prove(t, alice, c), Device: "front-door", Action: "unlock"}); !d.Granted {
		t.Fatalf("fresh challenge: %s", d.Reason)
	}
	if err := h.st.View(func(tx *store.Tx) error {
		if tx.Bucket([]byte("auth_nonces")) != nil {
			t.Error("the auth_nonces bucket is still in the store")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestChallengeFlood is the attack of issue 9 item 4 at the Keeper: a
// stranger asks for far more challenges than any table of pending ones
// would hold (the old one held 1 024), and answers none; the owner's
// challenge and proof still open the door. Then the nonces the stranger
// does answer: the memory of used nonces drops them once they expire.
func TestChallengeFlood(t *testing.T) {
	h := newHarness(t)
	alice := h.key(wire.Ed25519)
	g := h.issue(h.spec(alice))
	for range 5000 {
		if _, err := h.k.Challenge("front-door", "unlock"); err != nil {
			t.Fatalf("challenge during the flood: %v", err)
		}
	}
	if d := h.try([][]byte{g}, alice, "front-door", "unlock"); !d.Granted {
		t.Fatalf("owner after 5 000 unanswered challenges: %s", d.Reason)
	}

	stranger := h.key(wire.Ed25519)
	for range 2 * minPruneAt {
		c := h.challenge("front-door", "unlock")
		h.decide(Request{Chain: [][]byte{g}, Proof: prove(t, stranger, c), Device: "front-door", Action: "unlock"})
	}
	h.clk.Advance(MaxChallengeTTL + time.Second)
	if d := h.try([][]byte{g}, alice, "front-door", "unlock"); !d.Granted {
		t.Fatalf("owner after the answered flood: %s", d.Reason)
	}
	h.k.mu.Lock()
	n := len(h.k.ch.used)
	h.k.mu.Unlock()
	if n > minPruneAt {
		t.Errorf("%d used nonces remembered after they all expired, want at most %d", n, minPruneAt)
	}
}

// TestConcurrentReplay: the same answer sent many times at once opens the
// door once.
func TestConcurrentReplay(t *testing.T) {
	h := newHarness(t)
	alice := h.key(wire.P256)
	g := h.issue(h.spec(alice))
	c := h.challenge("front-door", "unlock")
	req := Request{Chain: [][]byte{g}, Proof: prove(t, alice, c), Device: "front-door", Action: "unlock"}
	const n = 8
	results := make(chan Decision, n)
	for range n {
		go func() {
			d, err := h.k.Decide(req)
			if err != nil {
				t.Error(err)
			}
			results <- d
		}()
	}
	granted := 0
	for range n {
		d := <-results
		switch d.Reason {
		case ReasonGranted:
			granted++
		case ReasonNonceReplayed:
		default:
			t.Errorf("unexpected %s", d.Reason)
		}
	}
	if granted != 1 {
		t.Errorf("granted %d times, want once", granted)
	}
	if es, _ := h.k.AuditEntries(0, 0); len(es) != n {
		t.Errorf("%d audit entries, want %d", len(es), n)
	}
}
