package store

import (
	"errors"
	"sync"
	"testing"
	"time"
)

type countingObserver struct {
	mu       sync.Mutex
	commits  int
	failed   int
	recorded map[Class]int
}

func (o *countingObserver) Committed(d time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.failed++
		return
	}
	o.commits++
}

func (o *countingObserver) Recorded(c Class) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.recorded[c]++
}

// The observer counts what became durable: an event of a rolled-back
// transaction was never recorded, and a metric that counted it would lie.
func TestObserverCountsOnlyCommittedEvents(t *testing.T) {
	s := openStore(t, testPath(t))
	o := &countingObserver{recorded: map[Class]int{}}
	s.Observe(o)
	mustUpdate(t, s, func(tx *Tx) error {
		if err := s.AppendEvent(tx, &Event{Class: ClassAudit, Type: "a"}); err != nil {
			return err
		}
		return s.AppendEvent(tx, &Event{Class: ClassState, Type: "s"})
	})
	boom := errors.New("boom")
	err := s.Update(func(tx *Tx) error {
		if err := s.AppendEvent(tx, &Event{Class: ClassTelemetry, Type: "t"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	o.mu.Lock()
	if o.recorded[ClassAudit] != 1 || o.recorded[ClassState] != 1 || o.recorded[ClassTelemetry] != 0 {
		t.Errorf("recorded %v, want audit 1, state 1, telemetry 0 (rolled back)", o.recorded)
	}
	if o.commits != 1 {
		t.Errorf("%d commits observed, want 1", o.commits)
	}
	o.mu.Unlock()
	s.Observe(nil)
	mustUpdate(t, s, func(tx *Tx) error { return s.AppendEvent(tx, &Event{Class: ClassAudit, Type: "a"}) })
	if o.recorded[ClassAudit] != 1 {
		t.Errorf("an observer removed with Observe(nil) was still told")
	}
}
