package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// holdLeader starts an Update whose fn blocks until release is closed, and
// returns once that Update is committing. Calls made meanwhile queue up
// behind it, which makes grouping deterministic instead of a matter of luck.
func holdLeader(t *testing.T, s *Store) (release func(), wait func()) {
	t.Helper()
	inside := make(chan struct{})
	gate := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(func(tx *Tx) error {
			close(inside)
			<-gate
			b, err := tx.CreateBucketIfNotExists([]byte("test"))
			if err != nil {
				return err
			}
			return b.Put([]byte("leader"), []byte("1"))
		})
	}()
	<-inside
	return func() { close(gate) }, func() {
		if err := <-done; err != nil {
			t.Errorf("leader's Update: %v", err)
		}
	}
}

// waitQueued waits until n calls are queued behind the leader.
func waitQueued(s *Store, n int) {
	for {
		s.mu.Lock()
		q := len(s.queue)
		s.mu.Unlock()
		if q >= n {
			return
		}
		runtime.Gosched()
	}
}

func TestGroupCommit(t *testing.T) {
	s := openStore(t, testPath(t))
	const n = 20
	before := s.commits.Load()
	release, waitLeader := holdLeader(t, s)

	var wg sync.WaitGroup
	errs := make([]error, n)
	evs := make([]Event, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Update(func(tx *Tx) error {
				evs[i] = Event{Class: ClassState, Type: "set", Data: map[string]any{"i": i}}
				return s.AppendEvent(tx, &evs[i])
			})
		})
	}
	waitQueued(s, n)
	release()
	wg.Wait()
	waitLeader()

	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	// The leader's transaction, then all n queued calls in one more.
	if got := s.commits.Load() - before; got != 2 {
		t.Errorf("%d calls took %d commits, want 2", n+1, got)
	}
	seen := map[uint64]bool{}
	for _, ev := range evs {
		seen[ev.Seq] = true
	}
	if stored := mustEvents(t, s); len(stored) != n || len(seen) != n {
		t.Errorf("stored %d events with %d distinct seqs, want %d", len(stored), len(seen), n)
	}
}

func TestGroupCommitIsolatesFailure(t *testing.T) {
	s := openStore(t, testPath(t))
	const n, bad = 10, 4
	release, waitLeader := holdLeader(t, s)

	var wg sync.WaitGroup
	errs := make([]error, n)
	runs := make([]atomic.Int32, n)
	boom := errors.New("boom")
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Update(func(tx *Tx) error {
				runs[i].Add(1)
				if err := tx.Bucket([]byte("test")).Put(fmt.Appendf(nil, "k%d", i), []byte("v")); err != nil {
					return err
				}
				if err := s.AppendEvent(tx, &Event{Class: ClassAudit, Type: "write", Data: map[string]any{"i": i}}); err != nil {
					return err
				}
				if i == bad {
					return boom
				}
				return nil
			})
		})
	}
	waitQueued(s, n)
	release()
	wg.Wait()
	waitLeader()

	for i, err := range errs {
		if want := error(nil); i == bad {
			if !errors.Is(err, boom) {
				t.Errorf("failing call: err = %v, want boom", err)
			}
		} else if err != want {
			t.Errorf("call %d: %v", i, err)
		}
	}
	err := s.View(func(tx *Tx) error {
		b := tx.Bucket([]byte("test"))
		for i := range n {
			got := b.Get(fmt.Appendf(nil, "k%d", i)) != nil
			if got != (i != bad) {
				t.Errorf("key of call %d present = %v", i, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := mustEvents(t, s)
	if len(evs) != n-1 {
		t.Errorf("%d events, want %d", len(evs), n-1)
	}
	for _, ev := range evs {
		if ev.Data["i"] == uint64(bad) {
			t.Errorf("the failing call's event was committed: %+v", ev)
		}
	}
	// The calls before the failing one in the group ran twice (once in the
	// rolled-back attempt); that is what "fn may run more than once" allows.
	total := 0
	for i := range runs {
		total += int(runs[i].Load())
	}
	t.Logf("%d fn runs for %d calls", total, n)
}

func TestUpdatePanicReachesItsCaller(t *testing.T) {
	s := openStore(t, testPath(t))
	release, waitLeader := holdLeader(t, s)

	var wg sync.WaitGroup
	var recovered atomic.Value
	okErr := make(chan error, 1)
	wg.Go(func() {
		defer func() { recovered.Store(fmt.Sprint(recover())) }()
		_ = s.Update(func(tx *Tx) error { panic("bug in fn") })
	})
	wg.Go(func() {
		okErr <- s.Update(func(tx *Tx) error {
			return s.AppendEvent(tx, &Event{Class: ClassAudit, Type: "ok"})
		})
	})
	waitQueued(s, 2)
	release()
	wg.Wait()
	waitLeader()

	if got := recovered.Load(); got != "bug in fn" {
		t.Errorf("panic seen by caller = %v, want %q", got, "bug in fn")
	}
	if err := <-okErr; err != nil {
		t.Errorf("other caller in the group: %v", err)
	}
	if evs := mustEvents(t, s); len(evs) != 1 {
		t.Errorf("%d events, want 1", len(evs))
	}
}

func TestCloseWaitsForQueuedUpdates(t *testing.T) {
	s := openStore(t, testPath(t))
	release, waitLeader := holdLeader(t, s)
	errc := make(chan error, 1)
	go func() {
		errc <- s.Update(func(tx *Tx) error {
			return s.AppendEvent(tx, &Event{Class: ClassAudit, Type: "queued"})
		})
	}()
	waitQueued(s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	// Close has begun (new calls are refused) but must not cut off the queue.
	for {
		s.mu.Lock()
		c := s.closed
		s.mu.Unlock()
		if c {
			break
		}
		runtime.Gosched()
	}
	if err := s.Update(func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update during Close = %v, want ErrClosed", err)
	}
	release()
	waitLeader()
	if err := <-errc; err != nil {
		t.Errorf("queued Update: %v", err)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	s = openStore(t, s.Path())
	if evs := mustEvents(t, s); len(evs) != 1 {
		t.Errorf("%d events after reopen, want 1", len(evs))
	}
}
