package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Retention bounds the event log, which is the hub's local history as well
// as the cloud's queue: `edgeagent events` and the web app read it whether
// or not the cloud has the events too. Zero fields get the defaults.
//
// An event leaves the history when it is older than its class's age, or,
// oldest first and audit last, while the log is over MaxBytes. When Hold is
// set (a cloud link takes events from this log), an event the cloud has not
// acknowledged (seq above Delivered) is never removed by retention: the
// outbox's class bounds shed telemetry and state (recorded), and audit is
// never dropped, so only an unacknowledged audit backlog can hold the log
// above MaxBytes (the outbox raises its alarm long before).
type Retention struct {
	MaxAge      time.Duration // telemetry and state; default 30 days
	AuditMaxAge time.Duration // audit; default 365 days, never shorter than MaxAge
	MaxBytes    int64         // the records' bytes (keys and values); default 64 MiB
	Hold        bool          // keep what the cloud has not acknowledged
	// Every is how often the age is checked (Run); the size bound is
	// checked as soon as an append crosses it. Default 10 minutes.
	Every time.Duration
}

// Retention defaults.
const (
	DefaultMaxAge      = 30 * 24 * time.Hour
	DefaultAuditMaxAge = 365 * 24 * time.Hour
	DefaultMaxBytes    = 64 << 20
	DefaultPruneEvery  = 10 * time.Minute
)

func (r Retention) withDefaults() Retention {
	if r.MaxAge <= 0 {
		r.MaxAge = DefaultMaxAge
	}
	if r.AuditMaxAge <= 0 {
		r.AuditMaxAge = DefaultAuditMaxAge
	}
	r.AuditMaxAge = max(r.AuditMaxAge, r.MaxAge)
	if r.MaxBytes <= 0 {
		r.MaxBytes = DefaultMaxBytes
	}
	if r.Every <= 0 {
		r.Every = DefaultPruneEvery
	}
	return r
}

// logKey holds the log's size in meta: count then bytes, 8 bytes each,
// updated in the transaction that changes the log, so that neither the
// size bound nor the status page ever reads the whole log.
var (
	logKey       = []byte("log")
	deliveredKey = []byte("delivered") // the cloud acknowledged every event up to this seq
)

// logSize is the log's length as kept in meta.
type logSize struct{ count, bytes int64 }

func getLogSize(tx *Tx) logSize {
	b := tx.Bucket(metaBucket).Get(logKey)
	if len(b) != 16 {
		return logSize{}
	}
	return logSize{int64(binary.BigEndian.Uint64(b)), int64(binary.BigEndian.Uint64(b[8:]))}
}

func putLogSize(tx *Tx, n logSize) error {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(max(n.count, 0)))
	b = binary.BigEndian.AppendUint64(b, uint64(max(n.bytes, 0)))
	return tx.Bucket(metaBucket).Put(logKey, b)
}

// recordBytes is what one record counts for the size bound.
func recordBytes(v []byte) int64 { return int64(8 + len(v)) }

// initLogSize measures the log once for a file written before its size was
// kept (one walk over the keys, nothing decoded).
func initLogSize(tx *Tx) error {
	if len(tx.Bucket(metaBucket).Get(logKey)) == 16 {
		return nil
	}
	var n logSize
	c := tx.Bucket(eventsBucket).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n.count++
		n.bytes += recordBytes(v)
	}
	return putLogSize(tx, n)
}

// Delivered is the seq up to which the cloud has acknowledged every event
// (0: none), inside tx.
func (s *Store) Delivered(tx *Tx) uint64 {
	b := tx.Bucket(metaBucket).Get(deliveredKey)
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// SetDelivered records, inside tx, that the cloud has acknowledged every
// event up to seq. It only moves forward: the outbox calls it as PUBACKs
// arrive, and a late or repeated call changes nothing.
func (s *Store) SetDelivered(tx *Tx, seq uint64) error {
	if seq <= s.Delivered(tx) {
		return nil
	}
	return tx.Bucket(metaBucket).Put(deliveredKey, u64key(seq))
}

// Pruned is what one Prune removed.
type Pruned struct {
	Events  map[Class]int `json:"events,omitempty"`
	Bytes   int64         `json:"bytes"`
	Corrupt int           `json:"corrupt,omitempty"` // undecodable records removed (counted in Bytes)
	// Held is set when the log is still over its size bound because what
	// is left is held for the cloud.
	Held bool `json:"held,omitempty"`
}

func (p *Pruned) add(q Pruned) {
	for c, n := range q.Events {
		if p.Events == nil {
			p.Events = map[Class]int{}
		}
		p.Events[c] += n
	}
	p.Bytes += q.Bytes
	p.Corrupt += q.Corrupt
	p.Held = q.Held
}

func (p Pruned) total() int {
	n := p.Corrupt
	for _, c := range p.Events {
		n += c
	}
	return n
}

// errNothingToPrune rolls back a prune transaction that deleted nothing.
var errNothingToPrune = errors.New("store: nothing to prune")

// pruneBatch bounds the deletes of one transaction, so that a prune never
// holds up a decision's commit for long (it may share its group).
const pruneBatch = 1024

// Prune applies the retention now: old events, then the size bound down to
// nine tenths of MaxBytes (so that it does not run again at every append).
// It is what Run calls; tests call it with a fake clock.
func (s *Store) Prune() (Pruned, error) {
	now := s.now()
	var total Pruned
	for range 1 << 16 { // bounded: far past any log the size bound allows
		var p Pruned
		err := s.Update(func(tx *Tx) error {
			p = Pruned{}
			return s.pruneBatch(tx, now, &p)
		})
		if errors.Is(err, errNothingToPrune) {
			// Rolled back: a prune that finds nothing costs no commit (an
			// SD card wears by writes, and this runs every 10 minutes).
			total.Held = p.Held
			break
		}
		if err != nil {
			return total, fmt.Errorf("store: pruning the event log: %w", err)
		}
		total.add(p)
		if p.total() < pruneBatch {
			break
		}
	}
	if n := total.total(); n > 0 {
		s.log.Info("store: pruned the event log", "events", total.Events, "corrupt", total.Corrupt, "bytes", total.Bytes, "held", total.Held)
	}
	if total.Held {
		s.logHeld()
	}
	return total, nil
}

func (s *Store) logHeld() {
	s.mu.Lock()
	quiet := s.now().Sub(s.heldLog) < time.Hour
	if !quiet {
		s.heldLog = s.now()
	}
	s.mu.Unlock()
	if !quiet {
		s.log.Warn("store: the event log is over its size bound with events the cloud has not acknowledged; keeping them",
			"max_bytes", s.ret.MaxBytes)
	}
}

// pruneBatch removes up to pruneBatch events inside tx: first a walk from
// the oldest that drops what is past its age and, while the log is over its
// bound, any non-audit event; then, if that was not enough, the oldest audit
// events. Events above the held seq are never touched.
func (s *Store) pruneBatch(tx *Tx, now time.Time, p *Pruned) error {
	size := getLogSize(tx)
	held := ^uint64(0)
	if s.ret.Hold {
		held = s.Delivered(tx)
	}
	var need int64
	if size.bytes > s.ret.MaxBytes {
		need = size.bytes - s.ret.MaxBytes*9/10
	}
	ageCut, auditCut := now.Add(-s.ret.MaxAge), now.Add(-s.ret.AuditMaxAge)
	b := tx.Bucket(eventsBucket)
	var drop [][]byte
	take := func(k, v []byte, class Class) {
		drop = append(drop, k)
		need -= recordBytes(v)
		p.Bytes += recordBytes(v)
		if class == "" {
			p.Corrupt++
			return
		}
		if p.Events == nil {
			p.Events = map[Class]int{}
		}
		p.Events[class]++
	}
	c := b.Cursor()
	taken := map[uint64]bool{}
	full := func() bool { return len(drop) == pruneBatch }
	// Pass 1, oldest first: what is past its age, and any non-audit event
	// while the bound is not met. It stops at the first non-audit event
	// that is young with the bound met: what follows is younger still.
	for k, v := c.First(); k != nil && !full(); k, v = c.Next() {
		seq, err := seqOf(k)
		if err != nil || seq > held {
			break
		}
		ev, err := decodeEvent(seq, v)
		if err != nil {
			taken[seq] = true
			take(k, v, "") // damage: nobody can read it, history or cloud
			continue
		}
		if ev.Class == ClassAudit {
			if ev.Time.Before(auditCut) {
				taken[seq] = true
				take(k, v, ev.Class)
			}
			continue
		}
		if !ev.Time.Before(ageCut) && need <= 0 {
			break
		}
		taken[seq] = true
		take(k, v, ev.Class)
	}
	// Pass 2, when the bound is still not met: only audit is left below the
	// held seq, and the oldest go too.
	for k, v := c.First(); k != nil && need > 0 && !full(); k, v = c.Next() {
		seq, err := seqOf(k)
		if err != nil || seq > held {
			break
		}
		if !taken[seq] {
			take(k, v, ClassAudit)
		}
	}
	p.Held = s.ret.Hold && need > 0 && !full()
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	if len(drop) == 0 {
		return errNothingToPrune
	}
	return putLogSize(tx, logSize{size.count - int64(len(drop)), size.bytes - p.Bytes})
}

// Run applies the retention and checkpoints the write-ahead log every
// Retention.Every, as soon as an append takes the event log over its size
// bound, and as soon as the write-ahead log is long, until ctx ends. beat, when not nil, is
// called on every turn (the watchdog's liveness: a store stuck in a commit
// stops it).
func (s *Store) Run(ctx context.Context, beat func()) error {
	t := time.NewTicker(s.ret.Every)
	defer t.Stop()
	for {
		if beat != nil {
			beat()
		}
		if _, err := s.Prune(); err != nil {
			s.log.Error("store: pruning the event log", "err", err)
		}
		// Also bounds how long the log's writes wait to reach the file (and
		// so the replay at the next Open) when they come too slowly to fill
		// the log: at one door action a second, 600 actions per checkpoint.
		if err := s.Checkpoint(); err != nil && !errors.Is(err, ErrClosed) {
			s.log.Error("store: checkpoint", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.overBound:
		case <-s.checkpointDue:
		}
	}
}

// History is the event log's size for the status page.
type History struct {
	Events    int64     `json:"events"`
	Bytes     int64     `json:"bytes"`
	MaxBytes  int64     `json:"max_bytes"`
	MaxAge    string    `json:"max_age"`
	AuditAge  string    `json:"audit_max_age"`
	Oldest    time.Time `json:"oldest,omitzero"`
	Delivered uint64    `json:"delivered,omitempty"` // the cloud acknowledged every event up to this seq
}

// History reports the log's length, bytes and oldest event, reading two
// keys and one record.
func (s *Store) History() (History, error) {
	var h History
	err := s.View(func(tx *Tx) error { h = s.historyIn(tx); return nil })
	return h, err
}

func (s *Store) historyIn(tx *Tx) History {
	h := History{MaxBytes: s.ret.MaxBytes, MaxAge: s.ret.MaxAge.String(), AuditAge: s.ret.AuditMaxAge.String()}
	n := getLogSize(tx)
	h.Events, h.Bytes, h.Delivered = n.count, n.bytes, s.Delivered(tx)
	if k, v := tx.Bucket(eventsBucket).Cursor().First(); k != nil {
		if seq, err := seqOf(k); err == nil {
			if ev, err := decodeEvent(seq, v); err == nil {
				h.Oldest = ev.Time
			}
		}
	}
	return h
}
