package localauth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// secHarness is a hub whose keeper keeps the audit head in a security
// state directory beside the store, as the agent does, with n audit
// entries (refused imports, each audited).
func secHarness(t *testing.T, n int, mods ...func(*Options)) (*harness, *secstate.Dir) {
	t.Helper()
	dir, err := secstate.Open(filepath.Join(t.TempDir(), "security"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, append([]func(*Options){func(o *Options) { o.SecState = dir }}, mods...)...)
	for i := range n {
		h.k.Import([]byte{byte(i)})
	}
	return h, dir
}

// editStore stops the hub and changes the bbolt file directly, as someone
// holding the SD card could; the hub stays stopped.
func editStore(h *harness, edit func(tx *bbolt.Tx) error) {
	h.t.Helper()
	h.skipAuditCheck = true
	h.close()
	db, err := bbolt.Open(h.path, 0o600, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := db.Update(edit); err != nil {
		h.t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		h.t.Fatal(err)
	}
}

func wantBreak(t *testing.T, err error, seq uint64, words ...string) {
	t.Helper()
	var brk *AuditBreakError
	if !errors.As(err, &brk) {
		t.Fatalf("VerifyAudit = %v; want a break at seq %d", err, seq)
	}
	if brk.Seq != seq {
		t.Errorf("break at seq %d (%s); want seq %d", brk.Seq, brk.Reason, seq)
	}
	for _, w := range words {
		if !strings.Contains(brk.Reason, w) {
			t.Errorf("break reason %q does not say %q", brk.Reason, w)
		}
	}
}

// The attack of issue 9 item 5: delete the newest audit entry from the
// store file. verify used to pass, and the next decision reused its seq.
func TestAuditDeletingTheNewestEntryIsFoundAndItsSeqNeverReused(t *testing.T) {
	for _, c := range []struct {
		name   string
		sec    bool   // the hub keeps the head in the security state
		events bool   // the entry's event is still queued in the event log
		words  string // what the break says
	}{
		// The head outside the store shows it, even after the cloud took
		// every event.
		{"security state", true, false, "security state recorded seq 10"},
		// With no security state, the queued event still shows it.
		{"event log", false, true, "event"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h *harness
			var dir *secstate.Dir
			if c.sec {
				h, dir = secHarness(t, 10)
			} else {
				h = newHarness(t)
				for i := range 10 {
					h.k.Import([]byte{byte(i)})
				}
			}
			if !c.events {
				h.cloudAcks(10, true)
			}
			editStore(h, func(tx *bbolt.Tx) error { return tx.Bucket(bucketAudit).Delete(u64(10)) })
			h.start()
			_, err := VerifyAudit(h.st, dir)
			wantBreak(t, err, 10, "entry 10", "deleted", c.words)
			if c.sec {
				if s := h.k.Status().Audit; !strings.Contains(s.Truncated, "10..10") && !strings.Contains(s.Truncated, "entries 10") {
					t.Errorf("status does not say the log was truncated: %+v", s)
				}
			}

			// The keeper always keeps the head outside the store (SecState
			// is required), so even when verify is given the store file
			// alone, the seq is not reused and the gap shows.
			res, _ := h.k.Import([]byte("after"))
			_, err = VerifyAudit(h.st, dir)
			if res.AuditSeq != 11 {
				t.Fatalf("the next decision got audit seq %d; want 11 (seq 10 is never reused)", res.AuditSeq)
			}
			wantBreak(t, err, 11, "entry 10 missing")
		})
	}
}

// The attack of issue 9 item 5: delete the oldest 6 entries and write the
// anchor that would make the rest verify. verify used to pass it as "6
// pruned". Whatever basis the forged anchor claims, the queued events or
// the security state give it away.
func TestAuditForgedAnchorFails(t *testing.T) {
	for _, c := range []struct {
		name  string
		basis []byte // appended to seq ‖ hash; nil: the legacy 40-byte form
	}{
		{"legacy anchor", nil},
		{"claims a cloud acknowledgement", []byte{anchorCloudAck}},
		{"claims the local bound", []byte{anchorLocalBound}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, dir := secHarness(t, 10)
			forgeAnchor(h, 6, c.basis)
			st := h.st0()
			// The head outside the store recorded no prune.
			_, err := VerifyAudit(st, dir)
			wantBreak(t, err, 6, "entries 1..6", "outside the agent")
			// Without it (a copy of the store file alone), the queued events
			// give away an anchor that claims the cloud took them; a
			// local-bound prune keeps its events (no cloud takes them), so
			// it shows only as a local-bound prune, apart from the others.
			rep, err := VerifyAudit(st, nil)
			switch {
			case c.basis != nil && c.basis[0] == anchorCloudAck:
				wantBreak(t, err, 1, "still queued", "forged")
			case c.basis != nil:
				if err != nil || rep.PrunedBasis != "local_bound" {
					t.Fatalf("local-bound anchor without the security state: %+v, %v", rep, err)
				}
			default:
				// An older agent pruned with events queued: not provable
				// either way from the file alone, and said so.
				if err != nil || rep.PrunedBasis != "legacy" || len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], "cannot be confirmed") {
					t.Fatalf("legacy anchor without the security state: %+v, %v", rep, err)
				}
			}
		})
	}
}

// forgeAnchor deletes entries 1..n and writes the anchor that chains the
// rest, as the attacker of item 5 did.
func forgeAnchor(h *harness, n uint64, basis []byte) {
	h.t.Helper()
	editStore(h, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		anchor := binary.BigEndian.AppendUint64(nil, n)
		anchor = append(anchor, b.Get(u64(n))[:wire.HashSize]...)
		anchor = append(anchor, basis...)
		for seq := uint64(1); seq <= n; seq++ {
			if err := b.Delete(u64(seq)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyAuditAnchor, anchor)
	})
}

// st0 opens the stopped hub's store file read-only, as `audit verify
// --file` does.
func (h *harness) st0() *store.Store {
	h.t.Helper()
	st, err := store.OpenReadOnly(h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { st.Close() })
	return st
}

// cloudAcks moves the store's delivered cursor over the audit events of
// entries up to seq, as the outbox does when the cloud's broker
// acknowledges them; with forget, the events also leave the log, as the
// store's retention takes acknowledged history.
func (h *harness) cloudAcks(seq uint64, forget bool) {
	h.t.Helper()
	evs, err := h.st.Events(0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var acked []uint64
	for _, ev := range evs {
		if s, _, ok := auditEventRef(ev); ok && s <= seq {
			acked = append(acked, ev.Seq)
		}
	}
	if len(acked) == 0 {
		h.t.Fatalf("no audit event up to entry %d in the log", seq)
	}
	if err := h.st.Update(func(tx *store.Tx) error { return h.st.SetDelivered(tx, acked[len(acked)-1]) }); err != nil {
		h.t.Fatal(err)
	}
	if forget {
		if err := h.st.DeleteEvents(acked...); err != nil {
			h.t.Fatal(err)
		}
	}
}

// With a cloud link, entries are pruned only once the cloud acknowledged
// their events: while it is unreachable the log grows past the bound.
func TestAuditPruneWaitsForTheCloud(t *testing.T) {
	h, dir := secHarness(t, 250, func(o *Options) { o.MaxAuditEntries = 100; o.CloudSync = true })
	rep, err := VerifyAudit(h.st, dir)
	if err != nil || rep.Pruned != 0 || rep.Entries != 250 {
		t.Fatalf("nothing acknowledged: %+v, %v; want all 250 kept", rep, err)
	}
	h.cloudAcks(120, false)
	h.k.Import([]byte("one more")) // prunes
	if err := h.k.audit.flush(); err != nil {
		t.Fatal(err)
	}
	rep, err = VerifyAudit(h.st, dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pruned == 0 || rep.Pruned > 120 || rep.PrunedBasis != "cloud_acknowledged" {
		t.Fatalf("after the cloud acknowledged 1..120: %+v; want a prune within 1..120, cloud_acknowledged", rep)
	}
}

// Without a cloud link the bound alone prunes, and the report says so.
func TestAuditPruneWithoutACloudSaysSo(t *testing.T) {
	h, dir := secHarness(t, 250, func(o *Options) { o.MaxAuditEntries = 100 })
	if err := h.k.audit.flush(); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyAudit(h.st, dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pruned == 0 || rep.PrunedBasis != "local_bound" || rep.Security == nil || rep.Security.AnchorSeq != rep.Pruned {
		t.Fatalf("after 250 entries with a bound of 100 and no cloud: %+v", rep)
	}
}

// A lag of the head outside the store (a crash between the commit and its
// write) is reported as such, not as a break.
func TestAuditHeadLagIsNotABreak(t *testing.T) {
	h, dir := secHarness(t, 3)
	if err := h.k.audit.flush(); err != nil {
		t.Fatal(err)
	}
	at3, err := dir.Load(auditHeadRecord)
	if err != nil {
		t.Fatal(err)
	}
	h.k.Import([]byte("x"))
	h.k.Import([]byte("y"))
	h.close()
	// The state a kill -9 leaves when it lands before the writer ran.
	if err := dir.Save(auditHeadRecord, at3); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyAudit(h.st0(), dir)
	if err != nil || rep.SecurityLag != 2 || rep.Security.Seq != 3 {
		t.Fatalf("lagging head: %+v, %v; want a lag of 2 and no break", rep, err)
	}
}

// A store file recovered empty (a power cut): the log restarts after the
// head kept outside it, anchored as lost with the file, not reported as
// deleted forever, and no seq comes back.
func TestAuditAfterAStoreRecovery(t *testing.T) {
	h, dir := secHarness(t, 5)
	h.close()
	if err := os.Truncate(h.path, 0); err != nil {
		t.Fatal(err)
	}
	h.start()
	if !h.st.Health().Recovered {
		t.Fatal("the store was not recovered")
	}
	res, _ := h.k.Import([]byte("after"))
	if res.AuditSeq != 6 {
		t.Fatalf("first decision after the recovery has audit seq %d; want 6", res.AuditSeq)
	}
	rep, err := VerifyAudit(h.st, dir)
	if err != nil || rep.PrunedBasis != "store_recovered" || rep.Pruned != 5 || rep.FirstSeq != 6 {
		t.Fatalf("after a recovery: %+v, %v", rep, err)
	}
}

// BenchmarkAuditRecord is the cost of one audited decision (a refused
// import: one store commit) with the head kept outside the store and
// without: the head's write is off the decision's path, coalesced.
func BenchmarkAuditRecord(b *testing.B) {
	for _, sec := range []bool{false, true} {
		b.Run(fmt.Sprintf("secstate=%v", sec), func(b *testing.B) {
			var mods []func(*Options)
			if sec {
				dir, err := secstate.Open(filepath.Join(b.TempDir(), "security"))
				if err != nil {
					b.Fatal(err)
				}
				mods = append(mods, func(o *Options) { o.SecState = dir })
			}
			h := newHarness(b, mods...)
			b.ResetTimer()
			for i := range b.N {
				if res, _ := h.k.Import([]byte{byte(i)}); res.AuditSeq == 0 {
					b.Fatal("not audited")
				}
			}
		})
	}
}
