package localauth

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/edgeagent/edgeagent/internal/wire"
)

func TestPINLockout(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.PIN = PINPolicy{Attempts: 3, Lockout: time.Minute, MaxLockout: 10 * time.Minute}
	})
	alice := h.key(wire.Ed25519)
	h.mustImport(h.issue(h.spec(alice, func(s *GrantSpec) { s.PIN = "482913" })))

	check := func(pin string, want Reason) PINResult {
		t.Helper()
		res, err := h.k.CheckPIN("alice", pin, "")
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason != want || res.OK != (want == ReasonGranted) {
			t.Fatalf("PIN %q: %+v, want %s", pin, res, want)
		}
		if e := h.lastAudit(); e.Kind != KindPIN || e.Reason != string(want) || e.User != "alice" {
			t.Fatalf("audit entry %+v, want a pin attempt with %s", e, want)
		}
		return res
	}

	res := check("482913", ReasonGranted)
	if res.Role != wire.RoleResident || len(res.Devices) != 2 {
		t.Errorf("granted result %+v", res)
	}
	check("000000", ReasonWrongPIN)
	check("111111", ReasonWrongPIN)
	res = check("222222", ReasonWrongPIN) // the 3rd: locked for 1 min
	if got := res.LockedUntil.Sub(h.k.TimeStatus().Floor); got != time.Minute {
		t.Errorf("first lockout %v, want 1m", got)
	}
	check("482913", ReasonLockedOut) // even the right PIN is not checked

	// A reboot does not reset it.
	h.reopen()
	check("482913", ReasonLockedOut)

	// After it ends, the next wrong entry locks for twice as long.
	h.clk.Advance(61 * time.Second)
	res = check("333333", ReasonWrongPIN)
	if got := res.LockedUntil.Sub(h.k.TimeStatus().Floor); got != 2*time.Minute {
		t.Errorf("second lockout %v, want 2m", got)
	}
	h.reopen()
	h.clk.Advance(121 * time.Second)
	res = check("444444", ReasonWrongPIN)
	if got := res.LockedUntil.Sub(h.k.TimeStatus().Floor); got != 4*time.Minute {
		t.Errorf("third lockout %v, want 4m", got)
	}
	// Capped at MaxLockout.
	for i := 0; i < 4; i++ {
		h.clk.Advance(11 * time.Minute)
		res = check("555555", ReasonWrongPIN)
	}
	if got := res.LockedUntil.Sub(h.k.TimeStatus().Floor); got != 10*time.Minute {
		t.Errorf("lockout %v, want the 10m cap", got)
	}

	// Setting the wall clock back does not stretch or end a lockout: it
	// runs on the trusted floor.
	h.clk.Set(h.clk.Now().Add(-24 * time.Hour))
	check("482913", ReasonLockedOut)

	// The right PIN after the lockout resets the count.
	h.clk.Advance(11 * time.Minute)
	res = check("482913", ReasonGranted)
	if res.Failures != 0 {
		t.Errorf("failures %d after a right PIN", res.Failures)
	}
	check("000000", ReasonWrongPIN) // one wrong entry: not locked
	check("482913", ReasonGranted)
}

func TestPINGrantState(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.key(wire.Ed25519), h.key(wire.Ed25519)
	ga := h.issue(h.spec(alice, func(s *GrantSpec) { s.PIN = "1234" }))
	h.mustImport(ga)
	h.mustImport(h.issue(h.spec(bob, func(s *GrantSpec) { s.Name = "bob" }))) // no PIN

	for _, c := range []struct{ user, pin string }{{"bob", "1234"}, {"carol", "1234"}, {"", "1234"}, {"al\nice", "1234"}} {
		res, err := h.k.CheckPIN(c.user, c.pin, "")
		if err != nil || res.Reason != ReasonUnknownUser {
			t.Errorf("%q: %+v, %v; want unknown_user", c.user, res, err)
		}
	}
	h.mustImport(h.revoke(1, [][]byte{ga}, nil))
	// The revoked grant was deleted with the snapshot: alice is unknown now.
	if res, _ := h.k.CheckPIN("alice", "1234", ""); res.OK {
		t.Errorf("revoked alice: %+v", res)
	}
}

func TestNewPINVerifier(t *testing.T) {
	v, err := NewPINVerifier("1234", cheapPIN)
	if err != nil {
		t.Fatal(err)
	}
	if !verifyPIN(v, "1234") || verifyPIN(v, "1235") || verifyPIN(v, "") {
		t.Error("verifier accepts the wrong PIN or refuses the right one")
	}
	if v.Time != cheapPIN.Time || v.MemoryKiB != cheapPIN.MemoryKiB || len(v.Salt) != 16 {
		t.Errorf("parameters not recorded in the verifier: %+v", v)
	}
	for _, pin := range []string{"", "123", string(make([]byte, 65))} {
		if _, err := NewPINVerifier(pin, cheapPIN); err == nil {
			t.Errorf("PIN of %d characters accepted", len(pin))
		}
	}
	if _, err := NewPINVerifier("1234", PINParams{Time: 1, MemoryKiB: 1 << 30, Threads: 1}); err == nil {
		t.Error("1 TiB of memory accepted")
	}
}

// TestPINLockoutPerClient: wrong PINs from one address lock the name out
// from that address only; the right PIN from another still logs in, and
// resets only that address and the total. Wrong PINs from several addresses
// add up to the per-user backstop (4 × Attempts), which holds back every
// address that guessed wrong (a fresh one after its first guess), but not
// the resident's; a reboot resets none of it. Addresses beyond maxPINAddrs
// per name share one record, so a flood of addresses does not grow the
// store.
func TestPINLockoutPerClient(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.PIN = PINPolicy{Attempts: 3, Lockout: time.Minute, MaxLockout: 10 * time.Minute}
	})
	alice := h.key(wire.Ed25519)
	h.mustImport(h.issue(h.spec(alice, func(s *GrantSpec) { s.PIN = "482913"; s.PINParams = cheapPIN })))
	check := func(client, pin string, want Reason) PINResult {
		t.Helper()
		res, err := h.k.CheckPIN("alice", pin, client)
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason != want {
			t.Fatalf("PIN %q from %q: %s, want %s", pin, client, res.Reason, want)
		}
		if e := h.lastAudit(); e.Detail != client {
			t.Fatalf("audit entry names client %q, want %q", e.Detail, client)
		}
		return res
	}
	for range 3 {
		check("10.0.0.66", "000000", ReasonWrongPIN)
	}
	check("10.0.0.66", "482913", ReasonLockedOut)
	h.reopen()
	check("10.0.0.66", "482913", ReasonLockedOut)
	check("10.0.0.7", "482913", ReasonGranted)
	check("10.0.0.66", "482913", ReasonLockedOut) // her success does not free the attacker

	// The backstop: 12 wrong entries in all, from five addresses (three
	// locked on their own, one with 2 wrong entries, one with the 12th).
	for i := range 3 {
		for range 3 {
			check(fmt.Sprintf("10.0.1.%d", i), "000000", ReasonWrongPIN)
		}
	}
	check("10.0.1.3", "000000", ReasonWrongPIN)
	check("10.0.1.3", "000000", ReasonWrongPIN)
	res := check("10.0.1.4", "000000", ReasonWrongPIN)
	if got := res.LockedUntil.Sub(h.k.TimeStatus().Floor); got != time.Minute {
		t.Errorf("backstop lockout %v, want 1m", got)
	}
	check("10.0.1.3", "482913", ReasonLockedOut) // not locked on its own: held back
	check("10.0.1.5", "000000", ReasonWrongPIN)  // a fresh address: one guess
	check("10.0.1.5", "482913", ReasonLockedOut)
	h.reopen()
	check("10.0.1.3", "482913", ReasonLockedOut)
	check("10.0.0.7", "482913", ReasonGranted) // the resident's clean slate

	// A flood of addresses: at most maxPINAddrs records for the name.
	h.clk.Advance(time.Hour)
	for i := range 3 * maxPINAddrs {
		h.k.CheckPIN("alice", "000000", fmt.Sprintf("10.0.2.%d", i))
		if i%(totalAttemptsFactor*3-1) == 0 {
			h.clk.Advance(time.Hour) // past the backstop's lockout
		}
	}
	u, err := h.k.storedPINUser("alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := u.addrs[pinOverflowAddr]; len(u.addrs) != maxPINAddrs || !ok {
		t.Errorf("%d address records for alice (overflow: %v), want %d with the shared one", len(u.addrs), ok, maxPINAddrs)
	}
}

// TestPINUnknownNameSameWork: a name with no PIN grant costs the same
// argon2id computation (with the parameters of a real verifier) as a
// wrong PIN for a real one, and is counted and locked out the same way:
// the results differ only in the reason the audit log keeps. Counted by a
// hook on argon2, not by timing. The names tracked are bounded.
func TestPINUnknownNameSameWork(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PIN = PINPolicy{Attempts: 3, Lockout: time.Minute} })
	alice := h.key(wire.Ed25519)
	params := PINParams{Time: 2, MemoryKiB: 128, Threads: 1}
	h.mustImport(h.issue(h.spec(alice, func(s *GrantSpec) { s.PIN = "482913"; s.PINParams = params })))
	type call struct{ time, mem uint32 }
	var calls []call
	h.k.argon2 = func(pw, salt []byte, time, mem uint32, threads uint8, n uint32) []byte {
		calls = append(calls, call{time, mem})
		return argon2.IDKey(pw, salt, time, mem, threads, n)
	}
	for step := range 5 {
		calls = calls[:0]
		known, err := h.k.CheckPIN("alice", "000000", "10.0.0.66")
		if err != nil {
			t.Fatal(err)
		}
		unknown, err := h.k.CheckPIN("alicia", "000000", "10.0.0.66")
		if err != nil {
			t.Fatal(err)
		}
		wantCalls := []call{{params.Time, params.MemoryKiB}, {params.Time, params.MemoryKiB}}
		if step >= 3 {
			wantCalls = nil // locked out: no PIN is checked, for either
		}
		if !slices.Equal(calls, wantCalls) {
			t.Errorf("step %d: argon2 calls %v, want %v", step, calls, wantCalls)
		}
		if known.OK || unknown.OK || known.Failures != unknown.Failures || !known.LockedUntil.Equal(unknown.LockedUntil) ||
			(known.Reason == ReasonLockedOut) != (unknown.Reason == ReasonLockedOut) {
			t.Errorf("step %d: told apart:\n%+v\n%+v", step, known, unknown)
		}
		if step == 2 && unknown.LockedUntil.IsZero() {
			t.Errorf("step %d: the unknown name is not locked out", step)
		}
	}

	for i := range maxUnknownNames + 10 {
		h.k.CheckPIN(fmt.Sprintf("nobody-%d", i), "000000", "10.0.0.66")
	}
	if n := len(h.k.pins.names); n != maxUnknownNames {
		t.Errorf("%d unknown names tracked, want %d", n, maxUnknownNames)
	}
}

// TestPINPatientAttacker: one address guessing at alice's name for days,
// each time its lockout ends, passes the per-user backstop's count many
// times over; alice's own address is never held back.
func TestPINPatientAttacker(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PIN = PINPolicy{Attempts: 3, Lockout: time.Minute, MaxLockout: time.Hour} })
	alice := h.key(wire.Ed25519)
	h.mustImport(h.issue(h.spec(alice, func(s *GrantSpec) { s.PIN = "482913" })))
	guesses := 0
	for range 48 {
		res, err := h.k.CheckPIN("alice", "000000", "10.0.0.66")
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason == ReasonWrongPIN {
			guesses++
		}
		if !res.LockedUntil.IsZero() {
			h.clk.Set(res.LockedUntil.Add(time.Second))
		}
	}
	if guesses < 4*3*2 {
		t.Fatalf("%d guesses checked, want well past the backstop's 12", guesses)
	}
	if res, err := h.k.CheckPIN("alice", "482913", "10.0.0.7"); err != nil || res.Reason != ReasonGranted {
		t.Errorf("alice from her own address after %d guesses from another: %+v %v", guesses, res, err)
	}
}
