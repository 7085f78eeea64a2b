// Package hlc owns the hub's hybrid logical clock (Kulkarni et al., 2014):
// a timestamp that is close to the wall clock, never goes backwards (not
// even when the wall clock is set back, nor across restarts: see
// NewDurable), and is never below a timestamp the hub has received,
// so that the cloud can order the hub's events after the commands and
// settings that caused them even when the hub's clock is wrong (a Raspberry
// Pi has no real-time clock).
//
// A Timestamp packs the physical part (Unix milliseconds, 48 bits: good
// until the year 10889) and a logical counter (16 bits) into one uint64, so
// that timestamps compare as integers and travel as one CBOR uint.
package hlc

import (
	"fmt"
	"sync"
	"time"
)

// Timestamp is wall milliseconds << 16 | logical counter.
type Timestamp uint64

const logicalBits = 16

// maxWall is the largest wall millisecond a Timestamp holds.
const maxWall = 1<<(64-logicalBits) - 1

// New packs a wall time in milliseconds and a logical counter.
func New(wallMS int64, logical uint16) Timestamp {
	if wallMS < 0 {
		wallMS = 0
	}
	if wallMS > maxWall {
		wallMS = maxWall
	}
	return Timestamp(uint64(wallMS)<<logicalBits | uint64(logical))
}

// FromTime is the timestamp of t with a logical counter of 0.
func FromTime(t time.Time) Timestamp { return New(t.UnixMilli(), 0) }

// WallMS is the physical part, Unix milliseconds.
func (t Timestamp) WallMS() int64 { return int64(t >> logicalBits) }

// Logical is the counter that orders timestamps with the same WallMS.
func (t Timestamp) Logical() uint16 { return uint16(t) }

// Time is the physical part as a time.Time (UTC).
func (t Timestamp) Time() time.Time { return time.UnixMilli(t.WallMS()).UTC() }

// String is "2026-11-22T10:15:00.123Z+3".
func (t Timestamp) String() string {
	return fmt.Sprintf("%s+%d", t.Time().Format("2006-01-02T15:04:05.000Z07:00"), t.Logical())
}

// Clock issues timestamps. It is safe for concurrent use.
//
// A clock made by NewDurable reserves ahead: before it issues a timestamp
// above its ceiling it saves a new ceiling (Ahead beyond the later of the
// wall clock and the timestamp) and only then issues, so every timestamp it
// ever issued is at or below the last ceiling saved. Restarted at that
// ceiling, after a kill -9, a clock set back or the loss of whatever else
// recorded the last timestamp, it resumes above all of them, at the cost of
// one save per Ahead of wall time (or per Ahead's worth of logical counter
// while the wall clock is behind).
type Clock struct {
	now   func() time.Time
	ahead time.Duration
	save  func(Timestamp) error // nil: no ceiling (NewClock)

	mu   sync.Mutex
	last Timestamp
	ceil Timestamp
}

// NewClock returns a clock reading physical time from now, that never
// issues a timestamp at or below last (a value saved before a restart; 0
// for none). It saves nothing: a crash loses what it issued since last.
func NewClock(now func() time.Time, last Timestamp) *Clock {
	return &Clock{now: now, last: last}
}

// NewDurable returns a clock that starts above both last and ceiling (the
// ceiling saved by an earlier run, 0 for none) and calls save with a new
// ceiling before it issues a timestamp above the current one.
func NewDurable(now func() time.Time, last, ceiling Timestamp, ahead time.Duration, save func(Timestamp) error) *Clock {
	return &Clock{now: now, ahead: ahead, save: save, last: max(last, ceiling), ceil: max(last, ceiling)}
}

// Now is a timestamp for a local or send event at the current wall time.
// Successive calls strictly increase. It fails only when a durable clock
// cannot save its ceiling; then nothing is issued.
func (c *Clock) Now() (Timestamp, error) {
	pt := FromTime(c.now())
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := next(c.last, pt)
	if err := c.reserve(ts, pt); err != nil {
		return 0, err
	}
	c.last = ts
	return ts, nil
}

// Update takes a timestamp received from elsewhere (a signed command's
// issued-at) into account: every timestamp issued afterwards is above it.
// A durable clock saves its ceiling at once when remote is above it, so
// that a crash right after does not forget it; if that save fails, the
// clock keeps remote in memory and the next Now saves (or fails) again.
func (c *Clock) Update(remote Timestamp) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote <= c.last {
		return nil
	}
	c.last = remote
	return c.reserve(remote, FromTime(c.now()))
}

// reserve saves a new ceiling if ts is above the current one; c.mu is held.
func (c *Clock) reserve(ts, pt Timestamp) error {
	if c.save == nil || ts <= c.ceil {
		return nil
	}
	ceil := New(max(ts.WallMS(), pt.WallMS())+c.ahead.Milliseconds(), 0)
	if err := c.save(ceil); err != nil {
		return fmt.Errorf("hlc: saving the ceiling %v: %w", ceil, err)
	}
	c.ceil = ceil
	return nil
}

// Last is the latest timestamp issued or received.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// Ceiling is the last ceiling saved (0 for a clock made by NewClock).
func (c *Clock) Ceiling() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ceil
}

// next is the smallest timestamp above last and at or above the physical
// time pt (whose logical part is 0). A logical counter that would overflow
// carries into the next millisecond: still monotonic, and the physical part
// runs ahead by at most a millisecond per 65 536 events in one millisecond.
func next(last, pt Timestamp) Timestamp {
	if pt > last {
		return pt
	}
	return last + 1
}
