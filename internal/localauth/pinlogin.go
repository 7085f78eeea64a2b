package localauth

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

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

// CheckPIN checks a PIN login: pin against the verifier of the newest
// imported, unrevoked grant with a PIN whose name is user, and that grant's
// validity against trusted time. A wrong PIN counts towards the user's
// lockout (PINPolicy), which is kept in the store so that a reboot does not
// reset it; while locked out no PIN is checked at all. Every attempt is
// audited. An error means the store failed (the result is then not OK).
//
// Lockouts are kept for known users only: counting unknown names would let
// anyone fill the store with them.
func (k *Keeper) CheckPIN(user, pin string) (PINResult, error) {
	// One check at a time: each costs the verifier's memory (19 MiB by
	// default), and a hub must not run out of memory because several
	// browsers guess at once.
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
	k.mu.Unlock()

	// The newest grant with a PIN decides; older ones are superseded.
	candidates = slices.DeleteFunc(candidates, func(g *grantEntry) bool { return !g.hasPIN })
	slices.SortFunc(candidates, func(a, b *grantEntry) int { return cmp.Compare(b.issued, a.issued) })

	var rec pinRecord
	var known bool
	if len(candidates) == 0 || wire.CheckName("user", user) != nil {
		res.Reason = ReasonUnknownUser
	} else {
		known = true
		g := candidates[0]
		res.GrantID, res.Role = g.id, g.role
		var err error
		if rec, err = k.pinState(user); err != nil {
			return res, err
		}
		res.Reason = k.checkPINGrant(g, rec, floor, trusted, revLost, revGrants, revKeys)
		if res.Reason == "" {
			v, grant, err := k.storedVerifier(g.id)
			if err != nil {
				return res, err
			}
			if verifyPIN(v, pin) {
				res.Reason, res.OK = ReasonGranted, true
				res.Devices, res.Actions = grant.Devices, grant.Actions
			} else {
				res.Reason = ReasonWrongPIN
			}
		}
	}

	// The lockout: reset on success, counted and maybe extended on a wrong
	// PIN, untouched otherwise (a locked-out or expired attempt checks no PIN).
	switch res.Reason {
	case ReasonGranted:
		rec = pinRecord{}
	case ReasonWrongPIN:
		rec.failures++
		if over := int(rec.failures) - k.opts.PIN.Attempts; over >= 0 {
			lock := k.opts.PIN.Lockout << min(over, 30)
			if lock > k.opts.PIN.MaxLockout || lock <= 0 {
				lock = k.opts.PIN.MaxLockout
			}
			rec.lockedUntil = floor.Add(lock).UnixNano()
		}
	}
	res.Failures = int(rec.failures)
	if rec.lockedUntil > floor.UnixNano() {
		res.LockedUntil = time.Unix(0, rec.lockedUntil).UTC()
	}

	e := &wire.AuditEntry{
		Kind: KindPIN, OK: res.OK, Reason: string(res.Reason),
		Time: floor.UnixMilli(), Wall: k.clk.Now().UnixMilli(),
		User: user, Role: string(res.Role),
	}
	if len(e.User) > wire.MaxNameLength || wire.CheckName("user", user) != nil {
		e.User = fmt.Sprintf("%.64q", user) // whatever was typed, made printable
	}
	if !res.GrantID.IsZero() {
		e.Grant = res.GrantID[:]
	}
	seq, err := k.record(e, EventPIN, func(tx *bbolt.Tx) error {
		if !known {
			return nil
		}
		return tx.Bucket(bucketPIN).Put([]byte(user), rec.marshal())
	})
	if err == nil && known {
		err = k.savePINs() // before the answer: a lockout must outlive the store
	}
	if err != nil {
		res.OK = false
		return res, err
	}
	res.AuditSeq = seq
	return res, nil
}

// checkPINGrant runs the checks that need no PIN: lockout, revocation and
// validity.
func (k *Keeper) checkPINGrant(g *grantEntry, rec pinRecord, floor time.Time, trusted bool, revLost time.Time, revGrants, revKeys map[wire.ID]struct{}) Reason {
	if rec.lockedUntil > floor.UnixNano() {
		return ReasonLockedOut
	}
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

func (k *Keeper) pinState(user string) (pinRecord, error) {
	var rec pinRecord
	err := k.st.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucketPIN).Get([]byte(user)); b != nil {
			var err error
			if rec, err = unmarshalPINRecord(b); err != nil {
				// A damaged record must not unlock anyone: treat it as a
				// full lockout's worth of failures.
				rec = pinRecord{failures: uint32(k.opts.PIN.Attempts)}
			}
		}
		return nil
	})
	return rec, err
}

// storedVerifier reads the imported grant and its PIN verifier. Not
// re-verified: see Keeper.load.
func (k *Keeper) storedVerifier(id wire.ID) (*wire.PINVerifier, *wire.Grant, error) {
	var g *wire.Grant
	err := k.st.View(func(tx *bbolt.Tx) error {
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
