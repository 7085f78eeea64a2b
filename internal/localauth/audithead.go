package localauth

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// auditHeadRecord is the secstate record of the audit chain's head.
const auditHeadRecord = "audit_head"

// Anchor bases: why the entries up to the anchor were pruned.
const (
	anchorLegacy     byte = 0   // written before the basis was recorded
	anchorCloudAck   byte = 'c' // the cloud had acknowledged their events
	anchorLocalBound byte = 'l' // no cloud link: MaxAuditEntries alone
	anchorRecovered  byte = 'r' // lost with a store file that was recovered (moved aside)
)

// auditAnchor is the seq and hash of the last pruned entry, and why it was
// pruned. Stored as seq ‖ hash ‖ basis (41 bytes); 40 bytes without the
// basis is a legacy anchor (basis 0, also in the 41-byte form of a head).
type auditAnchor struct {
	Seq   uint64
	Hash  [wire.HashSize]byte
	Basis byte
}

const anchorSize = 8 + wire.HashSize + 1

func (a auditAnchor) encode() []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, anchorSize), a.Seq)
	b = append(b, a.Hash[:]...)
	return append(b, a.Basis)
}

// parseAnchor reads a stored anchor; nil is "no anchor" (nothing pruned).
func parseAnchor(b []byte) (auditAnchor, error) {
	var a auditAnchor
	switch {
	case b == nil:
		return a, nil
	case len(b) == anchorSize-1:
	case len(b) == anchorSize && (b[anchorSize-1] == anchorLegacy || b[anchorSize-1] == anchorCloudAck ||
		b[anchorSize-1] == anchorLocalBound || b[anchorSize-1] == anchorRecovered):
		a.Basis = b[anchorSize-1]
	default:
		return a, fmt.Errorf("the anchor of the pruned prefix is damaged (%d bytes: %x)", len(b), b)
	}
	a.Seq = binary.BigEndian.Uint64(b[:8])
	copy(a.Hash[:], b[8:8+wire.HashSize])
	return a, nil
}

func (a auditAnchor) basisName() string {
	switch a.Basis {
	case anchorCloudAck:
		return "cloud_acknowledged"
	case anchorLocalBound:
		return "local_bound"
	case anchorRecovered:
		return "store_recovered"
	}
	return "legacy"
}

// auditHead is the chain's newest entry and its anchor, as the security
// state keeps it: seq ‖ hash ‖ anchor (8 + 32 + 41 bytes).
type auditHead struct {
	Seq    uint64
	Hash   [wire.HashSize]byte
	Anchor auditAnchor
}

const headSize = 8 + wire.HashSize + anchorSize

func (h auditHead) encode() []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, headSize), h.Seq)
	b = append(b, h.Hash[:]...)
	return append(b, h.Anchor.encode()...)
}

func parseHead(b []byte) (auditHead, error) {
	var h auditHead
	if len(b) != headSize {
		return h, fmt.Errorf("the audit head record is %d bytes, want %d", len(b), headSize)
	}
	a, err := parseAnchor(b[8+wire.HashSize:])
	if err != nil {
		return h, fmt.Errorf("the audit head record's anchor: %w", err)
	}
	h.Seq, h.Anchor = binary.BigEndian.Uint64(b[:8]), a
	copy(h.Hash[:], b[8:8+wire.HashSize])
	return h, nil
}

// AuditHead is the head as the security state records it, for reports.
type AuditHead struct {
	Seq        uint64 `json:"seq"`
	Hash       string `json:"hash"`
	AnchorSeq  uint64 `json:"anchor_seq"`
	AnchorHash string `json:"anchor_hash,omitempty"`
}

func (h auditHead) public() *AuditHead {
	p := &AuditHead{Seq: h.Seq, Hash: hex.EncodeToString(h.Hash[:]), AnchorSeq: h.Anchor.Seq}
	if h.Anchor.Seq > 0 {
		p.AnchorHash = hex.EncodeToString(h.Anchor.Hash[:])
	}
	return p
}

// loadAuditHead reads the head from the security state: ok false when
// there is none yet.
func loadAuditHead(dir *secstate.Dir) (auditHead, bool, error) {
	b, err := dir.Load(auditHeadRecord)
	if errors.Is(err, secstate.ErrNotFound) {
		return auditHead{}, false, nil
	}
	if err != nil {
		return auditHead{}, false, err
	}
	h, err := parseHead(b)
	if err != nil {
		return auditHead{}, false, fmt.Errorf("%s in %s: %w", auditHeadRecord, dir.Path(), err)
	}
	return h, true, nil
}

// auditState owns the copy of the chain's head kept outside the store
// (secstate record "audit_head"), where deleting entries from the store
// file shows: a store head below it is truncation.
//
// The head is written after the audit commit, by a goroutine of its own,
// coalesced, at most once per headEvery: a decision does not wait for more
// fsyncs, and under load one write covers many decisions. So the file's
// head may LAG the store's (by the decisions of up to ten seconds; more if
// the write fails), never lead it. A crash in that window leaves a file head below
// the store head, which VerifyAudit reports as a lag, not a break; entries
// deleted within that window are not seen by this check (the cloud's copy
// and the queued events still show them).
type auditState struct {
	dir *secstate.Dir // nil: no security state (tests, tools)
	log *slog.Logger
	clk clock.Clock

	saveMu sync.Mutex // held across a save, so that saves never overtake each other

	mu      sync.Mutex
	head    auditHead // the highest head of this run: loaded, then raised at every commit
	loaded  auditHead // the file's head at start
	loadErr error     // why the file's head could not be read at start
	written uint64    // head.Seq last saved
	saveErr error     // the last save's failure
	ackMemo ackMemo   // the last answer of ackedAuditSeq

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// ackMemo: with the store's delivered cursor at cursor, the cloud had
// acknowledged audit entries up to acked.
type ackMemo struct {
	valid         bool
	cursor, acked uint64
}

// start loads the head and starts the writer.
func (a *auditState) start(dir *secstate.Dir, clk clock.Clock, log *slog.Logger) {
	a.dir, a.clk, a.log = dir, clk, log
	if dir == nil {
		return
	}
	h, _, err := loadAuditHead(dir)
	if err != nil {
		// The seq floor is unknown: the store's head still stands, and the
		// status says the head could not be read.
		a.loadErr = err
		log.Error("localauth: the audit head in the security state is unreadable; truncation of the audit log cannot be detected until it is written again", "err", err)
	}
	a.head, a.loaded, a.written = h, h, h.Seq
	a.kick, a.stop, a.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go a.run()
}

// anchorAfterRecovery: when the store file was recovered empty this run
// and the security state knows a head, the entries up to it went with the
// old file (moved aside, and in the cloud). Anchoring the new log there,
// marked as such, keeps the chain verifiable from that point instead of
// reporting entries 1..head as deleted forever; the report shows the basis
// apart from a prune.
func (k *Keeper) anchorAfterRecovery() error {
	floor := k.audit.floor()
	if floor.Seq == 0 || !k.st.Health().Recovered {
		return nil
	}
	return k.st.Update(func(tx *store.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if first, _ := tx.Bucket(bucketAudit).Cursor().First(); first != nil || meta.Get(keyAuditAnchor) != nil {
			return nil
		}
		k.log.Warn("localauth: the store was recovered empty; the audit log restarts after the head kept outside it",
			"seq", floor.Seq)
		return meta.Put(keyAuditAnchor, auditAnchor{Seq: floor.Seq, Hash: floor.Hash, Basis: anchorRecovered}.encode())
	})
}

func (a *auditState) floor() auditHead {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.head
}

// raise takes a committed head and wakes the writer.
func (a *auditState) raise(h auditHead) {
	a.mu.Lock()
	if h.Seq > a.head.Seq {
		a.head = h
	}
	a.mu.Unlock()
	if a.kick != nil {
		select {
		case a.kick <- struct{}{}:
		default:
		}
	}
}

// headEvery is the shortest time between two writes of the head: a save
// is two files, each written and flushed (8 KiB at least), and door
// actions at a human pace must not each cost that on an SD card: the
// store's own write per action is about 1–2 KiB. It bounds the lag: at most the decisions of ten seconds,
// which a power cut does not lose (the store's write-ahead log keeps every
// acknowledged entry) but which someone deleting entries from the store
// file could take unseen by this check.
const headEvery = 10 * time.Second

func (a *auditState) run() {
	defer close(a.done)
	for {
		select {
		case <-a.kick:
		case <-a.stop:
			_ = a.flush()
			return
		}
		if err := a.flush(); err != nil {
			a.log.Error("localauth: writing the audit head to the security state", "err", err)
		}
		wait := make(chan struct{})
		t := a.clk.AfterFunc(headEvery, func() { close(wait) })
		select {
		case <-wait:
		case <-a.stop:
			t.Stop()
			_ = a.flush()
			return
		}
	}
}

// flush saves the head if it moved since the last save. Saves go one at a
// time (saveMu), so the file never goes back.
func (a *auditState) flush() error {
	if a.dir == nil {
		return nil
	}
	a.saveMu.Lock()
	defer a.saveMu.Unlock()
	a.mu.Lock()
	h, written := a.head, a.written
	a.mu.Unlock()
	if h.Seq <= written {
		return nil
	}
	err := a.dir.Save(auditHeadRecord, h.encode())
	a.mu.Lock()
	defer a.mu.Unlock()
	a.saveErr = err
	if err == nil {
		a.written = h.Seq
	}
	return err
}

// close stops the writer after a last save.
func (a *auditState) close() {
	if a.stop == nil {
		return
	}
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	<-a.done
}

// AuditStatus is the audit chain's head for the status page.
type AuditStatus struct {
	Head     uint64 `json:"head"`     // the newest entry in the store (the anchor's seq if none is kept)
	Recorded uint64 `json:"recorded"` // the highest head known outside the store: the security state's, or one recorded since
	// Truncated says, in words, that the store's head is below the one
	// recorded: entries were deleted from the store file.
	Truncated string `json:"truncated,omitempty"`
	// Error says why the head outside the store cannot be trusted or kept
	// (unreadable at start, failing to save).
	Error string `json:"error,omitempty"`
}

// AuditStatus compares the store's head with the one recorded outside it.
func (k *Keeper) AuditStatus() AuditStatus {
	var s AuditStatus
	err := k.st.View(func(tx *store.Tx) error {
		a, _ := parseAnchor(tx.Bucket(bucketMeta).Get(keyAuditAnchor))
		s.Head = a.Seq
		if key, _ := tx.Bucket(bucketAudit).Cursor().Last(); key != nil {
			s.Head = binary.BigEndian.Uint64(pad8(key))
		}
		return nil
	})
	k.audit.mu.Lock()
	s.Recorded = k.audit.head.Seq
	switch {
	case err != nil:
		s.Error = err.Error()
	case k.audit.loadErr != nil:
		s.Error = "the audit head outside the store was unreadable at start: " + k.audit.loadErr.Error()
	case k.audit.saveErr != nil:
		s.Error = "the audit head cannot be written outside the store: " + k.audit.saveErr.Error()
	}
	k.audit.mu.Unlock()
	if s.Head < s.Recorded {
		s.Truncated = fmt.Sprintf("audit entries %d..%d were deleted from the store (the head recorded outside it is %d); run edgeagent audit verify", s.Head+1, s.Recorded, s.Recorded)
	}
	return s
}
