package liveness

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// A required loop that stops beating fails Check, naming it; one that keeps
// beating does not; an optional loop (the cloud loop) never fails Check.
func TestStalledRequiredLoopFailsCheck(t *testing.T) {
	clk := clocktest.New(t0)
	r := New(clk)
	watcher := r.Add("input watcher front", time.Second, true)
	poller := r.Add("boiler poller", 10*time.Second, true)
	cloud := r.Add("cloud loop", time.Second, false)
	if err := r.Check(); err != nil {
		t.Fatalf("just registered: %v", err)
	}
	clk.Advance(time.Second)
	if err := r.Check(); err != nil {
		t.Fatalf("exactly at the bound is not late: %v", err)
	}
	clk.Advance(time.Millisecond)
	err := r.Check()
	if !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "input watcher front") || strings.Contains(err.Error(), "boiler poller") {
		t.Fatalf("watcher past its bound: Check = %v, want ErrStalled naming only the watcher", err)
	}
	if strings.Contains(err.Error(), "cloud loop") {
		t.Fatalf("the optional cloud loop withheld the watchdog: %v", err)
	}
	if s := r.Stale(clk.Now(), true); len(s) != 2 || !strings.HasPrefix(s[1], "cloud loop") {
		t.Fatalf("Stale(all) = %q, want the watcher and the cloud loop", s)
	}
	watcher.Beat()
	if err := r.Check(); err != nil {
		t.Fatalf("watcher beat again, cloud still stalled: %v", err)
	}
	clk.Advance(9 * time.Second)
	watcher.Beat()
	cloud.Beat()
	if err := r.Check(); err == nil || !strings.Contains(err.Error(), "boiler poller") {
		t.Fatalf("poller silent for 10.001 s (bound 10 s): Check = %v", err)
	}
	poller.Beat()
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestNilRegistryIsAlwaysHealthy(t *testing.T) {
	var r *Registry
	l := r.Add("x", 0, true)
	l.Beat()
	if err := r.Check(); err != nil || r.Stale(t0.Add(time.Hour), true) != nil {
		t.Fatalf("nil registry: %v", err)
	}
}

// A probed loop beats while its check answers and stops beating while the
// check fails or hangs (a server that stopped accepting): Check fails
// naming it once the bound has passed, and passes again when it answers.
// The first question comes one period after the start, not at once.
func TestProbeBeatsOnlyWhileAnswered(t *testing.T) {
	clk := armClock{clocktest.New(t0), make(chan struct{}, 1)}
	r := New(clk)
	l := r.Add("admin socket", 3*time.Second, true)
	type question struct {
		at     time.Time
		answer chan error
	}
	calls := make(chan question)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Probe(ctx, time.Second, func(ctx context.Context) error {
			q := question{clk.Now(), make(chan error)}
			select {
			case calls <- q:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case err := <-q.answer:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	// The test's clock moves only once the next turn is armed; the
	// answer's beat counts at the time the question was asked.
	next := func() {
		<-clk.armed
		clk.Advance(time.Second)
	}
	ask := func(at time.Duration) chan error {
		t.Helper()
		q := <-calls
		if want := t0.Add(at); !q.at.Equal(want) {
			t.Fatalf("question asked at %s, want %s", q.at.Format(time.TimeOnly), want.Format(time.TimeOnly))
		}
		return q.answer
	}
	next()
	ask(time.Second) <- nil // beat at t0+1s
	for i := range 3 {
		next()
		ask(time.Duration(i+2) * time.Second) <- errors.New("connection refused")
	}
	next()
	// Now t0+5s and the fifth question is out: 4 s since the last beat.
	held := ask(5 * time.Second)
	if err := r.Check(); !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "admin socket") {
		t.Fatalf("probe failing for 4 s (bound 3 s): Check = %v", err)
	}
	held <- nil // asked at t0+5s
	next()
	ask(6 * time.Second) // the next question: the beat of the last answer is in
	if err := r.Check(); err != nil {
		t.Fatalf("probe answered again: %v", err)
	}
	cancel()
	<-done
}

// armClock tells the test each time a timer is armed, so that it moves
// the clock only once the probe waits for it.
type armClock struct {
	*clocktest.Fake
	armed chan struct{}
}

func (c armClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	tm := c.Fake.AfterFunc(d, f)
	c.armed <- struct{}{}
	return tm
}
