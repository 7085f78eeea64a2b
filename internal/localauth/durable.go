package localauth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// The keeper's records in the security-state directory (package secstate).
// They hold what must never go backwards (DESIGN.md principle 7) apart from
// the store, so that a store recovered empty after a power cut does not
// reopen a revoked key, forget a lockout, reset the time floor or change the
// hub's identity. Where both the store and a record hold a value, loading
// takes the stricter of the two (mergeDurable).
const (
	recHubKey     = "hubkey"     // Ed25519 seed, 32 bytes: kept here only (not in the store)
	recRevocation = "revocation" // revocationRecord
	recTime       = "time"       // floor (8 bytes, Unix ns) ‖ anchor timeRecord (optional)
	recPINs       = "pins"       // the auth_pin bucket, key → value, whatever their format
)

// minBuildTime is the oldest the trusted-time floor may ever start: the day
// this line was last changed. It is the fallback for binaries that carry no
// VCS stamp (go test binaries, builds from a source tarball); builds from a
// git checkout use their commit time (buildTime). Raise it now and then: a
// hub whose floor starts years behind accepts keys that expired long ago
// until it first hears NTP or a signed timestamp.
var minBuildTime = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

// BuildTime is the earliest moment this binary can be running at: the
// later of minBuildTime and the commit time Go stamps into binaries built
// from a git checkout (runtime/debug "vcs.time"). The trusted-time floor
// never starts below it.
func BuildTime() time.Time {
	t := minBuildTime
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key != "vcs.time" {
				continue
			}
			if v, err := time.Parse(time.RFC3339, s.Value); err == nil && v.After(t) {
				t = v.UTC()
			}
		}
	}
	return t
}

// revocationRecord is the revocation state kept beside the store: the
// signed snapshot in force as imported (empty: none has arrived since the
// hub first ran) and, when the list was lost (store recovered and this
// record unreadable or missing), the trusted time of that loss.
type revocationRecord struct {
	lostSince time.Time // zero: not lost
	snapshot  []byte
}

const revocationRecordVersion = 1

func (r revocationRecord) marshal() []byte {
	b := []byte{revocationRecordVersion}
	var lost int64
	if !r.lostSince.IsZero() {
		lost = r.lostSince.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(lost))
	return append(b, r.snapshot...)
}

func parseRevocationRecord(b []byte) (revocationRecord, error) {
	if len(b) < 9 || b[0] != revocationRecordVersion {
		return revocationRecord{}, fmt.Errorf("%w: revocation record of %d bytes", errBadRecord, len(b))
	}
	var r revocationRecord
	if lost := int64(binary.BigEndian.Uint64(b[1:9])); lost != 0 {
		r.lostSince = time.Unix(0, lost).UTC()
	}
	if len(b) > 9 {
		r.snapshot = bytes.Clone(b[9:])
	}
	return r, nil
}

func timeFileRecord(tt trustedTime) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(tt.floor.UnixNano()))
	if !tt.anchor.IsZero() {
		b = append(b, timeRecord(tt.anchor, tt.anchorSrc)...)
	}
	return b
}

func parseTimeFileRecord(b []byte) (floor, anchor time.Time, src string, err error) {
	if len(b) < 8 {
		return floor, anchor, "", fmt.Errorf("%w: time record of %d bytes", errBadRecord, len(b))
	}
	floor = time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))).UTC()
	if len(b) > 8 {
		anchor, src, err = parseTimeRecord(b[8:])
	}
	return floor, anchor, src, err
}

// pinEntries is the auth_pin bucket as a list, sorted by key.
type pinEntry struct{ key, val []byte }

// marshalPINs: per entry, key length (2 bytes), key, value length (2
// bytes), value.
func marshalPINs(es []pinEntry) []byte {
	var b []byte
	for _, e := range es {
		b = binary.BigEndian.AppendUint16(b, uint16(len(e.key)))
		b = append(b, e.key...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(e.val)))
		b = append(b, e.val...)
	}
	return b
}

func parsePINs(b []byte) ([]pinEntry, error) {
	var es []pinEntry
	for len(b) > 0 {
		var key, val []byte
		var ok bool
		if key, b, ok = cut16(b); !ok || len(key) == 0 {
			return nil, fmt.Errorf("%w: pins record: bad key at entry %d", errBadRecord, len(es))
		}
		if val, b, ok = cut16(b); !ok {
			return nil, fmt.Errorf("%w: pins record: bad value at entry %d", errBadRecord, len(es))
		}
		es = append(es, pinEntry{bytes.Clone(key), bytes.Clone(val)})
	}
	return es, nil
}

func cut16(b []byte) (val, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return nil, nil, false
	}
	return b[2 : 2+n], b[2+n:], true
}

// stricterPIN is the record of the two that keeps a user out longer: the
// later lockout, then the more failures. A record that does not parse is
// the stricter (CheckPIN reads it as a full lockout's worth of failures).
func stricterPIN(a, b []byte) []byte {
	ra, errA := unmarshalPINRecord(a)
	rb, errB := unmarshalPINRecord(b)
	switch {
	case errA != nil:
		return a
	case errB != nil:
		return b
	case rb.lockedUntil > ra.lockedUntil:
		return b
	case rb.lockedUntil == ra.lockedUntil && rb.failures > ra.failures:
		return b
	}
	return a
}

// mergePINs joins the store's and the file's lockouts, keeping the
// stricter record per key.
func mergePINs(store, file []pinEntry) []pinEntry {
	m := make(map[string][]byte, len(store)+len(file))
	for _, e := range store {
		m[string(e.key)] = e.val
	}
	for _, e := range file {
		if v, ok := m[string(e.key)]; ok {
			m[string(e.key)] = stricterPIN(v, e.val)
		} else {
			m[string(e.key)] = e.val
		}
	}
	out := make([]pinEntry, 0, len(m))
	for k, v := range m {
		out = append(out, pinEntry{[]byte(k), v})
	}
	slices.SortFunc(out, func(a, b pinEntry) int { return bytes.Compare(a.key, b.key) })
	return out
}

func readPINBucket(tx *store.Tx) []pinEntry {
	var es []pinEntry
	_ = tx.Bucket(bucketPIN).ForEach(func(k, v []byte) error {
		es = append(es, pinEntry{bytes.Clone(k), bytes.Clone(v)})
		return nil
	})
	return es
}

// savePINs mirrors the whole auth_pin bucket into the pins record. Called
// after every write of the bucket, before the answer that depends on it
// (a lockout) is given.
func (k *Keeper) savePINs() error {
	var es []pinEntry
	if err := k.st.View(func(tx *store.Tx) error { es = readPINBucket(tx); return nil }); err != nil {
		return fmt.Errorf("localauth: reading PIN lockouts: %w", err)
	}
	if err := k.sec.Save(recPINs, marshalPINs(es)); err != nil {
		return fmt.Errorf("localauth: saving PIN lockouts: %w", err)
	}
	return nil
}

// saveRevocation writes the revocation record: the snapshot in force and
// whether the list is lost.
func (k *Keeper) saveRevocation(snapshot []byte, lostSince time.Time) error {
	if err := k.sec.Save(recRevocation, revocationRecord{lostSince: lostSince, snapshot: snapshot}.marshal()); err != nil {
		return fmt.Errorf("localauth: saving the revocation snapshot: %w", err)
	}
	return nil
}

// loadHubKey returns the hub identity key from its record, migrating it
// from a store that still holds it (before this record existed) and making
// a new one only when neither has it. ran reports whether the record
// existed (whole or damaged): the hub has run here before.
func (k *Keeper) loadHubKey() (seed []byte, ran bool, err error) {
	var stored []byte
	err = k.st.View(func(tx *store.Tx) error {
		stored = bytes.Clone(tx.Bucket(bucketMeta).Get(keyHubKey))
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if len(stored) != ed25519.SeedSize {
		stored = nil
	}
	file, ferr := k.sec.Load(recHubKey)
	switch {
	case ferr == nil && len(file) == ed25519.SeedSize:
		seed, ran = file, true
		if stored != nil && !bytes.Equal(stored, file) {
			k.log.Warn("localauth: the store holds another hub key than " + k.sec.Path() + "; keeping the file's (it outlives a recovered store)")
		}
	case ferr == nil || errors.Is(ferr, secstate.ErrDamaged):
		ran = true
		if stored != nil {
			seed = stored
			break
		}
		seed = make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, ran, err
		}
		k.warn(fmt.Sprintf("hub identity key lost (record %s/%s unreadable: %v): a new hub id was made; phones and scripts that pinned the old one must pin the new one", k.sec.Path(), recHubKey, orLength(ferr, file)))
	case errors.Is(ferr, secstate.ErrNotFound):
		seed = stored
		if seed == nil {
			seed = make([]byte, ed25519.SeedSize)
			if _, err := rand.Read(seed); err != nil {
				return nil, false, err
			}
		}
	default:
		return nil, false, ferr
	}
	if ferr != nil || !bytes.Equal(file, seed) {
		if err := k.sec.Save(recHubKey, seed); err != nil {
			return nil, ran, fmt.Errorf("localauth: saving the hub key: %w", err)
		}
	}
	if stored != nil {
		// One source of truth: the record. The store's copy goes once the
		// record holds the key.
		err = k.st.Update(func(tx *store.Tx) error { return tx.Bucket(bucketMeta).Delete(keyHubKey) })
		if err != nil {
			return nil, ran, fmt.Errorf("localauth: removing the store's copy of the hub key: %w", err)
		}
	}
	return seed, ran, nil
}

func orLength(err error, b []byte) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%d bytes, want %d", len(b), ed25519.SeedSize)
}

// mergeDurable brings the records of the security-state directory into the
// state loaded from the store, taking the stricter of the two for each
// piece, and writes back to the records what the store had ahead of them.
// ran says whether the hub had run here before (its hub key record
// existed). k.mu need not be held: New calls it before the keeper is
// shared.
func (k *Keeper) mergeDurable(ran bool) error {
	recovered := k.st.Health().Recovered

	// Time: the floor never starts below the build time of the binary, nor
	// below what the record or the store held.
	k.tt.raise(k.opts.BuildTime)
	if b, err := k.sec.Load(recTime); err == nil {
		if floor, anchor, src, err := parseTimeFileRecord(b); err == nil {
			k.tt.raise(floor)
			if anchor.After(k.tt.anchor) {
				k.tt.anchor, k.tt.anchorSrc = anchor, src
			}
		} else {
			k.log.Error("localauth: time record unreadable; the floor starts from the store and the build time", "err", err)
		}
	} else if !errors.Is(err, secstate.ErrNotFound) {
		k.log.Error("localauth: time record unreadable; the floor starts from the store and the build time", "err", err)
	}

	// PIN lockouts: per user (or whatever the key is), the stricter record.
	var storePINs []pinEntry
	if err := k.st.View(func(tx *store.Tx) error { storePINs = readPINBucket(tx); return nil }); err != nil {
		return err
	}
	filePINs, pinErr := k.loadPINRecord()
	merged := mergePINs(storePINs, filePINs)
	switch {
	case pinErr != nil && recovered:
		k.warn(fmt.Sprintf("PIN lockout record unreadable (%v) and the store recovered: lockouts from before the recovery are forgotten", pinErr))
	case pinErr != nil:
		// The store is whole and holds every lockout the record did.
		k.log.Warn("localauth: PIN lockout record unreadable; rewritten from the store", "err", pinErr)
	}
	if !slices.EqualFunc(merged, storePINs, pinEntryEqual) {
		err := k.st.Update(func(tx *store.Tx) error {
			b := tx.Bucket(bucketPIN)
			for _, e := range merged {
				if err := b.Put(e.key, e.val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("restoring PIN lockouts: %w", err)
		}
	}
	if pinErr != nil || !slices.EqualFunc(merged, filePINs, pinEntryEqual) {
		if err := k.sec.Save(recPINs, marshalPINs(merged)); err != nil {
			return fmt.Errorf("saving PIN lockouts: %w", err)
		}
	}

	// Revocations: the higher serial wins.
	var storeSnap []byte
	if err := k.st.View(func(tx *store.Tx) error {
		storeSnap = bytes.Clone(tx.Bucket(bucketMeta).Get(keySnapshot))
		return nil
	}); err != nil {
		return err
	}
	b, revErr := k.sec.Load(recRevocation)
	var rec revocationRecord
	if revErr == nil {
		rec, revErr = parseRevocationRecord(b)
	}
	if revErr == nil && len(rec.snapshot) > 0 {
		r, _, err := wire.ParseRevocation(rec.snapshot)
		if err != nil {
			revErr = fmt.Errorf("%w: its snapshot: %v", errBadRecord, err)
		} else {
			// Its issued-at was signed by an authority: a floor, not an
			// anchor (it is old news by now).
			k.tt.raise(time.Unix(r.IssuedAt, 0))
			if r.Serial > k.serial {
				k.setRevocations(r)
				k.dropRevokedGrants()
			}
		}
	}
	known := k.serial > 0 || (revErr == nil && rec.lostSince.IsZero())
	switch {
	case revErr == nil && !rec.lostSince.IsZero() && !k.revAfterLoss(rec.lostSince):
		// Lost before, and no snapshot issued since has arrived: still lost,
		// from the same moment (a restart does not move it).
		k.revLost = rec.lostSince
	case known:
	case errors.Is(revErr, secstate.ErrNotFound) && !recovered && !ran:
		// First start here (or the first with this record) on an intact
		// store: nothing was lost, no snapshot has arrived yet.
	default:
		// The loss is dated by the later of the floor and the wall clock: a
		// grant issued after it cannot be in a list lost before it, and
		// a date too late only refuses more. (A wall clock behind the true
		// time, with no NTP yet, dates it too early: docs/security.md.)
		k.revLost = k.tt.floor
		if wall := k.clk.Now().Round(0).UTC(); wall.After(k.revLost) {
			k.revLost = wall
		}
		reason := "store recovered"
		if revErr != nil && !errors.Is(revErr, secstate.ErrNotFound) {
			reason = fmt.Sprintf("record %s/%s unreadable: %v", k.sec.Path(), recRevocation, revErr)
		} else if !recovered {
			reason = fmt.Sprintf("record %s/%s missing", k.sec.Path(), recRevocation)
		}
		k.log.Error("localauth: REVOCATION LIST LOST; only owners and grants issued after now open anything until a snapshot issued after now arrives", "reason", reason, "since", k.revLost)
	}
	// Write back what the record lacks: the store's newer snapshot, the
	// loss, or the first (empty) record that says "none yet".
	want := revocationRecord{lostSince: k.revLost, snapshot: k.snapshot(storeSnap, rec.snapshot)}
	if revErr != nil || !bytes.Equal(want.marshal(), b) {
		if err := k.saveRevocation(want.snapshot, want.lostSince); err != nil {
			return err
		}
	}
	return k.sec.Save(recTime, timeFileRecord(k.tt))
}

// snapshot returns whichever of the store's and the record's snapshot bytes
// carries the serial in force.
func (k *Keeper) snapshot(fromStore, fromFile []byte) []byte {
	for _, b := range [][]byte{fromFile, fromStore} {
		if r, _, err := wire.ParseRevocation(b); err == nil && r.Serial == k.serial && k.serial > 0 {
			return b
		}
	}
	return nil
}

// revAfterLoss: the snapshot in force was issued after the revocation list
// was lost, which ends the loss.
func (k *Keeper) revAfterLoss(lost time.Time) bool {
	return k.serial > 0 && issuedAfter(k.revIssued, lost)
}

// issuedAfter: an issue time (Unix seconds) after the loss. The second of
// the loss itself does not count: a revocation issued in it may be lost.
func issuedAfter(issued int64, lost time.Time) bool { return issued > lost.Unix() }

func (k *Keeper) loadPINRecord() ([]pinEntry, error) {
	b, err := k.sec.Load(recPINs)
	if errors.Is(err, secstate.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parsePINs(b)
}

func pinEntryEqual(a, b pinEntry) bool {
	return bytes.Equal(a.key, b.key) && bytes.Equal(a.val, b.val)
}

// dropRevokedGrants forgets, in memory, imported grants the revocation set
// names (the store's copies go with the next import's purge or stay
// harmless: every decision checks the revoked sets first).
func (k *Keeper) dropRevokedGrants() {
	for _, g := range k.grants {
		_, a := k.revGrants[g.id]
		_, b := k.revKeys[g.holder]
		if a || b {
			k.removeGrant(g)
		}
	}
}

// warn records a problem a person must act on, for the status.
func (k *Keeper) warn(msg string) {
	k.log.Error("localauth: " + msg)
	k.warnings = append(k.warnings, msg)
}

// revLostRefuses is the rule while the revocation list is lost: only owner
// grants, and grants issued after the loss, open anything. A revocation
// that was issued before the loss and is now unknown cannot name a grant
// issued after it; an owner is let in so that the people who run the house
// are never locked out of it (docs/security.md).
func revLostRefuses(lost time.Time, role wire.Role, issued int64) bool {
	if lost.IsZero() || role == wire.RoleOwner {
		return false
	}
	return !issuedAfter(issued, lost)
}
