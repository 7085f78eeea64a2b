// Package outbox owns the hub's queue of events for the cloud: which events
// of the store's log are still to be sent, and the envelope they travel in.
//
// The queue is the store's event log itself (which the store keeps as local
// history, see store.Retention): every state change appends its event in
// the same transaction, so there is no second copy to keep in step. The
// outbox keeps an acknowledged-sequence cursor in the store (every event up
// to it has its PUBACK; store.Delivered) and its class bounds, which shed
// events that were never sent:
//
//   - telemetry: beyond its limit, the oldest telemetry events are dropped;
//   - state: beyond its limit, a state event is dropped when a newer one of
//     the same device and type is queued (the latest per device is kept);
//   - audit: never dropped. At the limit an alarm event is recorded and
//     Stats reports it; local control goes on.
//
// A shed event leaves the log (store.DeleteEvents), and Stats counts it; an
// acknowledged one stays in the history until the store's retention takes
// it, which it never does to an event above the cursor.
//
// The outbox never holds the backlog in memory: it keeps counters per class
// and reads the log a window at a time. The counters live in the bucket
// "sync_outbox" (the meta record) so that a restart does not have to read a
// million queued events to know how many there are. Shedding is made crash
// safe by writing the counters and the list of seqs about to go before
// calling store.DeleteEvents; Open deletes that list again (deleting is
// idempotent), so a crash between the two writes changes nothing.
package outbox

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/hlc"
	"github.com/edgeagent/edgeagent/internal/store"
)

// Limits are the per-class bounds on queued events.
type Limits struct {
	Audit     int // alarm threshold; audit events are never dropped. Default 500 000.
	State     int // beyond it, superseded state events are dropped. Default 10 000.
	Telemetry int // beyond it, the oldest telemetry is dropped. Default 50 000.
}

// Default limits.
const (
	DefaultAuditLimit     = 500_000
	DefaultStateLimit     = 10_000
	DefaultTelemetryLimit = 50_000
)

// Options configure Open.
type Options struct {
	Store  *store.Store // required
	Limits Limits       // zero fields get the defaults
	Clock  clock.Clock  // default clock.Real{}
	Log    *slog.Logger // default: silent
}

// Event types the outbox records (class audit).
const (
	EventAlarmRaised  = "alarm_raised"  // data: alarm "outbox_full", class, pending, limit
	EventAlarmCleared = "alarm_cleared" // data: alarm "outbox_full", class, pending, limit
	AlarmOutboxFull   = "outbox_full"
)

var (
	metaBucket = []byte("sync_outbox")
	metaKey    = []byte("meta")
)

// meta is the persisted part of the outbox.
type meta struct {
	Indexed   uint64         `cbor:"1,keyasint"`           // every event with seq <= Indexed is counted
	Counts    map[string]int `cbor:"2,keyasint"`           // class -> queued events
	Deleting  []uint64       `cbor:"3,keyasint,omitempty"` // seqs whose delete may not have happened yet
	HLC       uint64         `cbor:"4,keyasint,omitempty"` // read only: an older agent's saved clock (see LegacyHLC)
	AuditFull bool           `cbor:"5,keyasint,omitempty"` // the audit alarm is raised
	Acked     []uint64       `cbor:"6,keyasint,omitempty"` // acknowledged out of order, above the cursor
}

// Ref names a queued event for Ack.
type Ref struct {
	Seq   uint64
	Class store.Class
}

// Outbox is the queue. Its methods are safe for concurrent use.
type Outbox struct {
	st     *store.Store
	limits Limits
	clk    clock.Clock
	log    *slog.Logger

	// mu is held by every operation that writes (Refresh, Ack, Flush), for
	// its whole length, I/O included, so that each reads and writes the
	// meta record consistently. Readers on the drain's path (Next, Stats)
	// never take it: a removal's fsync must not stall publishing.
	mu      sync.Mutex
	m       meta
	dirty   bool                   // m changed since it was last written
	dropped map[store.Class]uint64 // shed by the bounds since Open
	lastLog map[string]time.Time   // rate limit of repeated log lines
	teleLow uint64                 // no telemetry event is queued at or below this seq

	// acked holds the seqs acknowledged out of order, above the cursor
	// (at most a window's worth): the cursor moves over them once every
	// event before them is acked. Saved with the counters (m.Acked).
	acked map[uint64]bool

	indexed   atomic.Uint64 // m.Indexed, for Next
	delivered atomic.Uint64 // the store's cursor, for Next and Stats
	snapMu    sync.Mutex
	snap      Stats // for Stats, without Oldest
}

// scanPage is how many events one read of the log decodes.
const scanPage = 512

// Open loads the outbox's state from the store, finishing a removal that a
// crash interrupted. Call Refresh to count events appended since.
func Open(opts Options) (*Outbox, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("%w: no store", ErrBadOptions)
	}
	l := &opts.Limits
	if l.Audit < 0 || l.State < 0 || l.Telemetry < 0 {
		return nil, fmt.Errorf("%w: negative limit %+v", ErrBadOptions, *l)
	}
	if l.Audit == 0 {
		l.Audit = DefaultAuditLimit
	}
	if l.State == 0 {
		l.State = DefaultStateLimit
	}
	if l.Telemetry == 0 {
		l.Telemetry = DefaultTelemetryLimit
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	o := &Outbox{st: opts.Store, limits: *l, clk: opts.Clock, log: opts.Log,
		dropped: map[store.Class]uint64{}, lastLog: map[string]time.Time{}, acked: map[uint64]bool{}}
	var raw []byte
	var delivered uint64
	err := o.st.Update(func(tx *store.Tx) error {
		b, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		raw = append([]byte(nil), b.Get(metaKey)...)
		delivered = o.st.Delivered(tx)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: opening: %w", err)
	}
	last, err := o.st.LastSeq()
	if err != nil {
		return nil, fmt.Errorf("outbox: opening: %w", err)
	}
	if len(raw) > 0 {
		if err := cbor.Unmarshal(raw, &o.m); err != nil || o.m.Indexed > last || o.m.Indexed < delivered {
			// Counters that do not fit the log (damaged, or a log that was
			// replaced): count again from the cursor. Slow once, never wrong.
			o.log.Warn("outbox: saved counters do not fit the event log; counting again", "err", err, "indexed", o.m.Indexed, "last_seq", last, "delivered", delivered)
			o.m = meta{HLC: o.m.HLC}
		}
	}
	o.m.Indexed = max(o.m.Indexed, delivered)
	o.delivered.Store(delivered)
	for _, seq := range o.m.Acked {
		if seq > delivered {
			o.acked[seq] = true
		}
	}
	if o.m.Counts == nil {
		o.m.Counts = map[string]int{}
	}
	if len(o.m.Deleting) > 0 {
		if err := o.st.DeleteEvents(o.m.Deleting...); err != nil {
			return nil, fmt.Errorf("outbox: finishing an interrupted delete: %w", err)
		}
	}
	o.publish()
	return o, nil
}

// publish makes the state visible to Next and Stats; o.mu is held.
func (o *Outbox) publish() {
	o.indexed.Store(o.m.Indexed)
	s := Stats{Pending: map[store.Class]int{}, Dropped: map[store.Class]uint64{}, AuditFull: o.m.AuditFull, Limits: o.limits}
	for k, v := range o.m.Counts {
		if v > 0 {
			s.Pending[store.Class(k)] = v
			s.Total += v
		}
	}
	for k, v := range o.dropped {
		s.Dropped[k] = v
	}
	o.snapMu.Lock()
	o.snap = s
	o.snapMu.Unlock()
}

// Refresh counts the events appended since the last call and applies the
// per-class bounds. It reports whether new events were found.
func (o *Outbox) Refresh() (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	defer o.publish()
	found := false
	// A reading not yet durable is not queued: its seq could go to another
	// event after a power cut, and the cloud drops duplicates by seq.
	durable := o.st.DurableSeq()
	for range 1 << 20 { // bounded: a page per turn, a million pages is far past any log
		if o.m.Indexed >= durable {
			break
		}
		evs, err := o.st.Events(o.m.Indexed, scanPage)
		var ce *store.CorruptEventError
		if errors.As(err, &ce) {
			// An undecodable record would stall the queue forever: drop it,
			// and say so once in a while.
			o.logLimited("corrupt", "outbox: dropping an undecodable event", "seq", ce.Seq, "err", ce.Err)
			if err := o.st.DeleteEvents(ce.Seq); err != nil {
				return found, err
			}
			continue
		}
		if err != nil {
			return found, fmt.Errorf("outbox: reading the event log: %w", err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Seq > durable {
				break
			}
			o.m.Counts[string(ev.Class)]++
			o.m.Indexed = ev.Seq
			n++
		}
		if n > 0 {
			found, o.dirty = true, true
		}
		if n < scanPage {
			break
		}
	}
	if !found {
		return false, nil
	}
	return true, o.enforce()
}

// enforce applies the bounds; o.mu is held.
func (o *Outbox) enforce() error {
	if over := o.m.Counts[string(store.ClassTelemetry)] - o.limits.Telemetry; over > 0 {
		if err := o.dropTelemetry(over); err != nil {
			return err
		}
	}
	if o.m.Counts[string(store.ClassState)] > o.limits.State {
		if err := o.coalesceState(); err != nil {
			return err
		}
	}
	audit := o.m.Counts[string(store.ClassAudit)]
	switch {
	case !o.m.AuditFull && audit >= o.limits.Audit:
		o.log.Error("outbox: audit events reached their limit; still queueing them (audit is never dropped), local control goes on",
			"pending", audit, "limit", o.limits.Audit)
		return o.setAuditFull(true, EventAlarmRaised, audit)
	case o.m.AuditFull && audit < o.limits.Audit*9/10:
		o.log.Info("outbox: audit backlog back under its limit", "pending", audit, "limit", o.limits.Audit)
		return o.setAuditFull(false, EventAlarmCleared, audit)
	}
	return nil
}

// setAuditFull records the alarm (or its end) and the flag in one
// transaction. The alarm event is itself an audit event, counted at the
// next Refresh.
func (o *Outbox) setAuditFull(full bool, typ string, pending int) error {
	m := o.m
	m.AuditFull = full
	err := o.st.Update(func(tx *store.Tx) error {
		if err := o.st.AppendEvent(tx, &store.Event{Class: store.ClassAudit, Type: typ, Data: map[string]any{
			"alarm": AlarmOutboxFull, "class": string(store.ClassAudit), "pending": int64(pending), "limit": int64(o.limits.Audit),
		}}); err != nil {
			return err
		}
		return putMeta(tx, &m)
	})
	if err != nil {
		return fmt.Errorf("outbox: recording the audit alarm: %w", err)
	}
	o.m.AuditFull, o.dirty = full, false
	return nil
}

// dropTelemetry removes the n oldest telemetry events.
func (o *Outbox) dropTelemetry(n int) error {
	var refs []Ref
	after := max(o.teleLow, o.delivered.Load())
	for len(refs) < n {
		evs, err := o.st.Events(after, scanPage)
		if err != nil {
			return fmt.Errorf("outbox: reading the event log: %w", err)
		}
		for _, ev := range evs {
			if ev.Seq > o.m.Indexed {
				evs = nil
				break
			}
			after = ev.Seq
			if ev.Class == store.ClassTelemetry && len(refs) < n {
				refs = append(refs, Ref{ev.Seq, ev.Class})
			}
		}
		if len(evs) < scanPage {
			break
		}
	}
	if len(refs) == 0 {
		return nil
	}
	if err := o.remove(refs); err != nil {
		return err
	}
	o.teleLow = refs[len(refs)-1].Seq
	o.dropped[store.ClassTelemetry] += uint64(len(refs))
	o.logLimited("telemetry", "outbox: telemetry over its limit; dropped the oldest",
		"dropped", len(refs), "limit", o.limits.Telemetry, "dropped_since_start", o.dropped[store.ClassTelemetry])
	return nil
}

// coalesceState removes every queued state event that has a newer one of
// the same device and type: two reads of the log, holding only the latest
// seq of each (device, type) in memory.
func (o *Outbox) coalesceState() error {
	type key struct{ device, typ string }
	latest := map[key]uint64{}
	if err := o.scan(func(ev store.Event) error {
		if ev.Class == store.ClassState {
			latest[key{ev.Device, ev.Type}] = ev.Seq
		}
		return nil
	}); err != nil {
		return err
	}
	var refs []Ref
	if err := o.scan(func(ev store.Event) error {
		if ev.Class == store.ClassState && latest[key{ev.Device, ev.Type}] != ev.Seq {
			refs = append(refs, Ref{ev.Seq, ev.Class})
		}
		return nil
	}); err != nil {
		return err
	}
	if len(refs) > 0 {
		if err := o.remove(refs); err != nil {
			return err
		}
		o.dropped[store.ClassState] += uint64(len(refs))
	}
	o.logLimited("state", "outbox: state events over their limit; kept only the latest per device and type",
		"dropped", len(refs), "pending", o.m.Counts[string(store.ClassState)], "limit", o.limits.State)
	return nil
}

// scan calls fn for every queued, counted event in seq order.
func (o *Outbox) scan(fn func(store.Event) error) error {
	after := o.delivered.Load()
	for {
		evs, err := o.st.Events(after, scanPage)
		if err != nil {
			return fmt.Errorf("outbox: reading the event log: %w", err)
		}
		for _, ev := range evs {
			if ev.Seq > o.m.Indexed {
				return nil
			}
			if err := fn(ev); err != nil {
				return err
			}
			after = ev.Seq
		}
		if len(evs) < scanPage {
			return nil
		}
	}
}

// Next returns up to n queued events with seq > after, in seq order, among
// those Refresh has counted and the cloud has not acknowledged.
func (o *Outbox) Next(after uint64, n int) ([]store.Event, error) {
	return o.AppendNext(nil, after, n)
}

// AppendNext is Next appending to dst: a drain that reuses its slice reads
// a window without allocating one.
func (o *Outbox) AppendNext(dst []store.Event, after uint64, n int) ([]store.Event, error) {
	after = max(after, o.delivered.Load())
	indexed := o.indexed.Load()
	if after >= indexed || n <= 0 {
		return dst, nil
	}
	n0 := len(dst)
	err := o.st.View(func(tx *store.Tx) error {
		return o.st.ForEachEvent(tx, after, func(ev store.Event) bool {
			if ev.Seq > indexed {
				return false
			}
			dst = append(dst, ev)
			return len(dst) < n0+n
		})
	})
	if err != nil {
		return dst[:n0], fmt.Errorf("outbox: reading the event log: %w", err)
	}
	return dst, nil
}

// Ack records events the broker has acknowledged: they stop counting as
// queued, and the cursor moves over every event acknowledged in a row.
// Acking an event twice, or one a bound has shed meanwhile, is harmless.
func (o *Outbox) Ack(refs []Ref) error {
	if !slices.IsSortedFunc(refs, byRefSeq) {
		refs = slices.SortedFunc(slices.Values(refs), byRefSeq)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	defer o.publish()
	var m meta
	var acked map[uint64]bool
	var cursor uint64
	err := o.st.Update(func(tx *store.Tx) error {
		// Update may rerun fn (group commit): start from o's state each time.
		m = o.m
		m.Counts = maps.Clone(o.m.Counts)
		acked = maps.Clone(o.acked)
		cursor = o.st.Delivered(tx)
		// One walk over the log's seqs above the cursor (read, nothing
		// decoded) up to the last ref: it finds which refs are still in the
		// log (a bound may have shed one; it was uncounted then) without a
		// lookup per ref, and moves the cursor over the acknowledged run,
		// stopping at the first event still awaited.
		i, moving := 0, true
		err := o.st.ForEachSeq(tx, cursor, func(seq uint64) bool {
			for i < len(refs) && refs[i].Seq < seq {
				i++ // not in the log
			}
			if seq > m.Indexed || (i == len(refs) && !moving) {
				return false
			}
			if i < len(refs) && refs[i].Seq == seq {
				if !acked[seq] {
					acked[seq] = true
					m.Counts[string(refs[i].Class)] = max(0, m.Counts[string(refs[i].Class)]-1)
				}
				i++
			}
			if moving && acked[seq] {
				delete(acked, seq)
				cursor = seq
			} else {
				moving = false
			}
			return true
		})
		if err != nil {
			return err
		}
		if err := o.st.SetDelivered(tx, cursor); err != nil {
			return err
		}
		m.Acked = slices.Sorted(maps.Keys(acked))
		return putMeta(tx, &m)
	})
	if err != nil {
		return fmt.Errorf("outbox: recording acknowledged events: %w", err)
	}
	o.m, o.acked, o.dirty = m, acked, false
	o.delivered.Store(cursor)
	return nil
}

func byRefSeq(a, b Ref) int { return cmp.Compare(a.Seq, b.Seq) }

// remove writes the counters without refs and the list of refs about to go,
// then deletes them; o.mu is held. Refs must be counted (seq <= Indexed) so
// that each is subtracted once: a ref already gone is detected by reading
// it first.
func (o *Outbox) remove(refs []Ref) error {
	m := o.m
	m.Counts = make(map[string]int, len(o.m.Counts))
	for k, v := range o.m.Counts {
		m.Counts[k] = v
	}
	m.Deleting = make([]uint64, 0, len(refs))
	err := o.st.Update(func(tx *store.Tx) error {
		// Update may rerun fn (group commit): start from o.m each time.
		for k, v := range o.m.Counts {
			m.Counts[k] = v
		}
		m.Deleting = m.Deleting[:0]
		for _, r := range refs {
			if r.Seq > o.m.Indexed || r.Seq <= o.st.Delivered(tx) || o.acked[r.Seq] || !o.st.HasEvent(tx, r.Seq) {
				continue
			}
			m.Deleting = append(m.Deleting, r.Seq)
			m.Counts[string(r.Class)] = max(0, m.Counts[string(r.Class)]-1)
		}
		return putMeta(tx, &m)
	})
	if err != nil {
		return fmt.Errorf("outbox: recording a removal: %w", err)
	}
	o.m, o.dirty = m, false
	if len(m.Deleting) == 0 {
		return nil
	}
	if err := o.st.DeleteEvents(m.Deleting...); err != nil {
		// The counters already say they are gone; Open deletes them again.
		return fmt.Errorf("outbox: deleting acknowledged events: %w", err)
	}
	return nil
}

func putMeta(tx *store.Tx, m *meta) error {
	b, err := cbor.Marshal(m)
	if err != nil {
		return err
	}
	bk, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return err
	}
	return bk.Put(metaKey, b)
}

// LegacyHLC is the clock an older agent saved in the meta record, before
// events carried their own: fed once to the store's clock after an upgrade.
func (o *Outbox) LegacyHLC() hlc.Timestamp {
	o.mu.Lock()
	defer o.mu.Unlock()
	return hlc.Timestamp(o.m.HLC)
}

// Flush writes the counters if they changed since the last
// write, so that a restart counts fewer events again. Cheap when clean.
func (o *Outbox) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.dirty {
		return nil
	}
	// Deleting stays: deleting those seqs again at Open is harmless, and
	// they may not be gone if the last delete failed.
	m := o.m
	if err := o.st.Update(func(tx *store.Tx) error { return putMeta(tx, &m) }); err != nil {
		return fmt.Errorf("outbox: saving counters: %w", err)
	}
	o.dirty = false
	return nil
}

// Stats is the queue's state for the status page.
type Stats struct {
	Pending   map[store.Class]int    `json:"pending"`
	Total     int                    `json:"total"`
	Oldest    time.Time              `json:"oldest,omitzero"` // when the oldest queued event was recorded
	Dropped   map[store.Class]uint64 `json:"dropped,omitempty"`
	AuditFull bool                   `json:"audit_full,omitempty"`
	Limits    Limits                 `json:"limits"`
}

// Stats reports the counters and reads the oldest queued event's time.
func (o *Outbox) Stats() Stats {
	o.snapMu.Lock()
	s := o.snap
	s.Pending, s.Dropped = maps.Clone(s.Pending), maps.Clone(s.Dropped)
	o.snapMu.Unlock()
	if s.Total > 0 {
		if evs, err := o.st.Events(o.delivered.Load(), 1); err == nil && len(evs) == 1 {
			s.Oldest = evs[0].Time
		}
	}
	return s
}

// logEvery rate-limits repeated log lines: an SD card should not fill with
// the same line every second.
const logEvery = time.Minute

func (o *Outbox) logLimited(key, msg string, args ...any) {
	now := o.clk.Now()
	if t, ok := o.lastLog[key]; ok && now.Sub(t) < logEvery {
		return
	}
	o.lastLog[key] = now
	o.log.Warn(msg, args...)
}
