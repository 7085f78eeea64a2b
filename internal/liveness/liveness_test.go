package liveness

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
func TestProbeBeatsOnlyWhileAnswered(t *testing.T) {
	clk := clocktest.New(t0)
	r := New(clk)
	l := r.Add("admin socket", 3*time.Second, true)
	calls := make(chan chan error) // each check hands the test its answer channel
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Probe(ctx, time.Second, func(ctx context.Context) error {
			answer := make(chan error)
			select {
			case calls <- answer:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case err := <-answer:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	// Each question arrives with the next turn already armed; the answer's
	// beat counts at the time it was asked, so the test's clock moves
	// only between turns.
	turn := func(err error) {
		t.Helper()
		(<-calls) <- err
		clk.Advance(time.Second)
	}
	turn(nil) // asked at t0: beat at t0
	for range 3 {
		turn(errors.New("connection refused")) // t0+1s .. t0+3s
	}
	// Now t0+4s and the fifth question is out: 4 s since the last beat.
	held := <-calls
	if err := r.Check(); !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "admin socket") {
		t.Fatalf("probe failing for 4 s (bound 3 s): Check = %v", err)
	}
	held <- nil // asked at t0+4s
	clk.Advance(time.Second)
	<-calls // the next question: the beat of the last answer is in
	if err := r.Check(); err != nil {
		t.Fatalf("probe answered again: %v", err)
	}
	cancel()
	<-done
}
