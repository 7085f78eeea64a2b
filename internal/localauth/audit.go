package localauth

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"go.etcd.io/bbolt"

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
// neither the action nor its record; a crash after leaves both.
//
// The Update function may run more than once (group commit reruns a group
// when another caller's function fails), so everything it computes comes
// from tx, never from state it changed on an earlier run.
func (k *Keeper) record(e *wire.AuditEntry, evType string, extra func(tx *bbolt.Tx) error) (uint64, error) {
	e.Boot = k.st.Boot()
	err := k.st.Update(func(tx *bbolt.Tx) error {
		if extra != nil {
			if err := extra(tx); err != nil {
				return err
			}
		}
		hash, err := k.appendAudit(tx, e)
		if err != nil {
			return err
		}
		return k.st.AppendEvent(tx, &store.Event{
			Class:  store.ClassAudit,
			Device: e.Device,
			Type:   evType,
			Data:   eventData(e, hash),
		})
	})
	if err != nil {
		return 0, fmt.Errorf("localauth: recording %s (%s): %w", e.Kind, e.Reason, err)
	}
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
	if e.Serial != 0 {
		d["serial"] = e.Serial
	}
	return d
}

// appendAudit chains e to the last entry and writes it. Each stored value is
// SHA-256(entry) ‖ entry: the stored hash lets VerifyAudit name the entry
// whose bytes changed, and the next entry's Prev names the change even if
// someone also rewrote the stored hash.
//
// The log is bounded: beyond MaxAuditEntries, the oldest 1% are deleted in
// one go (so pruning is rare), and the seq and hash of the last deleted
// entry are kept as the chain's anchor, so the kept part still verifies
// from a known starting point. The cloud has every entry (the event log
// never drops audit events), so the hub needs only recent history.
func (k *Keeper) appendAudit(tx *bbolt.Tx, e *wire.AuditEntry) ([wire.HashSize]byte, error) {
	b := tx.Bucket(bucketAudit)
	c := b.Cursor()
	var seq uint64
	prev := make([]byte, wire.HashSize)
	if key, v := c.Last(); key != nil {
		seq = binary.BigEndian.Uint64(pad8(key))
		if len(v) >= wire.HashSize {
			copy(prev, v[:wire.HashSize])
		} else {
			// A damaged head: chain to what is there; VerifyAudit reports
			// the damage, and recording must not stop because of it.
			sum := sha256.Sum256(v)
			copy(prev, sum[:])
		}
	} else if a := tx.Bucket(bucketMeta).Get(keyAuditAnchor); len(a) == 8+wire.HashSize {
		seq = binary.BigEndian.Uint64(a[:8])
		copy(prev, a[8:])
	}
	e.Seq, e.Prev = seq+1, prev
	body, hash, err := wire.EncodeAuditEntry(e)
	if err != nil {
		return hash, err
	}
	if err := b.Put(u64(e.Seq), append(hash[:], body...)); err != nil {
		return hash, err
	}
	return hash, k.pruneAudit(tx, e.Seq)
}

func (k *Keeper) pruneAudit(tx *bbolt.Tx, last uint64) error {
	b := tx.Bucket(bucketAudit)
	first, _ := b.Cursor().First()
	if first == nil {
		return nil
	}
	max := uint64(k.opts.MaxAuditEntries)
	count := last - binary.BigEndian.Uint64(pad8(first)) + 1
	if count <= max {
		return nil
	}
	drop := count - max + max/100
	var keys [][]byte
	var anchor []byte
	c := b.Cursor()
	for key, v := c.First(); key != nil && uint64(len(keys)) < drop; key, v = c.Next() {
		keys = append(keys, bytes.Clone(key))
		anchor = append(bytes.Clone(pad8(key)), hashOf(v)...)
	}
	for _, key := range keys {
		if err := b.Delete(key); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(keyAuditAnchor, anchor)
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
	Entries  int              `json:"entries"`   // entries checked (all, when the chain is whole)
	FirstSeq uint64           `json:"first_seq"` // the oldest kept entry
	LastSeq  uint64           `json:"last_seq"`
	Pruned   uint64           `json:"pruned"` // entries before FirstSeq, pruned (the anchor stands for them)
	Head     string           `json:"head"`   // hash of the newest entry, hex: compare with the cloud's copy
	Break    *AuditBreakError `json:"break,omitempty"`
}

// VerifyAudit walks the audit log of st from its anchor and reports the
// first break: an entry whose bytes no longer match its hash, one that does
// not decode, one whose Prev is not the previous entry's hash (that entry
// was changed, replaced or removed), or a gap in the sequence. On a break it
// returns the report so far and an *AuditBreakError (errors.Is
// ErrAuditBroken). It reads only; the agent may be running (bbolt allows
// readers beside the writer in one process; from another process, use the
// running agent's Keeper.VerifyAudit).
func VerifyAudit(st *store.Store) (AuditReport, error) {
	var rep AuditReport
	err := st.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		if b == nil {
			return nil // no audit log yet
		}
		expectSeq := uint64(1)
		prev := make([]byte, wire.HashSize)
		if a := tx.Bucket(bucketMeta).Get(keyAuditAnchor); a != nil {
			if len(a) != 8+wire.HashSize {
				rep.Break = &AuditBreakError{Reason: "the anchor of the pruned prefix is damaged"}
				return nil
			}
			expectSeq = binary.BigEndian.Uint64(a[:8]) + 1
			copy(prev, a[8:])
			rep.Pruned = expectSeq - 1
		}
		i := 0
		fail := func(seq uint64, format string, args ...any) error {
			rep.Break = &AuditBreakError{Index: i, Seq: seq, Reason: fmt.Sprintf(format, args...)}
			return nil
		}
		c := b.Cursor()
		for key, v := c.First(); key != nil; key, v = c.Next() {
			if len(key) != 8 {
				return fail(expectSeq, "key %x is not an 8-byte sequence number", key)
			}
			seq := binary.BigEndian.Uint64(key)
			if seq != expectSeq {
				return fail(seq, "expected seq %d: entries %d..%d are missing", expectSeq, expectSeq, seq-1)
			}
			if len(v) < wire.HashSize {
				return fail(seq, "the stored value is %d bytes, too short to hold a hash", len(v))
			}
			body := v[wire.HashSize:]
			if sum := sha256.Sum256(body); !bytes.Equal(sum[:], v[:wire.HashSize]) {
				return fail(seq, "the entry's bytes do not match its hash: the entry was changed")
			}
			e, err := wire.DecodeAuditEntry(body)
			if err != nil {
				return fail(seq, "the entry does not decode: %v", err)
			}
			if e.Seq != seq {
				return fail(seq, "the entry says seq %d but is stored as %d", e.Seq, seq)
			}
			if !bytes.Equal(e.Prev, prev) {
				if i == 0 {
					return fail(seq, "it does not chain to the anchor: the log's start was changed")
				}
				return fail(seq, "it does not chain to entry seq %d: that entry was changed or replaced", seq-1)
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
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("localauth: reading the audit log: %w", err)
	}
	if rep.Break != nil {
		return rep, rep.Break
	}
	return rep, nil
}

// VerifyAudit checks the audit log of the keeper's store (see the function
// VerifyAudit), for the admin socket of a running agent.
func (k *Keeper) VerifyAudit() (AuditReport, error) { return VerifyAudit(k.st) }

// AuditEntries returns up to limit entries with Seq > after, oldest first,
// for `edgeagent audit` listings and tests. It does not verify the chain.
func (k *Keeper) AuditEntries(after uint64, limit int) ([]wire.AuditEntry, error) {
	var out []wire.AuditEntry
	err := k.st.View(func(tx *bbolt.Tx) error {
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
