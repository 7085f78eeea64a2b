package store

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"
)

// call is one Update waiting to be committed.
type call struct {
	fn       func(tx *bbolt.Tx) error
	wake     chan struct{} // sent to exactly once: result ready, or "you lead now"
	lead     bool          // set before wake: run the next group yourself
	err      error         // set before wake: this call's result
	panicked any           // set before wake: fn panicked with this value
}

// Update runs fn in a read-write transaction with GROUP COMMIT: calls from concurrent goroutines that
// arrive while a commit is in progress are run together in the next single transaction (one fsync).
// A lone caller is committed at once (no added delay; bbolt's db.Batch would wait up to 10 ms). If
// one fn returns an error, only that caller gets it and its writes are not committed; the others'
// are. fn may run more than once; it must only touch tx, and must not call Update or View.
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
func (s *Store) Update(fn func(tx *bbolt.Tx) error) error {
	c := &call{fn: fn, wake: make(chan struct{}, 1)}
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

// commitGroup runs the calls' fns in one transaction. When one fails, the
// transaction is rolled back, that call gets its error, and the rest are
// rerun in a new transaction. Every call except self is woken with its result.
func (s *Store) commitGroup(group []*call, self *call) {
	done := func(c *call, err error) {
		c.err = err
		if c != self {
			c.wake <- struct{}{}
		}
	}
	for len(group) > 0 {
		failed := -1
		start := time.Now()
		err := s.update(func(tx *bbolt.Tx) error {
			for i, c := range group {
				if err := s.run(c, tx); err != nil {
					failed = i
					c.err = err
					return errRollback
				}
			}
			return nil
		})
		if failed >= 0 {
			done(group[failed], group[failed].err)
			group = append(group[:failed:failed], group[failed+1:]...)
			continue
		}
		// The commit itself failed (disk full, I/O error, store closed): none
		// of the group's writes are durable, so all of them get the error.
		err = closedErr(err)
		if o := s.observer.Load(); o != nil {
			(*o).Committed(time.Since(start), err) // wall time: a measure, not logic
		}
		if err == nil {
			s.commits.Add(1)
		} else {
			s.noteCommitError(err, len(group))
		}
		for _, c := range group {
			done(c, err)
		}
		return
	}
}

// update is db.Update with a panic inside bbolt (an assertion on a page that
// went bad after the boot check) turned into an error for the whole group:
// a panic here would leave every queued caller waiting forever. bbolt has
// already rolled the transaction back when the panic reaches us.
func (s *Store) update(fn func(tx *bbolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: bbolt panicked during a write transaction: %v", r)
		}
	}()
	return s.db.Update(fn)
}

// run calls c.fn, catching a panic so that one caller's bug cannot leave the
// others of its group waiting forever.
func (s *Store) run(c *call, tx *bbolt.Tx) (err error) {
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
