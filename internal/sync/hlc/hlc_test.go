package hlc

import (
	"fmt"
	"testing"
	"time"
)

type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func TestTickIsMonotonicWhenTheWallClockGoesBack(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(1_000_000)}
	c := NewClock(f.now, 0)
	a := c.Now()
	if a.WallMS() != 1_000_000 || a.Logical() != 0 {
		t.Fatalf("first: %v", a)
	}
	b := c.Now() // same millisecond
	if b <= a || b.WallMS() != a.WallMS() || b.Logical() != 1 {
		t.Fatalf("same ms: %v then %v", a, b)
	}
	f.t = f.t.Add(-time.Hour) // clock set back
	d := c.Now()
	if d <= b || d.WallMS() != b.WallMS() {
		t.Fatalf("after the clock went back: %v then %v", b, d)
	}
	f.t = time.UnixMilli(2_000_000)
	e := c.Now()
	if e.WallMS() != 2_000_000 || e.Logical() != 0 {
		t.Fatalf("clock moved on: %v", e)
	}
}

func TestUpdateStaysAboveRemote(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(5_000)} // a Pi that booted in 1970
	c := NewClock(f.now, 0)
	remote := New(1_767_225_600_000, 7) // a signed command from 2026
	got := c.Update(remote)
	if got <= remote {
		t.Fatalf("update %v is not above remote %v", got, remote)
	}
	if n := c.Now(); n <= got {
		t.Fatalf("now %v after update %v", n, got)
	}
	// An older remote does not move the clock back.
	if old := c.Update(New(10, 0)); old <= got {
		t.Fatalf("older remote moved the clock back: %v", old)
	}
}

func TestRestoredClockResumesAboveLast(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(1_000)}
	saved := New(9_000, 3)
	c := NewClock(f.now, saved)
	if n := c.Now(); n <= saved {
		t.Fatalf("restored clock issued %v, not above %v", n, saved)
	}
	if c.Last() <= saved {
		t.Fatal("Last not above the saved value")
	}
}

func TestLogicalOverflowCarries(t *testing.T) {
	f := &fakeNow{t: time.UnixMilli(1_000)}
	c := NewClock(f.now, New(1_000, 0xffff))
	n := c.Now()
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
	fmt.Println(c.Now())
	fmt.Println(c.Now())
	// Output:
	// 2026-01-01T00:00:00.000Z+0
	// 2026-01-01T00:00:00.000Z+1
}
