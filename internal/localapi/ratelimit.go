package localapi

import (
	"math"
	"sync"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
)

// rateLimiter is a token bucket per key (a client address, a user name):
// rate tokens per second, up to burst. It tracks at most maxKeys keys, so
// that a flood of new addresses cannot grow it without bound; beyond that,
// new keys share one bucket (a flood slows down together).
type rateLimiter struct {
	clk     clock.Clock
	rate    float64 // tokens per second
	burst   float64
	maxKeys int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// overflowKey is the bucket shared by keys that find the table full.
const overflowKey = "\x00overflow"

// newRateLimiter returns a limiter of perSecond with bursts of burst, or
// nil (no limit) when perSecond is not positive.
func newRateLimiter(clk clock.Clock, perSecond float64, burst int, maxKeys int) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &rateLimiter{clk: clk, rate: perSecond, burst: float64(max(burst, 1)), maxKeys: maxKeys, buckets: map[string]*bucket{}}
}

// allow takes a token for key. When there is none it returns false and
// how long until there is one (for Retry-After).
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.maxKeys {
			l.prune(now)
		}
		if len(l.buckets) >= l.maxKeys {
			key = overflowKey
			b = l.buckets[key]
		}
		if b == nil {
			b = &bucket{tokens: l.burst, last: now}
			l.buckets[key] = b
		}
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = math.Min(l.burst, b.tokens+d.Seconds()*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// prune forgets buckets that have refilled: they are as good as new.
func (l *rateLimiter) prune(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
}
