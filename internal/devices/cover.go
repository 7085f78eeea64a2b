package devices

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// cover is a curtain or blind driven by two interlocked relays. Every relay
// write happens under mu, the other relay is always written off before one
// goes on, and a relay goes on only when the other has been off for at least
// reverseDelay: energising both would short a motor's two windings.
type cover struct {
	h            *Hub
	id, name     string
	up, down     gpio.PinIO
	onLvl        gpio.Level
	travel       time.Duration
	reverseDelay time.Duration

	mu      sync.Mutex
	shut    bool
	pos     float64   // 0 closed .. 100 open, as of since while running
	dir     int       // commanded: +1 opening, -1 closing, 0 stopped
	running int       // energised relay: +1 up, -1 down, 0 none
	since   time.Time // when running began or pos was last settled
	target  float64
	offAt   [2]time.Time // when up [0] and down [1] were last de-energised
	t       timer        // the reverse-delay wait, or the end of travel
}

type coverSaved struct {
	Position *float64 `cbor:"position"`
}

func newCover(b *builder, c CoverOpts) *cover {
	cv := &cover{
		h: b.h, id: c.ID, name: c.Name, onLvl: c.Active,
		travel: c.Travel, reverseDelay: c.ReverseDelay,
	}
	cv.up = b.output("cover", c.ID, "up", c.Up, !cv.onLvl)
	cv.down = b.output("cover", c.ID, "down", c.Down, !cv.onLvl)
	// The motor may have been running either way before a restart: both
	// relays count as just switched off.
	now := b.h.clk.Now()
	cv.offAt = [2]time.Time{now, now}
	return cv
}

func (c *cover) do(action, value string) (State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shut {
		return State{}, errShutdown("cover", c.id, action)
	}
	now := c.h.clk.Now()
	var evs []Event
	switch action {
	case "open", "close", "stop":
		if err := noValue("cover", c.id, action, value); err != nil {
			return State{}, err
		}
		switch action {
		case "open":
			evs = c.move(now, 100)
		case "close":
			evs = c.move(now, 0)
		case "stop":
			evs = c.stop(now)
		}
	case "set-position":
		p, err := parseNumber(value, 0, 100)
		if err != nil {
			return State{}, errBadValue("cover", c.id, action, value, err.Error()+" %")
		}
		evs = c.move(now, p)
	default:
		return State{}, errUnknownAction("cover", c.id, action, "open", "close", "stop", "set-position")
	}
	c.record(evs)
	return c.stateLocked(now), nil
}

// position is where the cover is at now, by time travelled.
func (c *cover) position(now time.Time) float64 {
	p := c.pos + float64(c.running)*100*float64(now.Sub(c.since))/float64(c.travel)
	return math.Min(100, math.Max(0, p))
}

// move heads for target, reversing through the reverse delay if needed.
func (c *cover) move(now time.Time, target float64) []Event {
	c.pos, c.since = c.position(now), now
	if target == c.pos {
		return c.stop(now)
	}
	dir := 1
	if target < c.pos {
		dir = -1
	}
	c.target = target
	if dir == c.dir {
		if c.running == dir {
			c.armArrival()
		}
		return nil
	}
	c.halt(now)
	c.dir = dir
	evs := []Event{newEvent(ClassState, c.id, "cover_moving", "direction", direction(dir))}
	// A fresh reading of the clock, not now: the goroutine may have been
	// descheduled since, and the wait must count from the real write.
	if wait := c.offAt[relayIndex(-dir)].Add(c.reverseDelay).Sub(c.h.clk.Now()); wait > 0 {
		c.h.arm(&c.t, &c.mu, wait, func() { c.energise(c.h.clk.Now()) })
	} else {
		c.energise(now)
	}
	return evs
}

// energise switches the motor on in the commanded direction.
func (c *cover) energise(now time.Time) {
	on, other := c.up, c.down
	if c.dir < 0 {
		on, other = c.down, c.up
	}
	c.h.out(other, !c.onLvl) // already off; written again because the interlock must not rest on our bookkeeping alone
	if err := c.h.out(on, c.onLvl); err != nil {
		c.h.out(on, !c.onLvl)
		c.dir = 0
		c.record([]Event{c.stoppedEvent("relay_error")})
		return
	}
	c.running, c.since = c.dir, now
	c.armArrival()
}

// armArrival stops the motor after the remaining travel time.
func (c *cover) armArrival() {
	remaining := time.Duration(math.Abs(c.target-c.pos) / 100 * float64(c.travel))
	c.h.arm(&c.t, &c.mu, remaining, func() {
		now := c.h.clk.Now()
		c.halt(now)
		c.pos, c.dir = c.target, 0 // exact, not rounded by a late timer
		c.record([]Event{c.stoppedEvent("")})
	})
}

// halt de-energises the running relay and cancels any wait.
func (c *cover) halt(now time.Time) {
	c.t.stop()
	if c.running == 0 {
		return
	}
	c.pos, c.since = c.position(now), now
	p := c.up
	if c.running < 0 {
		p = c.down
	}
	c.h.out(p, !c.onLvl)
	// Read after the write, so the reverse delay counts from no earlier
	// than the moment the relay really went off.
	c.offAt[relayIndex(c.running)] = c.h.clk.Now()
	c.running = 0
}

func (c *cover) stop(now time.Time) []Event {
	c.halt(now)
	if c.dir == 0 {
		return nil
	}
	c.dir = 0
	return []Event{c.stoppedEvent("")}
}

func (c *cover) stoppedEvent(reason string) Event {
	if reason != "" {
		return newEvent(ClassState, c.id, "cover_stopped", "position", int64(math.Round(c.pos)), "reason", reason)
	}
	return newEvent(ClassState, c.id, "cover_stopped", "position", int64(math.Round(c.pos)))
}

func relayIndex(dir int) int {
	if dir > 0 {
		return 0
	}
	return 1
}

func direction(dir int) string {
	if dir > 0 {
		return "open"
	}
	return "close"
}

func (c *cover) record(evs []Event) {
	p := c.pos
	c.h.journal.note(c.id, encode(coverSaved{Position: &p}), evs)
}

// restore sets the position without moving the cover.
func (c *cover) restore(data []byte) error {
	var v coverSaved
	if err := decode(data, &v); err != nil {
		return err
	}
	if v.Position == nil || math.IsNaN(*v.Position) || *v.Position < 0 || *v.Position > 100 {
		return errors.New("cover record without a position within 0..100")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dir != 0 {
		return fmt.Errorf("cover is moving; saved position %g not applied", *v.Position)
	}
	c.pos = *v.Position
	return nil
}

func (c *cover) shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shut = true
	now := c.h.clk.Now()
	c.halt(now)
	if c.dir != 0 {
		c.dir = 0
		c.record([]Event{c.stoppedEvent("shutdown")})
	}
}

func (c *cover) state() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateLocked(c.h.clk.Now())
}

func (c *cover) stateLocked(now time.Time) State {
	p := c.position(now)
	s := State{ID: c.id, Kind: "cover", Name: c.name, Attrs: map[string]any{"position": int64(math.Round(p))}}
	switch {
	case c.dir > 0:
		s.State = "opening"
	case c.dir < 0:
		s.State = "closing"
	case p >= 100:
		s.State = "open"
	case p <= 0:
		s.State = "closed"
	default:
		s.State = "stopped"
	}
	return s
}
