package store

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// call is one Update waiting to be committed.
type call struct {
	fn        func(tx *Tx) error
	telemetry bool          // UpdateTelemetry: durable within the telemetry delay, not before return
	wake      chan struct{} // sent to exactly once: result ready, or "you lead now"
	lead      bool          // set before wake: run the next group yourself
	err       error         // set before wake: this call's result
	panicked  any           // set before wake: fn panicked with this value
}

// Update runs fn in a read-write transaction with GROUP COMMIT: calls from concurrent goroutines that
// arrive while a commit is in progress are run together and made durable by one record in the
// write-ahead log and one flush (wal.go). A lone caller is committed at once (no added delay; bbolt's
// db.Batch would wait up to 10 ms). If one fn returns an error, only that caller gets it and its
// writes are undone; the others' are committed. fn may run more than once; it must only touch tx, and
// must not call Update or View. Update returns once fn's writes are durable.
//
// How: the first caller to find the store idle becomes the leader and commits
// everything queued so far, its own call included. Calls that arrive meanwhile
// queue up. When the leader's group is done it hands leadership to the first
// queued call and returns; that caller commits the next group. So every
// caller returns as soon as its own group is durable, and no goroutine runs
// in the background.
//
// A panic in fn is re-raised in the goroutine that called Update with that fn;
// the group it was part of is rerun without it.
func (s *Store) Update(fn func(tx *Tx) error) error {
	return s.enqueue(&call{fn: fn})
}

// UpdateTelemetry is Update for writes that may wait: it returns once fn's
// writes are applied (every reader sees them), and they become durable
// with the next Update, at the latest Options.TelemetryDelay later. A
// crash or a power cut loses at most that much of them. Only telemetry events may be
// appended in fn (AppendEvent refuses any other class): never a door
// decision, an alarm or a state that must survive.
func (s *Store) UpdateTelemetry(fn func(tx *Tx) error) error {
	return s.enqueue(&call{fn: fn, telemetry: true})
}

func (s *Store) enqueue(c *call) error {
	c.wake = make(chan struct{}, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.active.Add(1)
	defer s.active.Done()
	s.queue = append(s.queue, c)
	if s.busy {
		s.mu.Unlock()
		<-c.wake
		if !c.lead {
			return c.result()
		}
	} else {
		s.busy = true
		s.mu.Unlock()
	}

	// Leading: take the whole queue (c is in it) and commit it as one group.
	s.mu.Lock()
	group := s.queue
	s.queue = nil
	s.mu.Unlock()

	s.commitGroup(group, c)

	s.mu.Lock()
	if len(s.queue) > 0 {
		next := s.queue[0]
		next.lead = true
		next.wake <- struct{}{}
	} else {
		s.busy = false
	}
	s.mu.Unlock()
	return c.result()
}

func (c *call) result() error {
	if c.panicked != nil {
		panic(c.panicked)
	}
	return c.err
}

// commitGroup runs the calls' fns on the open transaction, undoing the
// writes of each one that fails, then logs the group's writes as one
// record and flushes the log (unless every call is telemetry). Every call
// except self is woken with its result.
func (s *Store) commitGroup(group []*call, self *call) {
	var hooks []func()
	done := func(c *call, err error) {
		c.err = err
		if c != self {
			c.wake <- struct{}{}
		}
	}
	start := time.Now()
	err := s.applyLocked(&group, done, &hooks)
	if o := s.observer.Load(); o != nil && len(group) > 0 {
		(*o).Committed(time.Since(start), err) // wall time: a measure, not logic
	}
	if err == nil && len(group) > 0 {
		s.commits.Add(1)
		for _, h := range hooks {
			h()
		}
	} else if len(group) > 0 {
		s.noteCommitError(err, len(group))
	}
	for _, c := range group {
		done(c, err)
	}
}

// applyLocked is applyGroup, and the checkpoint a long log calls for,
// under s.txMu. A panic in them (a bug, or a page gone bad under bbolt)
// becomes the group's error: nothing it did is durable, the transaction
// starts again from the log, and no queued caller is left waiting.
func (s *Store) applyLocked(group *[]*call, done func(*call, error), hooks *[]func()) (err error) {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("store: panic while committing", "panic", r, "stack", string(debug.Stack()))
			s.pend, s.heldHooks = s.pend[:s.pendSynced], nil
			s.wal.drop()
			s.discard()
			err = fmt.Errorf("store: panicked while committing: %v", r)
		}
	}()
	err = s.applyGroup(group, done, hooks)
	switch logged := s.wal.written + s.wal.pending(); {
	case err != nil:
	case logged >= walMax:
		// Nobody ran the checkpoint asked for below (no Run: a tool, a test):
		// do it here rather than grow the log without end.
		if cerr := s.checkpoint(); cerr != nil {
			s.noteCommitError(cerr, 0)
		}
	case logged >= checkpointBytes:
		// Long enough: Run writes it into the file (off this caller's path:
		// a checkpoint of 1 MiB of log takes milliseconds).
		select {
		case s.checkpointDue <- struct{}{}:
		default:
		}
	}
	return err
}

// applyGroup runs the calls' fns and logs their writes; s.txMu is held. It
// removes from *group each call that failed (after done), and returns the
// error of the commit itself, which the calls left all get.
func (s *Store) applyGroup(group *[]*call, done func(*call, error), hooks *[]func()) error {
	for {
		if err := s.begin(); err != nil {
			return err
		}
		var rec []byte
		restart := false
		*hooks = (*hooks)[:0]
		telemetry := true
		for i := 0; i < len(*group); i++ {
			c := (*group)[i]
			t := &Tx{tx: s.wtx, w: &txlog{telemetry: c.telemetry}}
			err := s.run(c, t)
			if err == nil {
				rec = append(rec, t.w.redo...)
				*hooks = append(*hooks, t.w.onCommit...)
				telemetry = telemetry && c.telemetry
				continue
			}
			*group = append((*group)[:i:i], (*group)[i+1:]...)
			i--
			if c.panicked == nil {
				if uerr := t.w.rollback(s.wtx); uerr == nil {
					done(c, err)
					continue
				}
			}
			// A panic (in fn or inside bbolt) or an undo that failed leaves
			// the open transaction unknown: start it again from the log and
			// rerun the others.
			done(c, err)
			s.discard()
			restart = true
			break
		}
		if restart {
			continue
		}
		if len(rec) > 0 {
			s.wal.add(rec)
			s.pend = append(s.pend, rec)
		}
		if telemetry && len(*group) > 0 {
			// Their hooks (the metrics' "recorded") wait for the flush.
			s.heldHooks = append(s.heldHooks, *hooks...)
			*hooks = (*hooks)[:0]
			s.armTelemetryFlush()
			return nil
		}
		if err := s.wal.sync(); err != nil {
			// Nothing queued since the last flush is durable: take it all
			// back (queued telemetry too, whose callers have returned).
			s.pend, s.heldHooks = s.pend[:s.pendSynced], nil
			s.discard()
			return err
		}
		s.synced()
		*hooks = append(s.heldHooks, *hooks...)
		s.heldHooks = nil
		return nil
	}
}

// begin opens the transaction that holds every write since the last
// checkpoint, replaying the log's records into it when it was discarded.
func (s *Store) begin() (err error) {
	if s.wtx != nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: bbolt panicked while opening a write transaction: %v", r)
		}
	}()
	tx, err := s.db.Begin(true)
	if err != nil {
		return closedErr(err)
	}
	for _, rec := range s.pend {
		if err := applyRedo(tx, rec); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: replaying the write-ahead log: %w", err)
		}
	}
	s.wtx = tx
	return nil
}

// discard rolls the open transaction back; the next begin replays s.pend.
func (s *Store) discard() {
	if s.wtx != nil {
		func() {
			defer func() { _ = recover() }()
			_ = s.wtx.Rollback()
		}()
		s.wtx = nil
	}
}

// checkpoint commits every logged write to the bbolt file (its own fsyncs)
// and starts the log again. s.txMu is held. On failure the log
// still holds every write (durable), so nothing is lost: the next begin
// replays it and a later checkpoint tries again.
func (s *Store) checkpoint() (err error) {
	if s.wtx == nil && len(s.pend) == 0 {
		return nil // the file has every write
	}
	// After a failed flush or checkpoint the logged writes are in no
	// transaction: replay them, or there is nothing to commit them with.
	if err := s.begin(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			s.wtx = nil
			err = fmt.Errorf("store: bbolt panicked during a checkpoint: %v", r)
		}
	}()
	base := uint64(s.wtx.ID())
	seq := s.wtx.Bucket(eventsBucket).Sequence()
	err = s.wtx.Commit()
	s.wtx = nil
	if err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	s.pend, s.pendSynced = nil, 0
	s.wal.reset(base)
	s.durable.Store(seq)
	s.checkpoints.Add(1)
	for _, h := range s.heldHooks {
		h() // queued telemetry is in the file now; none of these calls the store
	}
	s.heldHooks = nil
	return nil
}

// synced notes that everything in the open transaction is durable; s.txMu
// is held.
func (s *Store) synced() {
	s.pendSynced = len(s.pend)
	if b := s.wtx.Bucket(eventsBucket); b != nil {
		s.durable.Store(b.Sequence())
	}
}

// DurableSeq is the highest event seq that is durable: a reading above it
// (UpdateTelemetry) may still be lost to a power cut, and with it its seq,
// which the next reading then takes. What leaves the hub (the outbox) stops
// here, so that the cloud never holds an event by a seq the hub could give
// to another.
func (s *Store) DurableSeq() uint64 { return s.durable.Load() }

// Checkpoint writes everything logged so far into the bbolt file. Run
// calls it at its period, Close at the end; Update calls it when the log
// is long.
func (s *Store) Checkpoint() error {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	if s.wal == nil {
		return ErrClosed
	}
	return s.checkpoint()
}

// armTelemetryFlush makes sure queued telemetry is flushed within the
// telemetry delay; s.txMu is held.
func (s *Store) armTelemetryFlush() {
	if s.flushArmed {
		return
	}
	s.flushArmed = true
	time.AfterFunc(s.telemetryDelay, func() { // real time: a bound on what a power cut loses
		s.txMu.Lock()
		s.flushArmed = false
		s.txMu.Unlock()
		// An empty Update flushes whatever is queued before it.
		if err := s.Update(func(*Tx) error { return nil }); err != nil && !errors.Is(err, ErrClosed) {
			s.log.Warn("store: flushing queued telemetry failed", "err", err)
		}
	})
}

// run calls c.fn, catching a panic so that one caller's bug cannot leave the
// others of its group waiting forever.
func (s *Store) run(c *call, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("store: Update function panicked", "panic", r, "stack", string(debug.Stack()))
			c.panicked = r
			err = errors.New("store: Update function panicked")
		}
	}()
	return c.fn(tx)
}

// commitErrorLogEvery rate-limits the log line for a failing commit: a full
// SD card would otherwise get the same line many times a second.
const commitErrorLogEvery = time.Minute

func (s *Store) noteCommitError(err error, n int) {
	now := s.now()
	s.mu.Lock()
	msg := err.Error()
	log := msg != s.lastErr || now.Sub(s.lastLog) >= commitErrorLogEvery
	s.lastErr = msg
	if log {
		s.lastLog = now
	}
	s.mu.Unlock()
	if log {
		s.log.Error("store: commit failed", "err", err, "calls", n)
	}
}
