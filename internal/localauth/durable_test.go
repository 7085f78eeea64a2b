package localauth

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// damageStore is a power cut that leaves state.db unreadable: the next start
// recovers an empty store. also runs while the hub is down (more damage).
func (h *harness) damageStore(also ...func()) {
	h.t.Helper()
	h.close()
	for _, f := range also {
		f()
	}
	if err := os.Truncate(h.path, 0); err != nil {
		h.t.Fatal(err)
	}
	h.skipAuditCheck = true // the chain starts again in the new file
	h.start()
	if !h.st.Health().Recovered {
		h.t.Fatal("the truncated store was not recovered")
	}
}

// damageRecord garbles copies of a security-state record (which: 0, 1).
func (h *harness) damageRecord(name string, which ...int) {
	h.t.Helper()
	for _, i := range which {
		path := filepath.Join(h.sec.Path(), name+"."+string(rune('0'+i)))
		b, err := os.ReadFile(path)
		if err != nil {
			h.t.Fatal(err)
		}
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(path, b, 0o600); err != nil {
			h.t.Fatal(err)
		}
	}
}

// withStore runs fn in a write transaction on the (closed) store file.
func (h *harness) withStore(fn func(tx *bbolt.Tx) error) {
	h.t.Helper()
	db, err := bbolt.Open(h.path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) revokeAt(serial uint64, issued time.Time, grants ...[]byte) []byte {
	h.t.Helper()
	spec := RevocationSpec{Site: testSite, Serial: serial, IssuedAt: issued}
	for _, g := range grants {
		info, _ := ParseGrant(g)
		spec.GrantIDs = append(spec.GrantIDs, info.ID.String())
	}
	b, err := IssueRevocation(h.authority, spec)
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

func (h *harness) recordedSerial() uint64 {
	h.t.Helper()
	b, err := h.sec.Load(recRevocation)
	if err != nil {
		h.t.Fatal(err)
	}
	rec, err := parseRevocationRecord(b)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(rec.snapshot) == 0 {
		return 0
	}
	r, _, err := wire.ParseRevocation(rec.snapshot)
	if err != nil {
		h.t.Fatal(err)
	}
	return r.Serial
}

// The merge rules of the revocation snapshot: the higher serial wins,
// whichever side holds it, and the lagging side is brought up to it.
func TestRevocationMerge(t *testing.T) {
	t.Run("store ahead of the record", func(t *testing.T) {
		// A crash between the store's commit and the record's write.
		h := newHarness(t)
		alice := h.key(wire.Ed25519)
		g := h.issue(h.spec(alice))
		h.mustImport(h.revoke(3, nil, nil))
		lagging, _ := h.sec.Load(recRevocation)
		h.mustImport(h.revoke(5, [][]byte{g}, nil))
		h.close()
		if err := h.sec.Save(recRevocation, lagging); err != nil {
			t.Fatal(err)
		}
		h.start()
		if s := h.k.Status(); s.SnapshotSerial != 5 || !s.RevocationsLost.IsZero() {
			t.Errorf("serial %d lost %v, want 5 from the store", s.SnapshotSerial, s.RevocationsLost)
		}
		if got := h.recordedSerial(); got != 5 {
			t.Errorf("record holds serial %d after the start, want 5", got)
		}
	})
	t.Run("record ahead of the store", func(t *testing.T) {
		// The store lost the newer snapshot (an old copy of state.db put
		// back, or a recovery): the record keeps the revocation in force.
		h := newHarness(t)
		alice := h.key(wire.Ed25519)
		g := h.issue(h.spec(alice))
		h.mustImport(g)
		old := h.revoke(3, nil, nil)
		h.mustImport(old)
		h.mustImport(h.revoke(5, [][]byte{g}, nil))
		h.close()
		h.withStore(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySnapshot, old) })
		h.start()
		if s := h.k.Status(); s.SnapshotSerial != 5 || s.RevokedGrants != 1 {
			t.Errorf("serial %d, %d revoked; want 5 and 1 from the record", s.SnapshotSerial, s.RevokedGrants)
		}
		if d := h.try([][]byte{g}, alice, "front-door", "unlock"); d.Reason != ReasonRevoked {
			t.Errorf("revoked grant: %s", d.Reason)
		}
		if _, err := h.k.Import(old); !isRefused(err, ReasonStaleSerial) {
			t.Errorf("serial 3 again: %v", err)
		}
	})
	t.Run("one copy of the record damaged, store lost", func(t *testing.T) {
		h := newHarness(t)
		alice := h.key(wire.Ed25519)
		g := h.issue(h.spec(alice))
		h.mustImport(h.revoke(5, [][]byte{g}, nil))
		h.damageStore(func() { h.damageRecord(recRevocation, 1) })
		if s := h.k.Status(); s.SnapshotSerial != 5 || !s.RevocationsLost.IsZero() {
			t.Errorf("serial %d lost %v, want 5 from the whole copy", s.SnapshotSerial, s.RevocationsLost)
		}
		if d := h.try([][]byte{g}, alice, "front-door", "unlock"); d.Reason != ReasonRevoked {
			t.Errorf("revoked grant: %s", d.Reason)
		}
	})
	t.Run("both copies damaged, store intact", func(t *testing.T) {
		h := newHarness(t)
		h.mustImport(h.revoke(5, nil, nil))
		h.close()
		h.damageRecord(recRevocation, 0, 1)
		h.start()
		if s := h.k.Status(); s.SnapshotSerial != 5 || !s.RevocationsLost.IsZero() {
			t.Errorf("serial %d lost %v, want 5 from the store", s.SnapshotSerial, s.RevocationsLost)
		}
		if got := h.recordedSerial(); got != 5 {
			t.Errorf("record rewritten with serial %d, want 5", got)
		}
	})
	t.Run("first start", func(t *testing.T) {
		h := newHarness(t)
		if s := h.k.Status(); !s.RevocationsLost.IsZero() || len(s.Warnings) != 0 {
			t.Errorf("a new hub: lost %v, warnings %q", s.RevocationsLost, s.Warnings)
		}
		// A new hub that never had a snapshot, restarted on a recovered
		// store: nothing was lost (the record says "none yet").
		h.damageStore()
		if s := h.k.Status(); !s.RevocationsLost.IsZero() {
			t.Errorf("a hub that never had a snapshot, store recovered: lost %v", s.RevocationsLost)
		}
	})
}

// Both the store and the revocation record lost: owners and grants issued
// after the loss only, until a snapshot issued after the loss arrives; the
// loss survives a restart with its date.
func TestRevocationsLost(t *testing.T) {
	for _, c := range []struct {
		name    string
		breakIt func(h *harness)
	}{
		{"record damaged and store recovered", func(h *harness) {
			h.damageStore(func() { h.damageRecord(recRevocation, 0, 1) })
		}},
		{"record deleted, store intact", func(h *harness) {
			h.close()
			h.withStore(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keySnapshot) })
			for _, f := range []string{".0", ".1"} {
				os.Remove(filepath.Join(h.sec.Path(), recRevocation+f))
			}
			h.start()
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			owner, alice, bob := h.key(wire.Ed25519), h.key(wire.Ed25519), h.key(wire.Ed25519)
			og := h.issue(h.spec(owner, func(s *GrantSpec) { s.Role, s.Name = wire.RoleOwner, "olga" }))
			ag := h.issue(h.spec(alice))
			bg := h.issue(h.spec(bob, func(s *GrantSpec) { s.Name = "bob" }))
			h.mustImport(h.revoke(5, [][]byte{bg}, nil))
			h.clk.Advance(time.Minute)
			c.breakIt(h)

			s := h.k.Status()
			if s.RevocationsLost.IsZero() || len(s.Warnings) == 0 {
				t.Fatalf("not degraded: %+v", s)
			}
			lost := s.RevocationsLost
			for _, x := range []struct {
				who   string
				chain [][]byte
				key   crypto.Signer
				want  Reason
			}{
				{"owner", [][]byte{og}, owner, ReasonGranted},
				{"resident issued before", [][]byte{ag}, alice, ReasonRevocationsUnknown},
				{"revoked resident", [][]byte{bg}, bob, ReasonRevocationsUnknown},
			} {
				if d := h.try(x.chain, x.key, "front-door", "unlock"); d.Reason != x.want {
					t.Errorf("%s: %s, want %s", x.who, d.Reason, x.want)
				}
			}
			carol := h.key(wire.Ed25519)
			cg := h.issue(h.spec(carol, func(s *GrantSpec) { s.Name, s.IssuedAt, s.NotBefore = "carol", lost.Add(time.Second), lost }))
			if d := h.try([][]byte{cg}, carol, "front-door", "unlock"); d.Reason != ReasonGranted {
				t.Errorf("resident issued after the loss: %s", d.Reason)
			}

			// A restart keeps the loss and its date.
			h.reopen()
			if s := h.k.Status(); !s.RevocationsLost.Equal(lost) {
				t.Errorf("after a restart lost %v, want %v", s.RevocationsLost, lost)
			}
			// An old snapshot adds its revocations but does not end it.
			h.mustImport(h.revokeAt(5, lost.Add(-time.Minute), bg))
			if s := h.k.Status(); !s.RevocationsLost.Equal(lost) {
				t.Errorf("an old snapshot ended the loss: %v", s.RevocationsLost)
			}
			if d := h.try([][]byte{bg}, bob, "front-door", "unlock"); d.Reason != ReasonRevoked {
				t.Errorf("bob after the old snapshot: %s", d.Reason)
			}
			// A snapshot issued after the loss ends it, also after a restart.
			h.mustImport(h.revokeAt(6, lost.Add(2*time.Second), bg))
			h.reopen()
			if s := h.k.Status(); !s.RevocationsLost.IsZero() || s.SnapshotSerial != 6 {
				t.Errorf("after a new snapshot: lost %v serial %d", s.RevocationsLost, s.SnapshotSerial)
			}
			if d := h.try([][]byte{ag}, alice, "front-door", "unlock"); d.Reason != ReasonGranted {
				t.Errorf("alice after the new snapshot: %s", d.Reason)
			}
		})
	}
}

func TestPINMerge(t *testing.T) {
	rec := func(failures uint32, until int64) []byte { return pinRecord{failures, until}.marshal() }
	store := []pinEntry{
		{[]byte("alice"), rec(5, 2000)},
		{[]byte("bob"), rec(2, 0)},
		{[]byte("dave"), []byte("unparseable")},
	}
	file := []pinEntry{
		{[]byte("alice"), rec(7, 1000)}, // more failures, earlier lockout: the later lockout wins
		{[]byte("bob"), rec(3, 0)},      // no lockout either side: more failures win
		{[]byte("carol"), rec(6, 9000)}, // only in the file (the store was recovered)
		{[]byte("dave"), rec(0, 0)},     // a damaged record is the stricter
	}
	got := mergePINs(store, file)
	want := []pinEntry{
		{[]byte("alice"), rec(5, 2000)},
		{[]byte("bob"), rec(3, 0)},
		{[]byte("carol"), rec(6, 9000)},
		{[]byte("dave"), []byte("unparseable")},
	}
	if len(got) != len(want) {
		t.Fatalf("merged %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if !pinEntryEqual(got[i], want[i]) {
			t.Errorf("entry %d: %q=%x, want %q=%x", i, got[i].key, got[i].val, want[i].key, want[i].val)
		}
	}
	// And the same the other way round.
	if again := mergePINs(file, store); !bytes.Equal(marshalPINs(again), marshalPINs(got)) {
		t.Error("the merge depends on which side is the store")
	}
}

// A lockout outlives the store, and one copy of its record damaged.
func TestPINLockoutOutlivesStore(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PIN = PINPolicy{Attempts: 2, Lockout: time.Hour} })
	alice := h.key(wire.Ed25519)
	h.mustImport(h.issue(h.spec(alice, func(s *GrantSpec) { s.PIN = "2468" })))
	for range 2 {
		if res, err := h.k.CheckPIN("alice", "1111", ""); err != nil || res.OK {
			t.Fatalf("wrong PIN: %+v %v", res, err)
		}
	}
	h.damageStore(func() { h.damageRecord(recPINs, 0) })
	h.mustImport(h.issue(h.spec(alice, func(s *GrantSpec) { s.PIN = "2468" }))) // the cloud sends it again
	if res, err := h.k.CheckPIN("alice", "2468", ""); err != nil || res.Reason != ReasonLockedOut {
		t.Errorf("right PIN after the store was lost: %+v %v, want locked_out", res, err)
	}
}

func TestHubKeyOutlivesStore(t *testing.T) {
	h := newHarness(t)
	id := h.k.HubID()
	h.damageStore()
	if got := h.k.HubID(); got != id {
		t.Errorf("hub id %s after the store was lost, was %s", got, id)
	}
	// Not in the store at all: one source of truth.
	h.close()
	h.withStore(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMeta).Get(keyHubKey) != nil {
			t.Error("the store still holds a hub key")
		}
		return nil
	})
	h.start()
}

// A hub that kept its key in the store before the record existed keeps its
// id: the key moves to the record and leaves the store.
func TestHubKeyMigratesFromStore(t *testing.T) {
	h := newHarness(t)
	h.close()
	seed := bytes.Repeat([]byte{7}, 32)
	h.withStore(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyHubKey, seed) })
	for _, f := range []string{".0", ".1"} {
		os.Remove(filepath.Join(h.sec.Path(), recHubKey+f))
	}
	h.start()
	want, _ := wire.KeyIDOf(ed25519.NewKeyFromSeed(seed).Public())
	if h.k.HubID() != want {
		t.Errorf("hub id %s, want the store's %s", h.k.HubID(), want)
	}
	if b, err := h.sec.Load(recHubKey); err != nil || !bytes.Equal(b, seed) {
		t.Errorf("record %x %v, want the store's key", b, err)
	}
	h.damageStore()
	if h.k.HubID() != want {
		t.Errorf("hub id %s after the store was lost, want %s", h.k.HubID(), want)
	}
}

func TestFloorOutlivesStore(t *testing.T) {
	h := newHarness(t)
	h.clk.Advance(20 * time.Minute) // past one periodic persist
	want := h.k.TimeStatus().Floor.Add(-time.Nanosecond)
	// No NTP at the next boot, and a wall clock a year behind.
	h.ntp.Store(false)
	h.clk.Set(testStart.AddDate(-1, 0, 0))
	h.damageStore()
	if got := h.k.TimeStatus().Floor; got.Before(want) {
		t.Errorf("floor %v after the store was lost, want at least %v", got, want)
	}
}

func TestFloorNeverBelowBuildTime(t *testing.T) {
	build := testStart.Add(48 * time.Hour)
	h := newHarness(t, func(o *Options) { o.BuildTime = build })
	h.ntp.Store(false)
	h.reopen()
	if got := h.k.TimeStatus().Floor; got.Before(build) {
		t.Errorf("floor %v, below the build time %v", got, build)
	}
	if bt := BuildTime(); bt.Before(minBuildTime) {
		t.Errorf("BuildTime %v below minBuildTime %v", bt, minBuildTime)
	}
}
