package localauth

import (
	"bytes"
	"slices"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// Request is what a phone presents (over the LAN API or BLE) to act on a
// device.
type Request struct {
	// Chain is the holder's grant, then, for a delegation, the owner's grant
	// it was delegated from. Nothing else: delegation is one level deep.
	Chain [][]byte
	// Proof is the holder's signed answer (wire.Proof) to a Challenge.
	Proof []byte
	// Device and Action are what the caller will do if granted; they must be
	// what the challenge was issued for and what the proof names.
	Device string
	Action string
	// Value is the action's value as the caller will pass it to the device
	// (a drive authorisation's window and speed, wire.DriveLimit).
	Value string
	// Transport names what carried the request (TransportLAN, TransportBLE)
	// for the audit entry and the decision observer (metrics).
	Transport string
}

// Transports a decision's audit entry names.
const (
	TransportLAN = "lan"
	TransportBLE = "ble"
)

// Decision is Decide's verdict.
type Decision struct {
	Granted   bool      `json:"granted"`
	Reason    Reason    `json:"reason"`
	GrantID   wire.ID   `json:"grant,omitzero"`     // the holder's grant, once parsed
	KeyID     wire.ID   `json:"key,omitzero"`       // the holder key, once parsed
	Delegator wire.ID   `json:"delegator,omitzero"` // the owner grant of a delegation
	Role      wire.Role `json:"role,omitempty"`
	Name      string    `json:"name,omitempty"`
	Device    string    `json:"device"`
	Action    string    `json:"action"`
	Time      time.Time `json:"time"`      // trusted time of the decision
	AuditSeq  uint64    `json:"audit_seq"` // its audit entry
	Transport string    `json:"transport,omitempty"`
}

// Decide checks a request in this order, stopping at the first failure:
//
//  1. nonce fresh and unused (nonce_unknown, nonce_expired, nonce_replayed,
//     challenge_mismatch; malformed_proof if there is no nonce to read)
//  2. grant signature and chain (malformed_grant, unknown_authority,
//     bad_signature, missing_delegator, chain_mismatch,
//     delegator_not_owner, delegation_too_wide, delegation_too_deep)
//  3. site (wrong_site)
//  4. revocation (revoked, delegator_revoked, superseded,
//     revocations_unknown)
//  5. validity against trusted time (expired, not_yet_valid,
//     untrusted_time): expiry against the later of the floor and the wall
//     clock, not-before against the floor (validity)
//  6. role, device and action (device_not_allowed, action_not_allowed;
//     for a car: role_not_allowed, vehicle_state_unknown, drive_limit,
//     stale_proof, no_door_unlock)
//  7. schedule in the site's time zone (outside_schedule)
//  8. holder proof (bad_proof)
//
// Whatever the outcome, the nonce is consumed (in memory: see challenges)
// and the decision appended to the audit log and the event log in one
// durable store transaction before Decide returns. A non-nil error means that record could not be written:
// the Decision is then not granted, and the caller must not act.
func (k *Keeper) Decide(req Request) (Decision, error) {
	d := Decision{Device: req.Device, Action: req.Action, Transport: req.Transport}
	k.mu.Lock()
	closed := k.closed
	k.mu.Unlock()
	if closed {
		return d, ErrClosed
	}

	proof, proofMsg, err := wire.ParseProof(req.Proof)
	if err != nil {
		d.Reason = ReasonMalformedProof
	} else {
		d.Reason = k.takeNonce(proof.Nonce, req.Device, req.Action)
	}
	if d.Reason == "" {
		d.Reason = k.evaluate(req, proof, proofMsg, &d)
	}
	if d.Reason == "" {
		d.Reason, d.Granted = ReasonGranted, true
	}

	k.mu.Lock()
	k.advanceLocked()
	d.Time = k.tt.floor
	k.mu.Unlock()
	e := &wire.AuditEntry{
		Kind: KindDecision, OK: d.Granted, Reason: string(d.Reason),
		Time: d.Time.UnixMilli(), Wall: k.clk.Now().UnixMilli(),
		Device: d.Device, Action: d.Action, Role: string(d.Role), Subject: d.Name,
		Transport: d.Transport,
	}
	if !d.GrantID.IsZero() {
		e.Grant = bytes.Clone(d.GrantID[:])
	}
	if !d.KeyID.IsZero() {
		e.Key = bytes.Clone(d.KeyID[:])
	}
	if !d.Delegator.IsZero() {
		e.Detail = "delegated from grant " + d.Delegator.String()
	}
	seq, err := k.record(e, EventDecision, nil)
	if err != nil {
		d.Granted = false
		return d, err
	}
	d.AuditSeq = seq
	k.mu.Lock()
	k.noteDoorUnlock(d, time.Unix(0, k.nonceNowLocked()))
	k.mu.Unlock()
	k.observe(d)
	return d, nil
}

// chain is a verified grant chain.
type chain struct {
	leaf        *wire.Grant
	leafHolder  wire.ID
	owner       *wire.Grant // nil unless leaf is a delegation
	ownerHolder wire.ID
	// leafVerifier checks the holder's proofs: made once per verified
	// chain, because building one validates a P-256 point, a good part of
	// a verification. nil for a key it cannot check: every proof fails.
	leafVerifier *wire.Verifier
}

// authorityGrant is the grant of the chain an authority signed.
func (c *chain) authorityGrant() *wire.Grant {
	if c.owner != nil {
		return c.owner
	}
	return c.leaf
}

func (c *chain) grants() []*wire.Grant {
	if c.owner != nil {
		return []*wire.Grant{c.leaf, c.owner}
	}
	return []*wire.Grant{c.leaf}
}

// evaluate runs checks 2 to 8 and fills d with what it learns on the way.
func (k *Keeper) evaluate(req Request, proof *wire.Proof, proofMsg *wire.Signed, d *Decision) Reason {
	// 2. grant signature and chain
	c, reason := k.verifyChain(req.Chain, d)
	if reason != "" {
		return reason
	}

	// 3. site
	for _, g := range c.grants() {
		if g.Site != k.opts.Site {
			return ReasonWrongSite
		}
	}

	// An authority-signed timestamp for this site may raise the floor, before
	// validity is judged against it.
	k.mu.Lock()
	k.advanceLocked()
	k.tt.observe(time.Unix(c.authorityGrant().IssuedAt, 0))
	floor := k.tt.floor
	trusted := k.tt.status(k.opts.TrustedTimeBound).Trusted
	revLost := k.revLost

	// 4. revocation
	_, leafRevoked := k.revGrants[d.GrantID]
	_, keyRevoked := k.revKeys[c.leafHolder]
	ownerRevoked := false
	if c.owner != nil {
		_, a := k.revGrants[d.Delegator]
		_, b := k.revKeys[c.ownerHolder]
		ownerRevoked = a || b
	}
	// An authority may narrow a grant by issuing it again under the same id;
	// once the hub holds the later issue, the earlier one is refused.
	superseded := false
	for _, g := range c.grants() {
		if g.Delegator == nil {
			held := k.grants[wire.IDFrom(g.ID)]
			superseded = superseded || (held != nil && held.issued > g.IssuedAt)
		}
	}
	k.mu.Unlock()
	if leafRevoked || keyRevoked {
		return ReasonRevoked
	}
	if ownerRevoked {
		return ReasonDelegatorRevoked
	}
	if superseded {
		return ReasonSuperseded
	}
	for _, g := range c.grants() {
		if revLostRefuses(revLost, g.Role, g.IssuedAt) {
			return ReasonRevocationsUnknown
		}
	}

	// 5. validity against trusted time, every grant of the chain: expired
	// before not yet valid before untrusted time. Owners and residents
	// without requires_trusted_time need no recent anchor: availability
	// first.
	wall := k.clk.Now()
	var reasons []Reason
	for _, g := range c.grants() {
		if r := validity(g.NotBefore, g.NotAfter, g.RequiresTrustedTime, floor, wall, trusted); r != "" {
			reasons = append(reasons, r)
		}
	}
	for _, r := range []Reason{ReasonExpired, ReasonNotYetValid, ReasonUntrustedTime} {
		if slices.Contains(reasons, r) {
			return r
		}
	}

	// 6. role, device and action. Roles were checked with the chain (a
	// delegation must be a guest's); every role may act within its grant.
	for _, g := range c.grants() {
		if !wire.Allows(g.Devices, req.Device) {
			return ReasonDeviceNotAllowed
		}
	}
	for _, g := range c.grants() {
		if !wire.Allows(g.Actions, req.Action) {
			return ReasonActionNotAllowed
		}
	}
	// A car's rules: role, the car's state, a recent proof and a door first.
	if r := k.checkVehicle(c, req, proof.Nonce); r != "" {
		return r
	}

	// 7. schedule, on the site's wall clock as the floor reads it
	local := floor.In(k.opts.Location)
	for _, g := range c.grants() {
		if !inSchedule(g.Schedule, local) {
			return ReasonOutsideSchedule
		}
	}

	// 8. holder proof: signed by the holder key, for this hub, device and
	// action (the nonce was matched in step 1).
	if c.leafVerifier == nil || proofMsg.Verify(c.leafVerifier) != nil {
		return ReasonBadProof
	}
	if !bytes.Equal(proof.Hub, k.hubID[:]) || proof.Device != req.Device || proof.Action != req.Action {
		return ReasonBadProof
	}
	return ""
}

// verifyChain parses and verifies the presented grants: an authority-signed
// grant, or a delegation signed by an owner's holder key followed by that
// owner's authority-signed grant. A chain that verified before is taken
// from the cache by the hash of its bytes: its signatures cannot have
// changed, and the authority keys are pinned for the process's life
// (revocation, validity and the holder proof are still checked every time).
func (k *Keeper) verifyChain(grants [][]byte, d *Decision) (*chain, Reason) {
	key := chainKey(grants)
	if c := k.chains.get(key); c != nil {
		c.fill(d)
		return c, ""
	}
	c, reason := k.parseChain(grants, d)
	if reason == "" {
		k.chains.put(key, c)
	}
	return c, reason
}

// fill records in d what the chain says of the holder.
func (c *chain) fill(d *Decision) {
	d.GrantID, d.KeyID, d.Role, d.Name = wire.IDFrom(c.leaf.ID), c.leafHolder, c.leaf.Role, c.leaf.Name
	if c.owner != nil {
		d.Delegator = wire.IDFrom(c.leaf.Delegator)
	}
}

// parseChain is verifyChain without the cache.
func (k *Keeper) parseChain(grants [][]byte, d *Decision) (*chain, Reason) {
	if len(grants) == 0 {
		return nil, ReasonMalformedGrant
	}
	if len(grants) > 2 {
		return nil, ReasonDelegationTooDeep
	}
	leaf, leafMsg, err := wire.ParseGrant(grants[0])
	if err != nil {
		return nil, ReasonMalformedGrant
	}
	c := &chain{leaf: leaf}
	leafKey, _ := leaf.HolderKey() // validated by ParseGrant
	c.leafHolder, _ = wire.KeyIDOf(leafKey)
	c.leafVerifier, _ = wire.NewVerifier(leafKey)
	d.GrantID, d.KeyID, d.Role, d.Name = wire.IDFrom(leaf.ID), c.leafHolder, leaf.Role, leaf.Name

	if leaf.Delegator == nil {
		if len(grants) != 1 {
			return c, ReasonMalformedGrant // a second grant that nothing refers to
		}
		return c, k.verifyAuthority(leafMsg)
	}

	d.Delegator = wire.IDFrom(leaf.Delegator)
	if len(grants) < 2 {
		return c, ReasonMissingDelegator
	}
	owner, ownerMsg, err := wire.ParseGrant(grants[1])
	if err != nil {
		return c, ReasonMalformedGrant
	}
	if owner.Delegator != nil {
		return c, ReasonDelegationTooDeep
	}
	if r := k.verifyAuthority(ownerMsg); r != "" {
		return c, r
	}
	if owner.Role != wire.RoleOwner {
		return c, ReasonDelegatorNotOwner
	}
	if !bytes.Equal(leaf.Delegator, owner.ID) {
		return c, ReasonChainMismatch
	}
	ownerKey, _ := owner.HolderKey()
	c.owner = owner
	c.ownerHolder, _ = wire.KeyIDOf(ownerKey)
	v, err := wire.NewVerifier(ownerKey)
	if err != nil || leafMsg.Verify(v) != nil {
		return c, ReasonBadSignature
	}
	if narrower(leaf, owner) != nil {
		return c, ReasonDelegationTooWide
	}
	return c, ""
}

// verifyAuthority checks that msg is signed by a pinned authority key.
func (k *Keeper) verifyAuthority(msg *wire.Signed) Reason {
	v := k.authorities[msg.KeyID]
	if v == nil {
		return ReasonUnknownAuthority
	}
	if msg.Verify(v) != nil {
		return ReasonBadSignature
	}
	return ""
}
