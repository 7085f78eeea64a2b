package localauth

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// PINResult is CheckPIN's verdict.
type PINResult struct {
	OK          bool      `json:"ok"`
	Reason      Reason    `json:"reason"`
	User        string    `json:"user"`
	GrantID     wire.ID   `json:"grant,omitzero"`
	Role        wire.Role `json:"role,omitempty"`
	Devices     []string  `json:"devices,omitempty"` // what the grant allows, for the web app
	Actions     []string  `json:"actions,omitempty"`
	Failures    int       `json:"failures"`              // consecutive wrong entries so far
	LockedUntil time.Time `json:"locked_until,omitzero"` // trusted time; zero when not locked
	AuditSeq    uint64    `json:"audit_seq"`
}

// CheckPIN checks a PIN login by user from client (the caller's address,
// "" for none): pin against the verifier of the newest imported, unrevoked
// grant with a PIN whose name is user, then that grant's validity against
// trusted time. Every attempt is audited. An error means the store failed
// (the result is then not OK).
//
// Wrong PINs count towards lockouts (PINPolicy) kept per (user, client) and
// per user over every client: Attempts wrong entries from one client lock
// the user out from that client only, so a stranger cannot shut a resident
// out of her own phone by guessing at her name from his; 4×Attempts from
// all clients together lock the user out from every client that has
// guessed wrong, which bounds what an attacker with many addresses may
// guess (see pinLockouts). While locked out no PIN is checked at all. A
// holder-key decision (Decide) never looks at any of this.
//
// A name with no PIN grant gets the same work and the same answers: its
// PIN is hashed with argon2id against the newest PIN verifier the hub
// holds (its parameters), and its wrong entries are counted and locked out
// alike (in memory, see pinLockouts). Only the reason differs
// (unknown_user rather than wrong_pin), for the audit log: callers must
// answer both the same. A right PIN is needed before the grant's state
// (expired, revoked, not yet valid) is told.
func (k *Keeper) CheckPIN(user, pin, client string) (PINResult, error) {
	// One check at a time: each costs the verifier's memory (19 MiB by
	// default), and a hub must not run out of memory because several
	// browsers guess at once. pinMu also guards k.pins.
	k.pinMu.Lock()
	defer k.pinMu.Unlock()
	res := PINResult{User: user}
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return res, ErrClosed
	}
	k.advanceLocked()
	floor := k.tt.floor
	trusted := k.tt.status(k.opts.TrustedTimeBound).Trusted
	revLost := k.revLost
	candidates := slices.Clone(k.byName[user])
	revGrants, revKeys := k.revGrants, k.revKeys // replaced, never mutated: safe to read unlocked
	decoy := k.newestPINGrantLocked()
	k.mu.Unlock()

	// The newest grant with a PIN decides; older ones are superseded.
	candidates = slices.DeleteFunc(candidates, func(g *grantEntry) bool { return !g.hasPIN })
	slices.SortFunc(candidates, func(a, b *grantEntry) int { return cmp.Compare(b.issued, a.issued) })
	known := len(candidates) > 0 && wire.CheckName("user", user) == nil

	var g *grantEntry
	var u *pinUser
	if known {
		g = candidates[0]
		res.GrantID, res.Role = g.id, g.role
		var err error
		if u, err = k.storedPINUser(user); err != nil {
			return res, err
		}
	} else {
		u = k.pins.unknown(user)
	}
	addrKey := u.addrKey(client)
	addr, total := u.addrs[addrKey], u.total
	now := floor.UnixNano()
	// The backstop holds back the addresses that have guessed wrong, not
	// the one the resident logs in from without a slip.
	backstop := total.lockedUntil > now && addr.failures > 0

	if addr.lockedUntil > now || backstop {
		res.Reason = ReasonLockedOut
	} else {
		v, grant := dummyVerifier(), (*wire.Grant)(nil)
		switch {
		case known:
			var err error
			if v, grant, err = k.storedVerifier(g.id); err != nil {
				return res, err
			}
		case decoy != nil:
			// Deleted since (revoked): the default parameters do.
			if dv, _, err := k.storedVerifier(decoy.id); err == nil {
				v = dv
			}
		}
		idKey := k.argon2
		if idKey == nil {
			idKey = argon2.IDKey
		}
		right := verifyPINWith(idKey, v, pin)
		switch {
		case !known:
			res.Reason = ReasonUnknownUser
		case !right:
			res.Reason = ReasonWrongPIN
		default:
			if res.Reason = k.checkPINGrant(g, floor, trusted, revLost, revGrants, revKeys); res.Reason == "" {
				res.Reason, res.OK = ReasonGranted, true
				res.Devices, res.Actions = grant.Devices, grant.Actions
			}
		}
	}

	// The lockouts: reset on success, counted and maybe extended on a wrong
	// PIN (or name), untouched otherwise (a locked-out attempt checks no
	// PIN; a right PIN on an expired grant is no guess).
	switch res.Reason {
	case ReasonGranted:
		addr, total = pinRecord{}, pinRecord{}
	case ReasonWrongPIN, ReasonUnknownUser:
		addr = addr.fail(k.opts.PIN, k.opts.PIN.Attempts, floor)
		total = total.fail(k.opts.PIN, totalAttemptsFactor*k.opts.PIN.Attempts, floor)
	}
	res.Failures = int(addr.failures)
	lock := addr.lockedUntil
	if addr.failures > 0 {
		lock = max(lock, total.lockedUntil)
	}
	if lock > now {
		res.LockedUntil = time.Unix(0, lock).UTC()
	}

	e := &wire.AuditEntry{
		Kind: KindPIN, OK: res.OK, Reason: string(res.Reason),
		Time: floor.UnixMilli(), Wall: k.clk.Now().UnixMilli(),
		User: user, Role: string(res.Role), Detail: client,
	}
	if len(e.User) > wire.MaxNameLength || wire.CheckName("user", user) != nil {
		e.User = fmt.Sprintf("%.64q", user) // whatever was typed, made printable
	}
	if !res.GrantID.IsZero() {
		e.Grant = res.GrantID[:]
	}
	seq, err := k.record(e, EventPIN, func(tx *store.Tx) error {
		if !known {
			return nil
		}
		b := tx.Bucket(bucketPIN)
		if err := putPINRecord(b, []byte(user), total); err != nil {
			return err
		}
		return putPINRecord(b, []byte(user+"\x00"+addrKey), addr)
	})
	if err == nil && known {
		err = k.savePINs() // before the answer: a lockout must outlive the store
	}
	if err != nil {
		res.OK = false
		return res, err
	}
	if !known {
		u.set(addrKey, addr, total)
	}
	res.AuditSeq = seq
	return res, nil
}

// newestPINGrantLocked is the PIN grant whose verifier's parameters an
// unknown name's PIN is hashed with, nil when there is none. k.mu must be
// held.
func (k *Keeper) newestPINGrantLocked() *grantEntry {
	var newest *grantEntry
	for _, g := range k.grants {
		if g.hasPIN && (newest == nil || g.issued > newest.issued) {
			newest = g
		}
	}
	return newest
}

// checkPINGrant runs the checks of the grant behind a right PIN:
// revocation and validity.
func (k *Keeper) checkPINGrant(g *grantEntry, floor time.Time, trusted bool, revLost time.Time, revGrants, revKeys map[wire.ID]struct{}) Reason {
	if _, ok := revGrants[g.id]; ok {
		return ReasonRevoked
	}
	if _, ok := revKeys[g.holder]; ok {
		return ReasonRevoked
	}
	if revLostRefuses(revLost, g.role, g.issued) {
		return ReasonRevocationsUnknown
	}
	return validity(g.notBefore, g.notAfter, g.trustedTm, floor, k.clk.Now(), trusted)
}

// storedVerifier reads the imported grant and its PIN verifier. Not
// re-verified: see Keeper.load.
func (k *Keeper) storedVerifier(id wire.ID) (*wire.PINVerifier, *wire.Grant, error) {
	var g *wire.Grant
	err := k.st.View(func(tx *store.Tx) error {
		b := tx.Bucket(bucketGrants).Get(id[:])
		if b == nil {
			return errors.New("grant not in the store")
		}
		var err error
		g, _, err = wire.ParseGrant(b)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("localauth: reading grant %s: %w", id, err)
	}
	if g.PIN == nil {
		return nil, nil, fmt.Errorf("localauth: grant %s has no PIN verifier", id)
	}
	return g.PIN, g, nil
}
