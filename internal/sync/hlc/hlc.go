// Package hlc owns the hub's hybrid logical clock (Kulkarni et al., 2014):
// a timestamp that is close to the wall clock, never goes backwards (not
// even when the wall clock is set back, nor across restarts when the last
// value is restored), and is never below a timestamp the hub has received,
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
type Clock struct {
	now func() time.Time

	mu   sync.Mutex
	last Timestamp
}

// NewClock returns a clock reading physical time from now, that never
// issues a timestamp at or below last (a value saved before a restart; 0
// for none).
func NewClock(now func() time.Time, last Timestamp) *Clock {
	return &Clock{now: now, last: last}
}

// Now is a timestamp for a local or send event at the current wall time.
func (c *Clock) Now() Timestamp { return c.Tick(c.now()) }

// Tick is a timestamp for a local event that happened at wall time pt
// (say, an event recorded earlier, now being sent): max(pt, last) with the
// counter bumped if last is ahead. Successive calls strictly increase.
func (c *Clock) Tick(pt time.Time) Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = next(c.last, FromTime(pt))
	return c.last
}

// Update takes a timestamp received from elsewhere (a signed command's
// issued-at) into account and returns a timestamp for the receive event:
// above both the remote one and every one issued so far.
func (c *Clock) Update(remote Timestamp) Timestamp {
	pt := FromTime(c.now())
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote > c.last {
		c.last = remote
	}
	c.last = next(c.last, pt)
	return c.last
}

// Last is the latest timestamp issued, to be saved so that the clock
// resumes above it after a restart.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
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
