package localauth

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Audit entry kinds.
const (
	KindDecision = "decision"
	KindImport   = "import"
	KindPIN      = "pin"
)

// Event types this package appends to the store's event log (class audit),
// for the cloud.
const (
	EventDecision = "auth_decision"
	EventImport   = "auth_import"
	EventPIN      = "auth_pin"
)

// record appends e to the audit log and its event to the store's event log,
// together with whatever extra writes, in ONE store transaction, and
// returns once it is durable. This is what lets a caller move an actuator
// only after the decision is recorded: a crash before the commit leaves
// neither the action nor its record; a crash after leaves both. The new
// head then goes to the security state, off this path (see auditState).
//
// The Update function may run more than once (group commit reruns a group
// when another caller's function fails), so everything it computes comes
// from tx, never from state it changed on an earlier run.
func (k *Keeper) record(e *wire.AuditEntry, evType string, extra func(tx *store.Tx) error) (uint64, error) {
	e.Boot = k.st.Boot()
	var head auditHead
	err := k.st.Update(func(tx *store.Tx) error {
		if extra != nil {
			if err := extra(tx); err != nil {
				return err
			}
		}
		var err error
		if head, err = k.appendAudit(tx, e); err != nil {
			return err
		}
		return k.st.AppendEvent(tx, &store.Event{
			Class:  store.ClassAudit,
			Device: e.Device,
			Type:   evType,
			Data:   eventData(e, head.Hash),
		})
	})
	if err != nil {
		return 0, fmt.Errorf("localauth: recording %s (%s): %w", e.Kind, e.Reason, err)
	}
	k.audit.raise(head)
	return e.Seq, nil
}

// eventData is the cloud's copy of an audit entry. It carries the entry's
// hash, so the cloud holds a witness of the chain that the hub's disk
// cannot rewrite.
func eventData(e *wire.AuditEntry, hash [wire.HashSize]byte) map[string]any {
	d := map[string]any{
		"kind":       e.Kind,
		"ok":         e.OK,
		"reason":     e.Reason,
		"time_ms":    e.Time,
		"audit_seq":  e.Seq,
		"audit_hash": hex.EncodeToString(hash[:]),
	}
	add := func(k, v string) {
		if v != "" {
			d[k] = v
		}
	}
	if e.Grant != nil {
		add("grant", hex.EncodeToString(e.Grant))
	}
	if e.Key != nil {
		add("key", hex.EncodeToString(e.Key))
	}
	add("action", e.Action)
	add("user", e.User)
	add("detail", e.Detail)
	add("role", e.Role)
	add("name", e.Subject)
	add("transport", e.Transport)
	if e.Serial != 0 {
		d["serial"] = e.Serial
	}
	return d
}

// appendAudit chains e to the last entry and writes it, and returns the
// new head. Each stored value is SHA-256(entry) ‖ entry: the stored hash
// lets VerifyAudit name the entry whose bytes changed, and the next entry's
// Prev names the change even if someone also rewrote the stored hash.
//
// The seq is one above the highest of the store's head and the highest
// head this run knows (recorded in this run, or read from the security
// state at start): an entry deleted from the store never has its seq
// reused, and the next entry then chains to the deleted one's hash, so the
// gap shows in the chain (VerifyAudit names it).
func (k *Keeper) appendAudit(tx *store.Tx, e *wire.AuditEntry) (auditHead, error) {
	b := tx.Bucket(bucketAudit)
	anchor, _ := parseAnchor(tx.Bucket(bucketMeta).Get(keyAuditAnchor))
	head := auditHead{Seq: anchor.Seq, Hash: anchor.Hash}
	if key, v := b.Cursor().Last(); key != nil {
		// A damaged head is chained to as it is (hashOf): VerifyAudit reports
		// the damage, and recording must not stop because of it.
		head.Seq = binary.BigEndian.Uint64(pad8(key))
		copy(head.Hash[:], hashOf(v))
	}
	if floor := k.audit.floor(); floor.Seq > head.Seq {
		head.Seq, head.Hash = floor.Seq, floor.Hash
	}
	e.Seq, e.Prev = head.Seq+1, bytes.Clone(head.Hash[:])
	body, hash, err := wire.EncodeAuditEntry(e)
	if err != nil {
		return auditHead{}, err
	}
	if err := b.Put(u64(e.Seq), append(hash[:], body...)); err != nil {
		return auditHead{}, err
	}
	if pruned, ok, err := k.pruneAudit(tx, e.Seq); err != nil {
		return auditHead{}, err
	} else if ok {
		anchor = pruned
	}
	return auditHead{Seq: e.Seq, Hash: hash, Anchor: anchor}, nil
}

// pruneAudit bounds the log: beyond MaxAuditEntries, the oldest 1% are
// deleted in one go (so pruning is rare), and the seq and hash of the last
// deleted entry are kept as the chain's anchor, so that the kept part still
// verifies from a known starting point.
//
// With a cloud link (Options.CloudSync), only entries whose events the
// cloud has acknowledged are deleted: the cloud then holds them, and the
// log may grow past the bound while it is unreachable (the event log holds
// those events anyway). Without one, the bound alone decides, and the
// anchor says so: VerifyAudit shows such a prune apart from an
// acknowledged one.
func (k *Keeper) pruneAudit(tx *store.Tx, last uint64) (auditAnchor, bool, error) {
	b := tx.Bucket(bucketAudit)
	first, _ := b.Cursor().First()
	if first == nil {
		return auditAnchor{}, false, nil
	}
	firstSeq := binary.BigEndian.Uint64(pad8(first))
	max := uint64(k.opts.MaxAuditEntries)
	count := last - firstSeq + 1
	if count <= max {
		return auditAnchor{}, false, nil
	}
	drop := count - max + max/100
	basis := anchorLocalBound
	if k.opts.CloudSync {
		basis = anchorCloudAck
		acked, err := k.ackedAuditSeq(tx, last)
		if err != nil {
			// Not knowing what the cloud holds, keep everything.
			k.log.Warn("localauth: not pruning the audit log: the event log is unreadable", "err", err)
			return auditAnchor{}, false, nil
		}
		if acked < firstSeq {
			return auditAnchor{}, false, nil
		}
		drop = min(drop, acked-firstSeq+1)
	}
	var keys [][]byte
	anchor := auditAnchor{Basis: basis}
	c := b.Cursor()
	for key, v := c.First(); key != nil && uint64(len(keys)) < drop; key, v = c.Next() {
		keys = append(keys, bytes.Clone(key))
		anchor.Seq = binary.BigEndian.Uint64(pad8(key))
		copy(anchor.Hash[:], hashOf(v))
	}
	for _, key := range keys {
		if err := b.Delete(key); err != nil {
			return auditAnchor{}, false, err
		}
	}
	return anchor, true, tx.Bucket(bucketMeta).Put(keyAuditAnchor, anchor.encode())
}

// ackedAuditSeq is the highest audit seq below which the cloud has
// acknowledged every entry's event: one below the audit seq of the oldest
// audit event after the store's delivered cursor (audit events are never
// shed, and the cursor passes only acknowledged events), or last-1 when none
// is queued (last's own event is appended after it, in the same
// transaction). Events are queued in audit seq order, so the scan stops at
// the first.
//
// While the cloud is unreachable every decision past the bound would scan
// the same unacknowledged part of the log (up to the telemetry and state
// bounds' worth of events) for nothing: while the cursor is where the last
// scan started, the last answer stands (too low at worst: newer entries
// only come after it).
func (k *Keeper) ackedAuditSeq(tx *store.Tx, last uint64) (uint64, error) {
	cursor := k.st.Delivered(tx)
	k.audit.mu.Lock()
	memo := k.audit.ackMemo
	k.audit.mu.Unlock()
	if memo.valid && memo.cursor == cursor {
		return min(memo.acked, last-1), nil
	}
	acked := last - 1
	err := k.st.ForEachEvent(tx, cursor, func(ev store.Event) bool {
		if seq, _, ok := auditEventRef(ev); ok {
			acked = min(acked, seq-1)
			return false
		}
		return true
	})
	if err == nil {
		k.audit.mu.Lock()
		k.audit.ackMemo = ackMemo{valid: true, cursor: cursor, acked: acked}
		k.audit.mu.Unlock()
	}
	return acked, err
}

// auditEventRef is the audit seq and entry hash an event of this package
// carries (eventData), if it is one.
func auditEventRef(ev store.Event) (uint64, [wire.HashSize]byte, bool) {
	var hash [wire.HashSize]byte
	if ev.Class != store.ClassAudit || (ev.Type != EventDecision && ev.Type != EventImport && ev.Type != EventPIN) {
		return 0, hash, false
	}
	seq, ok := ev.Data["audit_seq"].(uint64)
	h, _ := ev.Data["audit_hash"].(string)
	raw, err := hex.DecodeString(h)
	if !ok || seq == 0 || err != nil || len(raw) != wire.HashSize {
		return 0, hash, false
	}
	copy(hash[:], raw)
	return seq, hash, true
}

// hashOf is the stored hash of an audit value, or the hash of a damaged one.
func hashOf(v []byte) []byte {
	if len(v) >= wire.HashSize {
		return bytes.Clone(v[:wire.HashSize])
	}
	sum := sha256.Sum256(v)
	return sum[:]
}

// pad8 makes any key 8 bytes, so that a damaged key cannot panic a reader.
func pad8(key []byte) []byte {
	if len(key) == 8 {
		return key
	}
	out := make([]byte, 8)
	copy(out[max(0, 8-len(key)):], key)
	return out
}

// AuditReport is what VerifyAudit found.
type AuditReport struct {
	Entries  int    `json:"entries"`   // entries checked (all, when the chain is whole)
	FirstSeq uint64 `json:"first_seq"` // the oldest kept entry
	LastSeq  uint64 `json:"last_seq"`
	Pruned   uint64 `json:"pruned"` // entries before FirstSeq, pruned (the anchor stands for them)
	// PrunedBasis says why they are gone: "cloud_acknowledged" (the
	// cloud had their events), "local_bound" (no cloud link: only
	// MaxAuditEntries decided, and no copy exists elsewhere),
	// "store_recovered" (lost with a store file that was moved aside), or
	// "legacy" (pruned by an agent that did not record why).
	PrunedBasis string `json:"pruned_basis,omitempty"`
	Head        string `json:"head"` // hash of the newest entry, hex: compare with the cloud's copy
	// Security is the head recorded in the security state (nil: none was
	// given or none is recorded yet). SecurityLag is how many entries the
	// store holds beyond it: the head is written after the commit, so a
	// crash can leave it a little behind; it is never ahead.
	Security    *AuditHead `json:"security,omitempty"`
	SecurityLag uint64     `json:"security_lag,omitempty"`
	// Events is how many audit events still queued in the event log were
	// matched with their entries by seq and hash.
	Events int              `json:"events"`
	Notes  []string         `json:"notes,omitempty"`
	Break  *AuditBreakError `json:"break,omitempty"`
}

// VerifyAudit walks the audit log of st from its anchor and reports the
// first break: an entry whose bytes no longer match its hash, one that does
// not decode, one whose Prev is not the previous entry's hash (that entry
// was changed, replaced or removed), or a gap in the sequence. Then it
// cross-checks what the store file alone cannot prove:
//
//   - the head in the security state dir (nil: not checked): the store's
//     head below it means the newest entries were deleted; an anchor it
//     does not know means entries were pruned outside the agent;
//   - the audit events still queued in the event log: each must match its
//     entry by seq and hash; an event whose entry is gone names the gap;
//     one at or below an anchor that claims the cloud acknowledged it
//     means the anchor was forged.
//
// On a break it returns the report so far and an *AuditBreakError
// (errors.Is ErrAuditBroken). It changes nothing: the agent may be running
// (from another process, use the running agent's Keeper.VerifyAudit), whose
// store writes its log into the file first (a checkpoint, as it does every
// few minutes), or st may be a copy opened with store.OpenReadOnly, which
// is never written.
func VerifyAudit(st *store.Store, dir *secstate.Dir) (AuditReport, error) {
	var rep AuditReport
	var file auditHead
	var haveFile bool
	if dir != nil {
		var err error
		if file, haveFile, err = loadAuditHead(dir); err != nil {
			return rep, fmt.Errorf("localauth: reading the audit head: %w", err)
		}
		if haveFile {
			rep.Security = file.public()
		} else {
			rep.Notes = append(rep.Notes, "no audit head in the security state yet: truncation of the newest entries cannot be checked")
		}
	}
	// Scan, not View: the walk reads every entry, and door actions' commits
	// go on beside it.
	err := st.Scan(func(tx *store.Tx) error {
		b := tx.Bucket(bucketAudit) // nil before the first start: the heads are still compared
		fail := func(index int, seq uint64, format string, args ...any) error {
			rep.Break = &AuditBreakError{Index: index, Seq: seq, Reason: fmt.Sprintf(format, args...)}
			return nil
		}
		var anchor auditAnchor
		if meta := tx.Bucket(bucketMeta); meta != nil {
			var err error
			if anchor, err = parseAnchor(meta.Get(keyAuditAnchor)); err != nil {
				return fail(0, 0, "%v", err)
			}
		}
		if anchor.Seq > 0 {
			rep.Pruned, rep.PrunedBasis = anchor.Seq, anchor.basisName()
		}
		if b != nil {
			if done := walkAudit(b, anchor, &rep, fail); done {
				return nil
			}
		}
		head := max(rep.LastSeq, anchor.Seq)
		if haveFile && verifyAgainstFile(b, anchor, head, file, &rep, fail) {
			return nil
		}
		return verifyAgainstEvents(st, tx, b, anchor, head, &rep, fail)
	})
	if err != nil {
		return rep, fmt.Errorf("localauth: reading the audit log: %w", err)
	}
	if rep.Break != nil {
		return rep, rep.Break
	}
	return rep, nil
}

type failFunc func(index int, seq uint64, format string, args ...any) error

// walkAudit checks the chain from the anchor; true when it broke.
func walkAudit(b *store.Bucket, anchor auditAnchor, rep *AuditReport, fail failFunc) bool {
	expectSeq := anchor.Seq + 1
	prev := anchor.Hash[:]
	i := 0
	c := b.Cursor()
	for key, v := c.First(); key != nil; key, v = c.Next() {
		if len(key) != 8 {
			fail(i, expectSeq, "key %x is not an 8-byte sequence number", key)
			return true
		}
		seq := binary.BigEndian.Uint64(key)
		if seq != expectSeq {
			if seq < expectSeq {
				fail(i, seq, "entry seq %d is at or below the anchor (seq %d)", seq, anchor.Seq)
			} else {
				fail(i, seq, "expected seq %d: %s missing (deleted)", expectSeq, seqRange(expectSeq, seq-1))
			}
			return true
		}
		if len(v) < wire.HashSize {
			fail(i, seq, "the stored value is %d bytes, too short to hold a hash", len(v))
			return true
		}
		body := v[wire.HashSize:]
		if sum := sha256.Sum256(body); !bytes.Equal(sum[:], v[:wire.HashSize]) {
			fail(i, seq, "the entry's bytes do not match its hash: the entry was changed")
			return true
		}
		e, err := wire.DecodeAuditEntry(body)
		if err != nil {
			fail(i, seq, "the entry does not decode: %v", err)
			return true
		}
		if e.Seq != seq {
			fail(i, seq, "the entry says seq %d but is stored as %d", e.Seq, seq)
			return true
		}
		if !bytes.Equal(e.Prev, prev) {
			if i == 0 {
				fail(i, seq, "it does not chain to the anchor: the log's start was changed")
			} else {
				fail(i, seq, "it does not chain to entry seq %d: that entry was changed or replaced", seq-1)
			}
			return true
		}
		if i == 0 {
			rep.FirstSeq = seq
		}
		rep.LastSeq, rep.Entries = seq, i+1
		prev = v[:wire.HashSize]
		rep.Head = hex.EncodeToString(prev)
		expectSeq = seq + 1
		i++
	}
	return false
}

// verifyAgainstFile compares the store with the head kept in the security
// state; true when it found a break.
func verifyAgainstFile(b *store.Bucket, anchor auditAnchor, head uint64, file auditHead, rep *AuditReport, fail failFunc) bool {
	if head < file.Seq {
		fail(rep.Entries, head+1, "the audit log ends at seq %d but the security state recorded seq %d as its head: %s deleted",
			head, file.Seq, seqRange(head+1, file.Seq))
		return true
	}
	rep.SecurityLag = head - file.Seq
	if file.Seq > anchor.Seq && b != nil {
		v := b.Get(u64(file.Seq))
		if v == nil || !bytes.Equal(hashOf(v), file.Hash[:]) {
			fail(rep.Entries, file.Seq, "entry seq %d is not the one the security state recorded as the head (hash %x): it was replaced", file.Seq, file.Hash)
			return true
		}
	}
	switch {
	case anchor.Seq < file.Anchor.Seq:
		fail(0, anchor.Seq, "the store's anchor (seq %d) is older than the one the security state recorded (seq %d)", anchor.Seq, file.Anchor.Seq)
		return true
	case anchor.Seq == file.Anchor.Seq && anchor.Hash != file.Anchor.Hash:
		fail(0, anchor.Seq, "the store's anchor (seq %d) is not the one the security state recorded", anchor.Seq)
		return true
	case anchor.Seq > file.Anchor.Seq && anchor.Basis == anchorRecovered:
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s were lost with a store file that was recovered (moved aside; see the store_recovered event): the log restarts after them",
			seqRange(file.Anchor.Seq+1, anchor.Seq)))
	case anchor.Seq > file.Anchor.Seq && rep.SecurityLag == 0:
		fail(0, anchor.Seq, "%s were removed and anchored outside the agent: the security state, written after every entry, recorded no prune past seq %d",
			seqRange(file.Anchor.Seq+1, anchor.Seq), file.Anchor.Seq)
		return true
	case anchor.Seq > file.Anchor.Seq:
		rep.Notes = append(rep.Notes, fmt.Sprintf("the prune up to seq %d is newer than the security state (it lags by %d entries): not confirmed", anchor.Seq, rep.SecurityLag))
	}
	return false
}

// verifyAgainstEvents matches the audit events still in the event log
// (local history, and the cloud's queue after the delivered cursor) with
// their entries, recording the first break in rep.
func verifyAgainstEvents(st *store.Store, tx *store.Tx, b *store.Bucket, anchor auditAnchor, head uint64, rep *AuditReport, fail failFunc) error {
	var broke, legacyNoted bool
	delivered := st.Delivered(tx)
	err := st.ForEachEvent(tx, 0, func(ev store.Event) bool {
		seq, hash, ok := auditEventRef(ev)
		if !ok {
			return true
		}
		switch {
		case seq <= anchor.Seq && ev.Seq <= delivered:
			// Acknowledged by the cloud and kept as history: the entry
			// itself may be pruned.
		case seq <= anchor.Seq && anchor.Basis == anchorLegacy:
			// An older agent pruned by the bound alone, cloud link or not:
			// its events may well still be queued.
			if !legacyNoted {
				legacyNoted = true
				rep.Notes = append(rep.Notes, fmt.Sprintf("event %d (audit seq %d) is still queued though an older agent pruned up to seq %d without recording why: the prune cannot be confirmed", ev.Seq, seq, anchor.Seq))
			}
		case seq <= anchor.Seq && (anchor.Basis == anchorCloudAck || anchor.Basis == anchorRecovered):
			fail(0, seq, "the anchor says entries up to seq %d were pruned (%s), but event %d (audit seq %d) is still queued: the cloud never acknowledged it, so the anchor was forged",
				anchor.Seq, anchor.basisName(), ev.Seq, seq)
			broke = true
		case seq <= anchor.Seq:
			// Pruned by the local bound with no cloud to take its event.
		case seq > head:
			fail(rep.Entries, seq, "event %d carries audit seq %d but the audit log ends at seq %d: %s deleted", ev.Seq, seq, head, seqRange(head+1, seq))
			broke = true
		default:
			var v []byte
			if b != nil {
				v = b.Get(u64(seq))
			}
			if v == nil {
				fail(0, seq, "event %d carries audit seq %d, which is missing from the audit log (deleted)", ev.Seq, seq)
				broke = true
			} else if !bytes.Equal(hashOf(v), hash[:]) {
				fail(0, seq, "entry seq %d does not match the hash its event %d carries: it was replaced", seq, ev.Seq)
				broke = true
			}
		}
		rep.Events++
		return !broke
	})
	if err != nil {
		return fmt.Errorf("cross-checking the event log: %w", err)
	}
	return nil
}

func seqRange(from, to uint64) string {
	if from == to {
		return fmt.Sprintf("entry %d", from)
	}
	return fmt.Sprintf("entries %d..%d", from, to)
}

// VerifyAudit checks the audit log of the keeper's store against its
// security state (see the function VerifyAudit), for the admin socket of a
// running agent. The head it has not written yet is written first, so a
// running agent never reports its own lag.
func (k *Keeper) VerifyAudit() (AuditReport, error) {
	if err := k.audit.flush(); err != nil {
		k.log.Warn("localauth: writing the audit head before verifying", "err", err)
	}
	return VerifyAudit(k.st, k.opts.SecState)
}

// AuditEntries returns up to limit entries with Seq > after, oldest first,
// for `edgeagent audit` listings and tests. It does not verify the chain.
func (k *Keeper) AuditEntries(after uint64, limit int) ([]wire.AuditEntry, error) {
	var out []wire.AuditEntry
	err := k.st.View(func(tx *store.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for key, v := c.Seek(u64(after + 1)); key != nil; key, v = c.Next() {
			if limit > 0 && len(out) >= limit {
				break
			}
			if len(v) < wire.HashSize {
				return fmt.Errorf("audit entry %x: %w", key, errBadRecord)
			}
			e, err := wire.DecodeAuditEntry(v[wire.HashSize:])
			if err != nil {
				return err
			}
			out = append(out, *e)
		}
		return nil
	})
	return out, err
}
