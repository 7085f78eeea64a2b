package hlc

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func now(t *testing.T, c *Clock) Timestamp {
	t.Helper()
	ts, err := c.Now()
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func TestNowIsMonotonicWhenTheWallClockGoesBack(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(1_000_000)}
	c := NewClock(f.now, 0)
	a := now(t, c)
	if a.WallMS() != 1_000_000 || a.Logical() != 0 {
		t.Fatalf("first: %v", a)
	}
	b := now(t, c) // same millisecond
	if b <= a || b.WallMS() != a.WallMS() || b.Logical() != 1 {
		t.Fatalf("same ms: %v then %v", a, b)
	}
	f.t = f.t.Add(-time.Hour) // clock set back
	d := now(t, c)
	if d <= b || d.WallMS() != b.WallMS() {
		t.Fatalf("after the clock went back: %v then %v", b, d)
	}
	f.t = time.UnixMilli(2_000_000)
	e := now(t, c)
	if e.WallMS() != 2_000_000 || e.Logical() != 0 {
		t.Fatalf("clock moved on: %v", e)
	}
}

func TestUpdateStaysAboveRemote(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(5_000)} // a Pi that booted in 1970
	c := NewClock(f.now, 0)
	remote := New(1_767_225_600_000, 7) // a signed command from 2026
	if err := c.Update(remote); err != nil {
		t.Fatal(err)
	}
	got := now(t, c)
	if got <= remote {
		t.Fatalf("update %v is not above remote %v", got, remote)
	}
	if n := now(t, c); n <= got {
		t.Fatalf("now %v after update %v", n, got)
	}
	// An older remote does not move the clock back.
	_ = c.Update(New(10, 0))
	if old := now(t, c); old <= got {
		t.Fatalf("older remote moved the clock back: %v", old)
	}
}

func TestRestoredClockResumesAboveLast(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(1_000)}
	saved := New(9_000, 3)
	c := NewClock(f.now, saved)
	if n := now(t, c); n <= saved {
		t.Fatalf("restored clock issued %v, not above %v", n, saved)
	}
	if c.Last() <= saved {
		t.Fatal("Last not above the saved value")
	}
}

func TestLogicalOverflowCarries(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(1_000)}
	c := NewClock(f.now, New(1_000, 0xffff))
	n := now(t, c)
	if n.WallMS() != 1_001 || n.Logical() != 0 {
		t.Fatalf("overflow: %v", n)
	}
}

func TestPackingAndRange(t *testing.T) {
	ts := New(1_767_225_600_123, 42)
	if ts.WallMS() != 1_767_225_600_123 || ts.Logical() != 42 {
		t.Fatalf("unpacked %d %d", ts.WallMS(), ts.Logical())
	}
	if got := ts.Time(); !got.Equal(time.UnixMilli(1_767_225_600_123)) {
		t.Fatalf("time %v", got)
	}
	if New(-5, 0) != 0 {
		t.Fatal("negative wall not clamped")
	}
	if New(1<<62, 0).WallMS() != maxWall {
		t.Fatal("huge wall not clamped")
	}
	if s := ts.String(); s != "2026-01-01T00:00:00.123Z+42" {
		t.Fatalf("string %q", s)
	}
}

func ExampleClock() {
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(func() time.Time { return wall }, 0)
	a, _ := c.Now()
	b, _ := c.Now()
	fmt.Println(a)
	fmt.Println(b)
	// Output:
	// 2026-01-01T00:00:00.000Z+0
	// 2026-01-01T00:00:00.000Z+1
}

// saver records the ceilings a durable clock saves, as its store would.
type saver struct {
	saved []Timestamp
	err   error
}

func (s *saver) save(ts Timestamp) error {
	if s.err != nil {
		return s.err
	}
	s.saved = append(s.saved, ts)
	return nil
}

func (s *saver) last() Timestamp {
	if len(s.saved) == 0 {
		return 0
	}
	return s.saved[len(s.saved)-1]
}

// The attack of issue 9 item 8: a clock whose last value is lost (kill -9
// before it was saved, a store recovered empty) and whose wall clock is set
// back must still resume above every timestamp it issued. A durable clock
// issues nothing above its saved ceiling.
func TestDurableClockNeverIssuesAboveItsSavedCeiling(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(1_000_000)}
	s := &saver{}
	c := NewDurable(f.now, 0, 0, time.Minute, s.save)
	var issued []Timestamp
	for i := range 300 {
		f.t = f.t.Add(time.Second)
		if i == 150 {
			f.t = f.t.Add(-10 * time.Minute) // clock set back while running
		}
		issued = append(issued, now(t, c))
		if issued[i] > s.last() {
			t.Fatalf("issued %v above the saved ceiling %v", issued[i], s.last())
		}
	}
	// One save per minute of wall time, not one per event.
	if len(s.saved) > 300/60+2 {
		t.Fatalf("%d saves for 300 events over 5 min", len(s.saved))
	}
	// Restart after a crash that lost everything but the ceiling, with the
	// wall clock 10 minutes back.
	f.t = f.t.Add(-10 * time.Minute)
	c2 := NewDurable(f.now, 0, s.last(), time.Minute, s.save)
	first := now(t, c2)
	for _, ts := range issued {
		if first <= ts {
			t.Fatalf("first timestamp after the restart %v is not above %v issued before", first, ts)
		}
	}
}

func TestDurableClockSavesARemoteTimestampAtOnce(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(5_000)}
	s := &saver{}
	c := NewDurable(f.now, 0, 0, time.Minute, s.save)
	remote := New(1_767_225_600_000, 7) // a signed command's iat far ahead of the wall clock
	if err := c.Update(remote); err != nil {
		t.Fatal(err)
	}
	if s.last() < remote {
		t.Fatalf("ceiling %v saved below the remote %v: a crash now would forget it", s.last(), remote)
	}
	c2 := NewDurable(f.now, 0, s.last(), time.Minute, s.save)
	if n := now(t, c2); n <= remote {
		t.Fatalf("after a restart %v is not above the remote %v", n, remote)
	}
}

func TestDurableClockIssuesNothingWhenItCannotSave(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(5_000)}
	boom := errors.New("disk full")
	s := &saver{}
	c := NewDurable(f.now, 0, 0, time.Minute, s.save)
	first := now(t, c)
	f.t = f.t.Add(2 * time.Minute) // past the reserved minute
	s.err = boom
	if ts, err := c.Now(); !errors.Is(err, boom) {
		t.Fatalf("Now = %v, %v; want the save error", ts, err)
	}
	if c.Last() != first {
		t.Fatalf("a failed save moved the clock to %v", c.Last())
	}
}
