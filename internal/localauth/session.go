package localauth

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// ReasonUnknownGrant: a session's grant is no longer held by the hub (a
// revocation deleted it, or capacity purged it after it expired), and no
// revocation names it. The session must end.
const ReasonUnknownGrant Reason = "unknown_grant"

// DetailPINSession marks the audit entries of DecideSession, so that the
// log tells a PIN session's action from a holder-key decision.
const DetailPINSession = "pin session"

// GrantScope is what an imported grant allows now: what a LAN session
// opened with a PIN on it may see and do.
type GrantScope struct {
	GrantID  wire.ID   `json:"grant"`
	Role     wire.Role `json:"role"`
	Name     string    `json:"name"`
	Devices  []string  `json:"devices"`
	Actions  []string  `json:"actions"`
	NotAfter time.Time `json:"not_after,omitzero"` // zero: no end
}

// CheckGrant reports whether the imported grant id is usable now: held,
// not revoked (neither the grant nor its holder key), valid against trusted
// time. It returns the grant's current scope (the newest issue of that id:
// an authority that narrowed a grant narrows its sessions too), and the
// reason it is not usable, "" when it is. It records nothing: it serves
// reads (device lists, events), never an action. An error means the store
// failed.
func (k *Keeper) CheckGrant(id wire.ID) (GrantScope, Reason, error) {
	sc, reason, _, _, err := k.sessionGrant(id)
	return sc, reason, err
}

// DecideSession decides an action of a LAN session opened by a PIN login
// (CheckPIN) on grant id. There is no challenge and no holder proof: the
// PIN, the session cookie and its CSRF token stand for them. The rest is
// Decide's order, against the grant as held now: revocation (revoked,
// unknown_grant), validity against trusted time (expired, not_yet_valid,
// untrusted_time), device and action (device_not_allowed,
// action_not_allowed), schedule (outside_schedule).
//
// As with Decide, the decision is appended to the audit log and the event
// log durably before DecideSession returns; a non-nil error means that
// record could not be written, and the caller must not act.
func (k *Keeper) DecideSession(id wire.ID, device, action string) (Decision, error) {
	// Sessions are the LAN web app's: a session decision came over the LAN.
	d := Decision{Device: device, Action: action, GrantID: id, Transport: TransportLAN}
	k.mu.Lock()
	closed := k.closed
	k.mu.Unlock()
	if closed {
		return d, ErrClosed
	}
	sc, reason, entry, grant, err := k.sessionGrant(id)
	if err != nil {
		return d, err
	}
	d.Role, d.Name = sc.Role, sc.Name
	if entry != nil {
		d.KeyID = entry.holder
	}

	k.mu.Lock()
	k.advanceLocked()
	floor := k.tt.floor
	k.mu.Unlock()
	switch {
	case reason != "":
	case !wire.Allows(sc.Devices, device):
		reason = ReasonDeviceNotAllowed
	case !wire.Allows(sc.Actions, action):
		reason = ReasonActionNotAllowed
	case !inSchedule(grant.Schedule, floor.In(k.opts.Location)):
		reason = ReasonOutsideSchedule
	default:
		reason, d.Granted = ReasonGranted, true
	}
	d.Reason, d.Time = reason, floor

	e := &wire.AuditEntry{
		Kind: KindDecision, OK: d.Granted, Reason: string(d.Reason),
		Time: floor.UnixMilli(), Wall: k.clk.Now().UnixMilli(),
		Device: device, Action: action, Role: string(d.Role), Subject: d.Name,
		Grant: bytes.Clone(id[:]), Detail: DetailPINSession, Transport: d.Transport,
	}
	if !d.KeyID.IsZero() {
		e.Key = bytes.Clone(d.KeyID[:])
	}
	seq, err := k.record(e, EventDecision, nil)
	if err != nil {
		d.Granted = false
		return d, err
	}
	d.AuditSeq = seq
	k.observe(d)
	return d, nil
}

// sessionGrant runs the checks that need no device: held, revocation,
// validity. The scope and the grant are filled whenever the grant is held.
func (k *Keeper) sessionGrant(id wire.ID) (GrantScope, Reason, *grantEntry, *wire.Grant, error) {
	sc := GrantScope{GrantID: id}
	k.mu.Lock()
	k.advanceLocked()
	floor := k.tt.floor
	trusted := k.tt.status(k.opts.TrustedTimeBound).Trusted
	revLost := k.revLost
	entry := k.grants[id]
	_, revoked := k.revGrants[id]
	if entry != nil {
		_, keyRevoked := k.revKeys[entry.holder]
		revoked = revoked || keyRevoked
	}
	k.mu.Unlock()
	if revoked {
		return sc, ReasonRevoked, entry, nil, nil
	}
	if entry == nil {
		return sc, ReasonUnknownGrant, nil, nil, nil
	}
	grant, err := k.storedGrant(id)
	if errors.Is(err, errGrantGone) {
		return sc, ReasonUnknownGrant, nil, nil, nil // deleted since: a revocation raced us
	}
	if err != nil {
		return sc, "", nil, nil, err
	}
	sc.Role, sc.Name, sc.Devices, sc.Actions = grant.Role, grant.Name, grant.Devices, grant.Actions
	if grant.NotAfter != 0 {
		sc.NotAfter = time.Unix(grant.NotAfter, 0).UTC()
	}
	if revLostRefuses(revLost, grant.Role, grant.IssuedAt) {
		return sc, ReasonRevocationsUnknown, entry, grant, nil
	}
	return sc, validity(grant.NotBefore, grant.NotAfter, grant.RequiresTrustedTime, floor, k.clk.Now(), trusted), entry, grant, nil
}

var errGrantGone = errors.New("grant not in the store")

// storedGrant reads an imported grant. Not re-verified: see Keeper.load.
func (k *Keeper) storedGrant(id wire.ID) (*wire.Grant, error) {
	var g *wire.Grant
	err := k.st.View(func(tx *store.Tx) error {
		b := tx.Bucket(bucketGrants).Get(id[:])
		if b == nil {
			return errGrantGone
		}
		var err error
		g, _, err = wire.ParseGrant(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("localauth: reading grant %s: %w", id, err)
	}
	return g, nil
}
