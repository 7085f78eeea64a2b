package devices

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// journalQueue hands changes to the Journal in the order they happened,
// without ever making a device wait on disk: a device appends under its own
// mutex (cheap), and whoever finds no flush in progress writes the queue out
// after releasing it. A stuck disk thus blocks one flushing goroutine, never a
// relay, a relock or a boiler safety stop.
type journalQueue struct {
	h *Hub

	mu       sync.Mutex
	j        Journal // nil until Start: earlier changes are not recorded
	pending  []record
	flushing bool
	errs     map[string]failure   // last Record error per device; removed by a success
	logged   map[string]time.Time // last failure logged per device
	dropped  int                  // records without audit events dropped past maxHeld
	refused  int                  // actions refused because the queue was at maxPending

	// Tickets let Do wait for its own record: queued counts records ever
	// queued, done is the ticket of the last one written (or dropped), and
	// progress is closed (and replaced) whenever done moves.
	queued, done uint64
	progress     chan struct{}

	// kick wakes the flusher, the one goroutine (started by start, ended by
	// stop) that writes for Do: a Record stuck on a dying SD card holds it,
	// never a caller, and an action starts no goroutine of its own.
	kick, stopped chan struct{}
}

type record struct {
	ticket uint64
	device string
	state  []byte
	events []Event
}

type failure struct {
	err    error
	ticket uint64
}

const (
	// maxPending is the backlog at which actions are refused (back-pressure:
	// the action answers ErrJournalBehind and its pin does not move) rather
	// than queued past what a stuck disk can be expected to catch up on.
	// Records the hub makes on its own (a relock, a door contact, a boiler
	// alarm) are still queued: the world moved, and safety moves are never
	// refused.
	maxPending = 1024
	// maxHeld bounds the memory a stuck journal can take: past it the oldest
	// record without an audit event is dropped (and JournalError says so).
	// Audit events are never dropped; only door, alarm and decision events
	// are audit, and they come at a human pace.
	maxHeld = 16 * maxPending
	// logEvery rate-limits failure logs per device so that a broken SD card
	// does not fill the log with the same line.
	logEvery = time.Minute
)

func (q *journalQueue) init(h *Hub) {
	q.h = h
	q.errs = map[string]failure{}
	q.logged = map[string]time.Time{}
	q.progress = make(chan struct{})
	q.kick = make(chan struct{}, 1)
	q.stopped = make(chan struct{})
}

func (q *journalQueue) start(j Journal) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.j = j
	go func() {
		for {
			select {
			case <-q.kick:
				q.flush()
			case <-q.stopped:
				return
			}
		}
	}()
}

// stop ends the flusher (Shutdown flushes on its own, bounded).
func (q *journalQueue) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.j != nil {
		close(q.stopped)
	}
}

// note queues a device's new state and events. It never blocks on disk, so a
// device calls it with its own mutex held, which keeps records in the order
// of the changes.
func (q *journalQueue) note(device string, state []byte, events []Event) {
	if len(events) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.j == nil {
		return
	}
	if len(q.pending) >= maxHeld {
		q.dropOldestNonAudit()
	}
	q.queued++
	q.pending = append(q.pending, record{q.queued, device, state, events})
}

// dropOldestNonAudit drops the oldest pending record that carries no audit
// event; q.mu is held. With only audit records pending it drops nothing.
func (q *journalQueue) dropOldestNonAudit() {
	for i, r := range q.pending {
		if slices.ContainsFunc(r.events, func(e Event) bool { return e.Class == ClassAudit }) {
			continue
		}
		q.pending = slices.Delete(q.pending, i, i+1)
		q.dropped++
		err := fmt.Errorf("journal queue full, %d records without audit events dropped", q.dropped)
		q.errs[r.device] = failure{err, r.ticket}
		q.logFailure("", err)
		return
	}
}

// admit refuses an action while the backlog is at maxPending, so that a
// stuck journal pushes back on callers instead of losing records.
func (q *journalQueue) admit(device, action string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) < maxPending {
		return nil
	}
	// No flush to start: a backlog means one is running (flush never
	// gives up on an error; it records it and goes on).
	q.refused++
	return fmt.Errorf("devices: %q: %s: %w: %d records wait for the disk", device, action, ErrJournalBehind, len(q.pending))
}

// flush records the queued entries in order. It returns at once when
// another goroutine is already flushing: that one will write ours too.
// Callers hold no device mutex.
func (q *journalQueue) flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.flushing || q.j == nil {
		return
	}
	q.flushing = true
	for len(q.pending) > 0 {
		r := q.pending[0]
		q.pending[0] = record{}
		q.pending = q.pending[1:]
		j := q.j
		q.mu.Unlock()
		err := j.Record(r.device, r.state, r.events)
		q.mu.Lock()
		if err != nil {
			q.errs[r.device] = failure{err, r.ticket}
			q.logFailure(r.device, err)
		} else {
			delete(q.errs, r.device)
		}
		q.done = r.ticket
		close(q.progress)
		q.progress = make(chan struct{})
	}
	q.flushing = false
}

// ticket is the number of the last record queued so far.
func (q *journalQueue) ticket() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued
}

// wait flushes and waits, at most bound, until every record queued up to
// now is written; it reports ErrNotRecorded when one of device's records
// after ticket since failed, was dropped, or is still waiting for a stuck
// journal. This is what lets an answered action mean a durable one.
func (q *journalQueue) wait(device string, since uint64, bound time.Duration) error {
	// The flusher writes, so the caller keeps its bound: a Record stuck on
	// a dying SD card holds the flusher, not the caller.
	select {
	case q.kick <- struct{}{}:
	default: // already kicked: that flush writes ours too
	}
	q.mu.Lock()
	target := q.queued
	q.mu.Unlock()
	deadline := time.NewTimer(bound) // real time: a bound on disk I/O
	defer deadline.Stop()
	for {
		q.mu.Lock()
		if q.done >= target || q.j == nil {
			f, failed := q.errs[device]
			q.mu.Unlock()
			if failed && f.ticket > since {
				return fmt.Errorf("%w: %v", ErrNotRecorded, f.err)
			}
			return nil
		}
		ch := q.progress
		q.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("%w: the journal did not answer within %s", ErrNotRecorded, bound)
		}
	}
}

func (q *journalQueue) logFailure(device string, err error) {
	now := q.h.clk.Now()
	if last, ok := q.logged[device]; ok && now.Sub(last) < logEvery {
		return
	}
	q.logged[device] = now
	q.h.log.Error("devices: journal record failed; the device keeps working", "device", device, "err", err)
}

// JournalError reports the journal's health: for each device whose last
// Record failed, that error (wrapped with the device id), plus a note when
// records were dropped because the journal was stuck. It is nil when every
// device's last Record succeeded. Control never depends on it.
func (h *Hub) JournalError() error {
	q := &h.journal
	q.mu.Lock()
	defer q.mu.Unlock()
	var errs []error
	for _, id := range h.ids {
		if f, ok := q.errs[id]; ok {
			errs = append(errs, fmt.Errorf("devices: journal %q: %w", id, f.err))
		}
	}
	if q.dropped > 0 {
		errs = append(errs, fmt.Errorf("devices: journal: %d records without audit events dropped while it was stuck", q.dropped))
	}
	if q.refused > 0 {
		errs = append(errs, fmt.Errorf("devices: journal: %d actions refused while it was behind", q.refused))
	}
	return errors.Join(errs...)
}

// encode serialises a device's persisted state. The values are plain
// structs of bools, strings and floats, which CBOR always encodes.
func encode(v any) []byte {
	b, _ := cbor.Marshal(v) // cannot fail for these types; the round-trip tests prove it
	return b
}

// decode reads saved state; a malformed record is an error for Start to log.
func decode(b []byte, v any) error {
	if err := cbor.Unmarshal(b, v); err != nil {
		return fmt.Errorf("not a state record: %w", err)
	}
	return nil
}
