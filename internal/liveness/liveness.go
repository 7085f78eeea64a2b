// Package liveness owns the agent's record of which long-running loops are
// still turning: each loop (an input watcher, a boiler's sensor poller, the
// cloud loop) beats on every turn, and the systemd watchdog pings only while
// no required loop has missed its bound. A loop that is merely blocked in a
// goroutine looks alive to anything that only calls into the agent; its
// beats are what show it is dead.
package liveness

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
)

// Registry holds every loop's last beat. A nil *Registry is valid: it
// registers nothing and is never stale, so a part used without a watchdog
// (tests, tools) needs no registry.
type Registry struct {
	clk clock.Clock

	mu    sync.Mutex // guards loops and every Loop's last
	loops []*Loop
}

// Loop is one registered loop. A nil *Loop's Beat does nothing.
type Loop struct {
	r        *Registry
	name     string
	bound    time.Duration
	required bool
	last     time.Time
}

// New returns an empty Registry reading time from clk (clock.Real{} when nil).
func New(clk clock.Clock) *Registry {
	if clk == nil {
		clk = clock.Real{}
	}
	return &Registry{clk: clk}
}

// Add registers a loop named name (for the log line that says which loop
// died) that beats at least every bound, and counts as beating now. Only a
// required loop's stall withholds the watchdog: a loop whose stall is normal
// (the cloud loop while offline) is registered with required false and is
// reported by Stale only when all is true.
func (r *Registry) Add(name string, bound time.Duration, required bool) *Loop {
	if r == nil {
		return nil
	}
	l := &Loop{r: r, name: name, bound: bound, required: required}
	r.mu.Lock()
	defer r.mu.Unlock()
	l.last = r.clk.Now()
	r.loops = append(r.loops, l)
	return l
}

// Beat records that the loop just turned.
func (l *Loop) Beat() {
	if l == nil {
		return
	}
	l.beatAt(l.r.clk.Now())
}

func (l *Loop) beatAt(t time.Time) {
	l.r.mu.Lock()
	defer l.r.mu.Unlock()
	if t.After(l.last) {
		l.last = t
	}
}

// Stale returns, in registration order, the names of the loops whose last
// beat is more than their bound before now: only the required ones unless
// all is true.
func (r *Registry) Stale(now time.Time, all bool) []string {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.loops {
		if (l.required || all) && now.Sub(l.last) > l.bound {
			out = append(out, fmt.Sprintf("%s (no beat for %s, bound %s)", l.name, now.Sub(l.last).Round(time.Millisecond), l.bound))
		}
	}
	return out
}

// Check returns an error wrapping ErrStalled and naming every stalled
// required loop, or nil: the watchdog's health check.
func (r *Registry) Check() error {
	if r == nil {
		return nil
	}
	if s := r.Stale(r.clk.Now(), false); len(s) > 0 {
		return fmt.Errorf("%w: %s", ErrStalled, strings.Join(s, "; "))
	}
	return nil
}

// Probe stands in for the beats of a loop that cannot beat by itself (a
// server blocked in Accept): every every, on the registry's clock, it asks
// check, and each answer nil within every (real time: a bound on I/O)
// counts as a beat at the time the question was asked. A server that stops
// accepting, or whose answers hang, so stops beating. The first question
// waits one period: the loop counts as beating from Add, and a server's
// first answers at start belong to its clients (a question at once cost a
// cold start under emulation a tenth of its time). Probe returns when ctx
// ends; on a nil Loop at once.
func (l *Loop) Probe(ctx context.Context, every time.Duration, check func(context.Context) error) {
	if l == nil {
		return
	}
	arm := func() (<-chan struct{}, clock.Timer) {
		wake := make(chan struct{})
		return wake, l.r.clk.AfterFunc(every, func() { close(wake) })
	}
	wake, t := arm()
	for {
		select {
		case <-wake:
		case <-ctx.Done():
			t.Stop()
			return
		}
		// The next turn is armed before the question: a slow answer does
		// not stretch the period.
		wake, t = arm()
		asked := l.r.clk.Now()
		cctx, cancel := context.WithTimeout(ctx, every)
		err := check(cctx)
		cancel()
		if err == nil {
			l.beatAt(asked)
		}
	}
}
