package localauth

import (
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/edgeagent/edgeagent/internal/wire"
)

func TestFloorNeverGoesBack(t *testing.T) {
	h := newHarness(t) // NTP synced: the floor starts at the wall clock
	f0 := h.k.TimeStatus().Floor
	if !f0.Equal(testStart) {
		t.Fatalf("floor %v, want the NTP-synced wall clock %v", f0, testStart)
	}
	h.clk.Advance(time.Hour)
	h.clk.Set(testStart.Add(-30 * 24 * time.Hour)) // set back a month, kernel still "synced"
	f1 := h.k.TimeStatus().Floor
	if !f1.Equal(testStart.Add(time.Hour)) {
		t.Errorf("floor %v after the clock was set back, want %v", f1, testStart.Add(time.Hour))
	}
	h.clk.Advance(time.Minute) // elapsed time still counts
	if f2 := h.k.TimeStatus().Floor; !f2.Equal(f1.Add(time.Minute)) {
		t.Errorf("floor %v, want %v", f2, f1.Add(time.Minute))
	}
}

func TestFloorPersisted(t *testing.T) {
	h := newHarness(t)
	h.clk.Advance(3 * time.Hour)
	want := h.k.TimeStatus().Floor
	// Power cut, no NTP at boot, and the wall clock restored from an old
	// fake-hwclock file.
	h.ntp.Store(false)
	h.clk.Set(testStart.Add(-365 * 24 * time.Hour))
	h.reopen()
	ts := h.k.TimeStatus()
	if ts.Floor.Before(want) {
		t.Errorf("floor after restart %v, want at least %v", ts.Floor, want)
	}
	// The anchor from before the restart is shown but does not make time
	// trusted: how long the hub was off is unknown.
	if ts.Trusted || ts.LastAnchor.IsZero() || ts.AnchorSource != AnchorNTP || ts.AnchorAge != -1 {
		t.Errorf("time status after restart %+v, want untrusted with the old anchor shown", ts)
	}
}

// TestFloorFromAuditEntries: the floor is persisted every PersistEvery, but
// each audit entry carries it too, so a crash (no Close) loses nothing that
// was decided.
func TestFloorFromAuditEntries(t *testing.T) {
	h := newHarness(t)
	alice := h.key(wire.Ed25519)
	g := h.issue(h.spec(alice))
	h.clk.Advance(5 * time.Minute) // less than PersistEvery
	d := h.try([][]byte{g}, alice, "front-door", "unlock")
	// Crash: the store is closed without Keeper.Close writing the floor.
	h.k.mu.Lock()
	h.k.closed = true
	h.k.timer.Stop()
	h.k.mu.Unlock()
	h.st.Close()
	h.ntp.Store(false)
	h.clk.Set(testStart)
	h.start()
	if f := h.k.TimeStatus().Floor; f.Before(d.Time.Truncate(time.Millisecond)) {
		t.Errorf("floor after crash %v, want at least the last decision's %v", f, d.Time)
	}
}

func TestPersistTimer(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PersistEvery = time.Minute })
	h.clk.Advance(90 * time.Second) // fires once
	var floor time.Time
	h.st.View(func(tx *bbolt.Tx) error {
		floor, _, _ = parseTimeRecord(tx.Bucket(bucketMeta).Get(keyFloor))
		return nil
	})
	if !floor.Equal(testStart.Add(time.Minute)) {
		t.Errorf("persisted floor %v, want %v (written by the timer at 1m)", floor, testStart.Add(time.Minute))
	}
}

func TestSignedTimestampRaisesFloor(t *testing.T) {
	h := newHarness(t)
	h.ntp.Store(false)
	h.reopen() // no anchor in this run
	alice := h.key(wire.Ed25519)
	later := testStart.Add(2 * time.Hour)
	g := h.issue(h.spec(alice, func(s *GrantSpec) { s.IssuedAt, s.NotBefore = later, later }))
	h.mustImport(g)
	ts := h.k.TimeStatus()
	if !ts.Floor.Equal(later) || ts.AnchorSource != AnchorSigned || !ts.Trusted {
		t.Errorf("time status %+v, want floor %v anchored by the signed issued-at", ts, later)
	}
	// A delegation's issued-at is signed by an owner, not an authority: it
	// does not move the floor. (Covered by Decide: only the authority
	// grant's issued-at is observed.)
}

func TestAnchorAge(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.TrustedTimeBound = time.Hour })
	if ts := h.k.TimeStatus(); !ts.Trusted || ts.AnchorAge != 0 || !ts.NTPSynced {
		t.Fatalf("synced: %+v", ts)
	}
	h.ntp.Store(false)
	h.clk.Advance(59 * time.Minute)
	if ts := h.k.TimeStatus(); !ts.Trusted || ts.AnchorAge != 59*time.Minute {
		t.Errorf("59m after the last sync: %+v", ts)
	}
	h.clk.Advance(2 * time.Minute)
	if ts := h.k.TimeStatus(); ts.Trusted {
		t.Errorf("61m after the last sync with a 1h bound: %+v", ts)
	}
}
