package mqttlink

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
)

func fixed(v float64) func() float64 { return func() float64 { return v } }

func TestBackoffWindowDoublesUpToMax(t *testing.T) {
	b := Backoff{}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 120, 120, 120}
	for i, w := range want {
		if got := b.Window(i + 1); got != w*time.Second {
			t.Errorf("window after %d failures: %s, want %s", i+1, got, w*time.Second)
		}
	}
	if got := b.Window(1000); got != 2*time.Minute {
		t.Errorf("window after 1000 failures: %s", got)
	}
}

func TestBackoffFullJitterBounds(t *testing.T) {
	for _, n := range []int{1, 3, 8, 20} {
		w := Backoff{}.Window(n)
		if d := (Backoff{Rand: fixed(0)}).Delay(n); d != 0 {
			t.Errorf("n=%d rand=0: %s, want 0 (full jitter starts at zero)", n, d)
		}
		if d := (Backoff{Rand: fixed(0.999999)}).Delay(n); d >= w || d < w*99/100 {
			t.Errorf("n=%d rand≈1: %s, want just under %s", n, d, w)
		}
		if d := (Backoff{Rand: fixed(0.5)}).Delay(n); d != w/2 {
			t.Errorf("n=%d rand=0.5: %s, want %s", n, d, w/2)
		}
	}
	// With the real source every delay lies in [0, window).
	for i := range 1000 {
		n := i%12 + 1
		if d, w := (Backoff{}).Delay(n), (Backoff{}).Window(n); d < 0 || d >= w {
			t.Fatalf("delay %s outside [0, %s)", d, w)
		}
	}
}

func TestBackoffResetsAfter30sConnected(t *testing.T) {
	r := &retry{b: Backoff{Rand: fixed(0.999999)}.withDefaults()}
	for range 5 {
		r.failed()
	}
	// A connection that dropped after 29 s counts as one more failure.
	if d := r.lost(29 * time.Second); d < 30*time.Second {
		t.Fatalf("after a 29 s connection: %s, want the 6th window (32 s)", d)
	}
	// One that lasted 30 s starts again from the first window.
	if d := r.lost(30 * time.Second); d >= time.Second {
		t.Fatalf("after a 30 s connection: %s, want under 1 s", d)
	}
	if r.failures != 1 {
		t.Fatalf("failures %d", r.failures)
	}
}

func TestRefusedCredentialsRetrySlowly(t *testing.T) {
	for _, v := range []float64{0, 0.5, 0.999999} {
		r := &retry{b: Backoff{Rand: fixed(v)}.withDefaults()}
		d := r.refused()
		if d < time.Minute || d >= 2*time.Minute {
			t.Errorf("rand %v: refused retry in %s, want [1m, 2m)", v, d)
		}
	}
}

// The loop itself on a fake clock: the power-on delay, then a full-jitter
// backoff between failed attempts, each visible in Status.
func TestRunWaitsStartDelayThenBacksOff(t *testing.T) {
	clk := clocktest.New(time.Unix(1767225600, 0))
	var dials atomic.Int32
	l, err := New(Options{
		Broker: "tcp://127.0.0.1:1", ClientID: "c", Clock: clk,
		StartDelay: 10 * time.Second,
		Backoff:    Backoff{Rand: fixed(0.5)},
		Dial: func(context.Context, string, string) (net.Conn, error) {
			dials.Add(1)
			return nil, errors.New("network is unreachable")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Run(ctx, func(context.Context, *Session) { t.Error("connected?") }) }()
	defer func() { cancel(); <-done }()

	waitUntil(t, "the start delay to be scheduled", func() bool { return clk.Pending() == 1 })
	if l.Status().Attempts != 0 {
		t.Fatal("attempted before the start delay")
	}
	clk.Advance(4900 * time.Millisecond) // 0.5 × 10 s is 5 s
	if l.Status().Attempts != 0 {
		t.Fatal("attempted before the start delay ended")
	}
	clk.Advance(100 * time.Millisecond)
	// Then attempts with windows of 1, 2, 4, 8 s, each waiting half of it.
	for i, wait := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second} {
		waitUntil(t, "the next attempt to be scheduled", func() bool {
			return l.Status().Attempts == uint64(i+1) && clk.Pending() == 1
		})
		s := l.Status()
		if got := s.NextAttempt.Sub(clk.Now()); got != wait {
			t.Fatalf("after attempt %d: next in %s, want %s", i+1, got, wait)
		}
		if s.Connected || s.LastError == "" {
			t.Fatalf("status %+v", s)
		}
		clk.Advance(wait)
	}
	if dials.Load() < 4 {
		t.Fatalf("%d dials", dials.Load())
	}
}

// waitUntil polls cond for at most 5 s of real time.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
