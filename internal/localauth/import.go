package localauth

import (
	"bytes"
	"fmt"
	"time"

	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Import kinds.
const (
	ImportGrant      = "grant"
	ImportRevocation = "revocation"
)

// ImportResult says what Import did with one message.
type ImportResult struct {
	Kind     string  `json:"kind,omitempty"` // grant, revocation; "" when unreadable
	Accepted bool    `json:"accepted"`       // stored (or already held: duplicate)
	Reason   Reason  `json:"reason"`
	GrantID  wire.ID `json:"grant,omitzero"`
	Serial   uint64  `json:"serial,omitempty"`
	AuditSeq uint64  `json:"audit_seq"`
}

// Import is the mailbox: it takes a signed grant or revocation snapshot
// from any carrier (MQTT, the LAN API, BLE from any phone, a file), because
// the signature, not the carrier, makes it trusted.
//
// A grant is accepted when an authority pinned here signed it for this site
// and it is neither revoked nor expired; a grant with the id of one held
// replaces it only if issued later. A snapshot is accepted when an authority
// signed it for this site with a serial above the one held; it replaces the
// revoked set, and imported grants it revokes are deleted. Delegations are
// not imported (they are presented at the door with the owner's grant).
//
// Every outcome is an audit entry. A refusal returns the result and a
// *RefusedError (errors.Is ErrRefused; ErrFull when a capacity limit was
// reached); an error of another kind means the store failed.
func (k *Keeper) Import(b []byte) (ImportResult, error) {
	k.importMu.Lock()
	defer k.importMu.Unlock()
	k.mu.Lock()
	closed := k.closed
	k.mu.Unlock()
	if closed {
		return ImportResult{}, ErrClosed
	}

	var res ImportResult
	var detail string
	var apply func(tx *store.Tx) error // the writes of an accepted import
	var durable func() error           // then the security-state record, before success is answered
	var after func()                   // memory changes once they are durable
	typ, err := wire.PeekType(b, wire.MaxRevocationSize)
	switch {
	case err != nil:
		res.Reason, detail = ReasonMalformed, err.Error()
	case typ == wire.TypeGrant:
		res.Kind = ImportGrant
		res.Reason, detail, apply, after = k.importGrant(b, &res)
	case typ == wire.TypeRevocation:
		res.Kind = ImportRevocation
		res.Reason, detail, apply, durable, after = k.importRevocation(b, &res)
	default:
		res.Reason, detail = ReasonUnknownType, fmt.Sprintf("message type %q", typ)
	}
	res.Accepted = res.Reason == ReasonAccepted || res.Reason == ReasonDuplicate

	k.mu.Lock()
	k.advanceLocked()
	tt := k.tt
	k.mu.Unlock()
	e := &wire.AuditEntry{
		Kind: KindImport, OK: res.Accepted, Reason: string(res.Reason),
		Time: tt.floor.UnixMilli(), Wall: k.clk.Now().UnixMilli(),
		Detail: res.Kind, Serial: res.Serial,
	}
	if !res.GrantID.IsZero() {
		e.Grant = bytes.Clone(res.GrantID[:])
	}
	if len(detail) > 200 {
		detail = detail[:200]
	}
	if detail != "" {
		e.Detail = res.Kind + ": " + detail
	}
	seq, err := k.record(e, EventImport, func(tx *store.Tx) error {
		// Any import writes anyway: keep the floor (maybe raised by this
		// message's issued-at) at no extra cost.
		if err := putTime(tx, tt); err != nil {
			return err
		}
		if apply != nil {
			return apply(tx)
		}
		return nil
	})
	if err != nil {
		res.Accepted = false
		return res, err
	}
	res.AuditSeq = seq
	if durable != nil {
		// Committed to the store but not to the record that outlives it:
		// not acknowledged, and memory stays as it was, so that the
		// sender's retry is taken again rather than refused as a stale
		// serial. (A restart before the retry copies the store's snapshot
		// to the record: mergeDurable.)
		if err := durable(); err != nil {
			res.Accepted = false
			return res, err
		}
	}
	if after != nil {
		k.mu.Lock()
		after()
		k.mu.Unlock()
	}
	if !res.Accepted {
		return res, &RefusedError{Reason: res.Reason, Detail: detail}
	}
	k.log.Info("localauth: imported", "kind", res.Kind, "reason", res.Reason, "grant", res.GrantID, "serial", res.Serial)
	return res, nil
}

func (k *Keeper) importGrant(b []byte, res *ImportResult) (Reason, string, func(*store.Tx) error, func()) {
	g, msg, err := wire.ParseGrant(b)
	if err != nil {
		return ReasonMalformed, err.Error(), nil, nil
	}
	res.GrantID = wire.IDFrom(g.ID)
	if g.Delegator != nil {
		return ReasonUnknownAuthority, "a delegation is signed by an owner, not an authority: present it at the door with the owner's grant", nil, nil
	}
	if r := k.verifyAuthority(msg); r != "" {
		return r, fmt.Sprintf("signed by %s", msg.KeyID), nil, nil
	}
	if g.Site != k.opts.Site {
		return ReasonWrongSite, fmt.Sprintf("for site %q", g.Site), nil, nil
	}
	entry := entryOf(g, msg.KeyID)

	k.mu.Lock()
	defer k.mu.Unlock()
	k.advanceLocked()
	k.tt.observe(time.Unix(g.IssuedAt, 0))
	if _, ok := k.revGrants[entry.id]; ok {
		return ReasonRevoked, "", nil, nil
	}
	if _, ok := k.revKeys[entry.holder]; ok {
		return ReasonRevoked, "its holder key is revoked", nil, nil
	}
	floor := k.tt.floor.Unix()
	if g.NotAfter != 0 && floor >= g.NotAfter {
		return ReasonExpired, "", nil, nil
	}
	old := k.grants[entry.id]
	if old != nil && old.issued >= g.IssuedAt {
		// Same id, same issue time: the same grant again (a retained MQTT
		// message redelivered), or an older version of one held.
		if old.issued == g.IssuedAt {
			return ReasonDuplicate, "", nil, nil
		}
		return ReasonStaleGrant, "a later version is held", nil, nil
	}
	// Make room by forgetting expired grants before declaring the store full.
	var purge []*grantEntry
	if old == nil && len(k.grants) >= k.opts.MaxGrants {
		for _, x := range k.grants {
			if x.notAfter != 0 && floor >= x.notAfter {
				purge = append(purge, x)
			}
		}
		if len(k.grants)-len(purge) >= k.opts.MaxGrants {
			return ReasonFull, fmt.Sprintf("%d grants held", k.opts.MaxGrants), nil, nil
		}
	}
	raw := bytes.Clone(b)
	apply := func(tx *store.Tx) error {
		for _, x := range purge {
			if err := deleteGrant(tx, x.id); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketGrants).Put(entry.id[:], raw); err != nil {
			return err
		}
		return tx.Bucket(bucketGrantIndex).Put(entry.id[:], entry.marshal())
	}
	after := func() {
		for _, x := range purge {
			k.removeGrant(x)
		}
		k.addGrant(entry)
	}
	return ReasonAccepted, "", apply, after
}

func deleteGrant(tx *store.Tx, id wire.ID) error {
	if err := tx.Bucket(bucketGrants).Delete(id[:]); err != nil {
		return err
	}
	return tx.Bucket(bucketGrantIndex).Delete(id[:])
}

func (k *Keeper) importRevocation(b []byte, res *ImportResult) (Reason, string, func(*store.Tx) error, func() error, func()) {
	r, msg, err := wire.ParseRevocation(b)
	if err != nil {
		return ReasonMalformed, err.Error(), nil, nil, nil
	}
	res.Serial = r.Serial
	if reason := k.verifyAuthority(msg); reason != "" {
		return reason, fmt.Sprintf("signed by %s", msg.KeyID), nil, nil, nil
	}
	if r.Site != k.opts.Site {
		return ReasonWrongSite, fmt.Sprintf("for site %q", r.Site), nil, nil, nil
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	k.advanceLocked()
	k.tt.observe(time.Unix(r.IssuedAt, 0))
	if r.Serial <= k.serial {
		return ReasonStaleSerial, fmt.Sprintf("serial %d, holding %d", r.Serial, k.serial), nil, nil, nil
	}
	if n := len(r.Grants) + len(r.Keys); n > k.opts.MaxRevoked {
		return ReasonFull, fmt.Sprintf("%d revoked ids, at most %d", n, k.opts.MaxRevoked), nil, nil, nil
	}
	// A lost revocation list is found again only by a snapshot issued after
	// the loss: an older one (a replayed retained message) may not name
	// what was revoked since. It is still taken: it can only add
	// revocations.
	lost := k.revLost
	if !lost.IsZero() && issuedAfter(r.IssuedAt, lost) {
		lost = time.Time{}
	}
	revGrants, revKeys := idSet(r.Grants), idSet(r.Keys)
	var drop []*grantEntry
	for _, g := range k.grants {
		_, a := revGrants[g.id]
		_, b := revKeys[g.holder]
		if a || b {
			drop = append(drop, g)
		}
	}
	raw := bytes.Clone(b)
	apply := func(tx *store.Tx) error {
		for _, g := range drop {
			if err := deleteGrant(tx, g.id); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySnapshot, raw)
	}
	durable := func() error { return k.saveRevocation(raw, lost) }
	after := func() {
		k.revGrants, k.revKeys, k.serial, k.revIssued = revGrants, revKeys, r.Serial, r.IssuedAt
		k.revLost = lost
		for _, g := range drop {
			k.removeGrant(g)
		}
	}
	return ReasonAccepted, "", apply, durable, after
}
