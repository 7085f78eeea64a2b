package localauth

import (
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/store"
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
	h.st.View(func(tx *store.Tx) error {
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

// Expiry is judged against the later of the floor and the wall clock,
// not-before against the floor only: a wall clock ahead may end a grant
// early, never extend it, and never start one early; a wall clock behind
// changes nothing.
func TestValidityClocks(t *testing.T) {
	floor := testStart.UTC()
	at := func(d time.Duration) int64 { return floor.Add(d).Unix() }
	for _, c := range []struct {
		name                string
		notBefore, notAfter int64
		wall                time.Time
		needTrusted         bool
		trusted             bool
		want                Reason
	}{
		{"valid, clocks agree", at(-time.Hour), at(time.Hour), floor, false, false, ""},
		{"no expiry", at(-time.Hour), 0, floor.AddDate(10, 0, 0), false, false, ""},
		{"expired by the floor, wall behind", at(-2 * time.Hour), at(-time.Hour), floor.AddDate(-1, 0, 0), false, false, ReasonExpired},
		{"expired by a wall clock ahead", at(-time.Hour), at(time.Hour), floor.Add(2 * time.Hour), false, false, ReasonExpired},
		{"expiry at the wall second itself", at(-time.Hour), at(time.Hour), floor.Add(time.Hour), false, false, ReasonExpired},
		{"wall behind does not extend", at(-time.Hour), at(0), floor.Add(-time.Hour), false, false, ReasonExpired},
		{"not yet valid by the floor, wall ahead", at(time.Hour), at(2 * time.Hour), floor.Add(90 * time.Minute), false, false, ReasonNotYetValid},
		{"valid by the floor, wall behind", at(-time.Hour), at(time.Hour), floor.Add(-2 * time.Hour), false, false, ""},
		{"needs trusted time, not trusted", at(-time.Hour), at(time.Hour), floor, true, false, ReasonUntrustedTime},
		{"needs trusted time, trusted", at(-time.Hour), at(time.Hour), floor, true, true, ""},
		{"expired before untrusted", at(-time.Hour), at(-time.Minute), floor, true, false, ReasonExpired},
	} {
		if got := validity(c.notBefore, c.notAfter, c.needTrusted, floor, c.wall, c.trusted); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// The same rules through Decide, CheckPIN and a session: a system clock set
// ahead (no NTP) ends a grant early; set back, it does not revive one.
func TestDecideExpiryAgainstWallClock(t *testing.T) {
	h := newHarness(t)
	h.ntp.Store(false)
	alice := h.key(wire.Ed25519)
	g := h.issue(h.spec(alice, func(s *GrantSpec) { s.NotAfter = testStart.Add(time.Hour); s.PIN = "2468" }))
	h.mustImport(g)
	// Restarted with the wall clock two hours ahead and no NTP: the floor
	// is what was persisted. (The fake clock has no monotonic reading, so a
	// jump while running would count as elapsed time.)
	h.close()
	h.clk.Set(testStart.Add(2 * time.Hour))
	h.start()
	if f := h.k.TimeStatus().Floor; !f.Before(testStart.Add(time.Hour)) {
		t.Fatalf("floor %v followed the unsynchronised wall clock", f)
	}
	if d := h.try([][]byte{g}, alice, "front-door", "unlock"); d.Reason != ReasonExpired {
		t.Errorf("Decide with the wall clock past not-after: %s, want expired", d.Reason)
	}
	if res, err := h.k.CheckPIN("alice", "2468", ""); err != nil || res.Reason != ReasonExpired {
		t.Errorf("CheckPIN with the wall clock past not-after: %+v %v", res, err)
	}
	if _, r, err := h.k.CheckGrant(mustParse(t, g).ID); err != nil || r != ReasonExpired {
		t.Errorf("CheckGrant with the wall clock past not-after: %s %v", r, err)
	}
	// Set back: the grant is valid again by both clocks (it was never
	// expired by the floor).
	h.clk.Set(testStart)
	if d := h.try([][]byte{g}, alice, "front-door", "unlock"); d.Reason != ReasonGranted {
		t.Errorf("wall clock back within the window: %s", d.Reason)
	}
	// A grant that starts in the future is not valid early because the wall
	// clock says so.
	bob := h.key(wire.Ed25519)
	later := h.issue(h.spec(bob, func(s *GrantSpec) {
		s.Name, s.IssuedAt, s.NotBefore = "bob", testStart.Add(-time.Hour), testStart.Add(3*time.Hour)
	}))
	h.close()
	h.clk.Set(testStart.Add(4 * time.Hour))
	h.start()
	if d := h.try([][]byte{later}, bob, "front-door", "unlock"); d.Reason != ReasonNotYetValid {
		t.Errorf("not-before reached by the wall clock only: %s, want not_yet_valid", d.Reason)
	}
}

func mustParse(t *testing.T, g []byte) *GrantInfo {
	t.Helper()
	info, err := ParseGrant(g)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// The status says in words whether time is trusted, why, and what a wall
// clock away from the floor means.
func TestTimeStatusWords(t *testing.T) {
	floor := testStart.UTC()
	for _, c := range []struct {
		name string
		s    TimeStatus
		want []string
	}{
		{"ntp now", TimeStatus{Trusted: true, NTPSynced: true, AnchorSource: AnchorNTP, Floor: floor, Wall: floor},
			[]string{"trusted: the system clock is NTP-synchronised"}},
		{"ntp a while ago", TimeStatus{Trusted: true, AnchorSource: AnchorNTP, AnchorAge: 3 * time.Minute, Floor: floor, Wall: floor},
			[]string{"trusted: NTP-synchronised 3m0s ago"}},
		{"signed", TimeStatus{Trusted: true, AnchorSource: AnchorSigned, AnchorAge: time.Hour, Floor: floor, Wall: floor},
			[]string{"trusted: confirmed by a signed timestamp from the cloud 1h0m0s ago"}},
		{"anchor too old", TimeStatus{AnchorSource: AnchorNTP, AnchorAge: 30 * time.Hour, Bound: 24 * time.Hour, Floor: floor, Wall: floor},
			[]string{"not trusted: last NTP-synchronised 30h0m0s ago, longer than the 24h0m0s allowed", "guest keys that require trusted time are refused"}},
		{"nothing since start", TimeStatus{AnchorAge: -1, Floor: floor, Wall: floor.Add(2 * time.Hour)},
			[]string{"not trusted: no NTP synchronisation or signed time since the hub started", "refused", "2h0m0s ahead of the trusted floor: it may end keys early, never late"}},
		{"wall behind", TimeStatus{AnchorAge: -1, Floor: floor, Wall: floor.AddDate(-1, 0, 0)},
			[]string{"behind the trusted floor and is not believed"}},
	} {
		got := c.s.explain()
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
	}
}
