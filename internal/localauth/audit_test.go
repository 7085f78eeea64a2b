package localauth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// auditHarness has a hub with 5 audit entries (decisions).
func auditHarness(t *testing.T) *harness {
	h := newHarness(t)
	alice := h.key(wire.Ed25519)
	g := h.issue(h.spec(alice))
	for i := 0; i < 5; i++ {
		h.try([][]byte{g}, alice, "front-door", "unlock")
	}
	rep, err := VerifyAudit(h.st, h.options().SecState)
	if err != nil || rep.Entries != 5 || rep.FirstSeq != 1 || rep.LastSeq != 5 || rep.Head == "" {
		t.Fatalf("before tampering: %+v, %v", rep, err)
	}
	return h
}

// tamper changes the stored value of audit entry seq directly in the bbolt
// file, with the agent stopped, as someone holding the SD card could.
func (h *harness) tamper(seq uint64, change func(v []byte) []byte) {
	h.t.Helper()
	h.skipAuditCheck = true
	h.close()
	db, err := bbolt.Open(h.path, 0o600, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		v := append([]byte(nil), b.Get(u64(seq))...)
		return b.Put(u64(seq), change(v))
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.start()
}

func TestAuditTamperFound(t *testing.T) {
	cases := []struct {
		name    string
		change  func(v []byte) []byte
		seq     uint64 // the entry reported
		index   int
		because string
	}{
		{"one byte of the entry", func(v []byte) []byte {
			v[len(v)-3] ^= 0x01
			return v
		}, 3, 2, "do not match its hash"},
		{"the entry and its stored hash rewritten", func(v []byte) []byte {
			e, err := wire.DecodeAuditEntry(v[wire.HashSize:])
			if err != nil {
				t.Fatal(err)
			}
			e.OK, e.Reason = false, "revoked" // a granted entry made to look denied
			body, hash, err := wire.EncodeAuditEntry(e)
			if err != nil {
				t.Fatal(err)
			}
			return append(hash[:], body...)
		}, 4, 3, "does not chain to entry seq 3"},
		{"the stored hash", func(v []byte) []byte {
			v[0] ^= 0xff
			return v
		}, 3, 2, "do not match its hash"},
		{"truncated", func(v []byte) []byte { return v[:10] }, 3, 2, "too short"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := auditHarness(t)
			h.tamper(3, c.change)
			rep, err := VerifyAudit(h.st, h.options().SecState)
			var brk *AuditBreakError
			if !errors.As(err, &brk) || !errors.Is(err, ErrAuditBroken) {
				t.Fatalf("VerifyAudit = %+v, %v; want an *AuditBreakError", rep, err)
			}
			if brk.Seq != c.seq || brk.Index != c.index || !strings.Contains(brk.Reason, c.because) {
				t.Errorf("break at seq %d index %d (%s), want seq %d index %d (%q)", brk.Seq, brk.Index, brk.Reason, c.seq, c.index, c.because)
			}
			if rep.Entries != c.index {
				t.Errorf("report counts %d good entries, want %d", rep.Entries, c.index)
			}
			// The hub keeps recording after finding damage.
			if _, err := h.k.Import([]byte("x")); err == nil {
				t.Error("garbage import accepted")
			}
		})
	}
}

func TestAuditEntryDeleted(t *testing.T) {
	h := auditHarness(t)
	h.skipAuditCheck = true
	h.close()
	db, err := bbolt.Open(h.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketAudit).Delete(u64(2)) })
	db.Close()
	h.start()
	_, err = h.k.VerifyAudit()
	var brk *AuditBreakError
	if !errors.As(err, &brk) || brk.Seq != 3 || !strings.Contains(brk.Reason, "missing") {
		t.Errorf("VerifyAudit = %v, want entry 2 reported missing at seq 3", err)
	}
}

func TestAuditPruned(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxAuditEntries = 100 })
	for i := 0; i < 250; i++ {
		h.k.Import([]byte{byte(i)}) // refused and audited
	}
	rep, err := VerifyAudit(h.st, h.options().SecState)
	if err != nil {
		t.Fatal(err)
	}
	if rep.LastSeq != 250 || rep.Entries > 100 || rep.Entries < 99 || rep.Pruned != rep.FirstSeq-1 {
		t.Errorf("after 250 entries with a limit of 100: %+v", rep)
	}
	// The anchor protects the start of what is kept.
	h.tamper(rep.FirstSeq, func(v []byte) []byte {
		e, _ := wire.DecodeAuditEntry(v[wire.HashSize:])
		e.Prev = make([]byte, wire.HashSize) // pretend it is the first entry ever
		body, hash, _ := wire.EncodeAuditEntry(e)
		return append(hash[:], body...)
	})
	_, err = VerifyAudit(h.st, h.options().SecState)
	var brk *AuditBreakError
	if !errors.As(err, &brk) || brk.Seq != rep.FirstSeq || brk.Index != 0 {
		t.Errorf("rewritten first kept entry: %v", err)
	}
}

func TestAuditHashInEvent(t *testing.T) {
	h := newHarness(t)
	h.k.Import([]byte("x"))
	ev := h.lastEvent()
	es, _ := h.k.AuditEntries(0, 0)
	body, _, _ := wire.EncodeAuditEntry(&es[0])
	sum := sha256.Sum256(body)
	if ev.Data["audit_hash"] != hex.EncodeToString(sum[:]) {
		t.Errorf("event hash %v, entry hash %x", ev.Data["audit_hash"], sum)
	}
}
