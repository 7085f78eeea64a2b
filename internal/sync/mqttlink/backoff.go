package mqttlink

import (
	"math/rand/v2"
	"time"
)

// Backoff is the reconnect policy: exponential backoff with full jitter
// (the delay before attempt n is uniform in [0, min(Max, Min·2^(n-1)))),
// reset once a connection has lasted Reset. Full jitter spreads a fleet that
// lost its broker at the same instant over the whole window instead of
// bringing it back in synchronised waves.
type Backoff struct {
	Min   time.Duration  // first window; default 1 s
	Max   time.Duration  // largest window; default 2 min
	Reset time.Duration  // a connection that lasted this long resets the backoff; default 30 s
	Rand  func() float64 // uniform in [0, 1); default math/rand/v2
}

// Default reconnect policy (DESIGN.md, "Reconnect").
const (
	DefaultBackoffMin   = time.Second
	DefaultBackoffMax   = 2 * time.Minute
	DefaultBackoffReset = 30 * time.Second
)

func (b Backoff) withDefaults() Backoff {
	if b.Min <= 0 {
		b.Min = DefaultBackoffMin
	}
	if b.Max < b.Min {
		b.Max = max(DefaultBackoffMax, b.Min)
	}
	if b.Reset <= 0 {
		b.Reset = DefaultBackoffReset
	}
	if b.Rand == nil {
		b.Rand = rand.Float64
	}
	return b
}

// Window is the upper bound of the delay after n consecutive failures
// (n >= 1): Min·2^(n-1), at most Max.
func (b Backoff) Window(n int) time.Duration {
	b = b.withDefaults()
	w := b.Min
	for i := 1; i < n && w < b.Max; i++ {
		w *= 2
	}
	return min(w, b.Max)
}

// Delay is a full-jitter delay after n consecutive failures.
func (b Backoff) Delay(n int) time.Duration {
	b = b.withDefaults()
	return time.Duration(b.Rand() * float64(b.Window(n)))
}

// retry tracks consecutive failures for one link.
type retry struct {
	b        Backoff
	failures int
}

// failed is the delay after a failed attempt.
func (r *retry) failed() time.Duration {
	r.failures++
	return r.b.Delay(r.failures)
}

// lost is the delay after a connection that was up for d: a connection that
// lasted Reset counts as a success (the backoff starts again from Min); a
// shorter one as one more failure, so that a broker that accepts and then
// drops every connection is not hammered.
func (r *retry) lost(d time.Duration) time.Duration {
	if d >= r.b.Reset {
		r.failures = 0
	}
	return r.failed()
}

// refused is the delay after the broker refused the credentials: they will
// not fix themselves within seconds, so wait between Max/2 and Max (jittered,
// never a busy loop), and count a failure for the backoff after it.
func (r *retry) refused() time.Duration {
	r.failures++
	return r.b.Max/2 + time.Duration(r.b.Rand()*float64(r.b.Max/2))
}
