package store

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
)

func openRetained(t testing.TB, path string, clk *clocktest.Fake, r Retention) *Store {
	t.Helper()
	s, _, err := Open(path, Options{Now: clk.Now, Retention: r})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); checkFile(t, path) })
	return s
}

// appendAt appends events at the given times in one transaction.
func appendAt(t testing.TB, s *Store, evs ...Event) {
	t.Helper()
	err := s.Update(func(tx *Tx) error {
		for i := range evs {
			ev := evs[i]
			if err := s.AppendEvent(tx, &ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func motion(at time.Time) Event {
	return Event{Time: at, Class: ClassTelemetry, Device: "hall-motion", Type: "motion", Data: map[string]any{"pin": "GPIO5"}}
}

func doorOpened(at time.Time) Event {
	return Event{Time: at, Class: ClassAudit, Device: "front-door", Type: "contact_opened"}
}

func classesLeft(t testing.TB, s *Store) map[Class]int {
	t.Helper()
	_, by, err := s.CountEvents()
	if err != nil {
		t.Fatal(err)
	}
	return by
}

// measured is the log's bytes by a walk, to check the kept count.
func measured(t testing.TB, s *Store) logSize {
	t.Helper()
	var n logSize
	err := s.View(func(tx *Tx) error {
		return tx.Bucket(eventsBucket).ForEach(func(_, v []byte) error {
			n.count++
			n.bytes += recordBytes(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func checkSize(t testing.TB, s *Store) History {
	t.Helper()
	h, err := s.History()
	if err != nil {
		t.Fatal(err)
	}
	if m := measured(t, s); m.count != h.Events || m.bytes != h.Bytes {
		t.Fatalf("the kept size says %d events, %d bytes; the log holds %d, %d", h.Events, h.Bytes, m.count, m.bytes)
	}
	return h
}

// Telemetry and state go after MaxAge, audit only after AuditMaxAge.
func TestRetentionByAgeKeepsAuditLongest(t *testing.T) {
	clk := clocktest.New(testNow)
	s := openRetained(t, testPath(t), clk, Retention{MaxAge: 30 * 24 * time.Hour, AuditMaxAge: 365 * 24 * time.Hour})
	day := 24 * time.Hour
	appendAt(t, s, motion(testNow), doorOpened(testNow), motion(testNow.Add(20*day)))
	appendAt(t, s, Event{Time: testNow.Add(20 * day), Class: ClassState, Device: "hall-light", Type: "on"})

	clk.Set(testNow.Add(40 * day))
	p, err := s.Prune()
	if err != nil {
		t.Fatal(err)
	}
	if p.Events[ClassTelemetry] != 1 || p.Events[ClassAudit] != 0 {
		t.Fatalf("40 days on, pruned %+v; want only the first motion", p)
	}
	if left := classesLeft(t, s); left[ClassAudit] != 1 || left[ClassTelemetry] != 1 || left[ClassState] != 1 {
		t.Fatalf("left %v", left)
	}
	clk.Set(testNow.Add(366 * day))
	if _, err := s.Prune(); err != nil {
		t.Fatal(err)
	}
	if left := classesLeft(t, s); len(left) != 0 {
		t.Fatalf("a year on, left %v; want nothing", left)
	}
	checkSize(t, s)
	// Seqs are never reused after a prune.
	appendAt(t, s, motion(clk.Now()))
	if evs, _ := s.Events(0, 0); len(evs) != 1 || evs[0].Seq != 5 {
		t.Fatalf("after pruning all: %+v; want one event with seq 5", evs)
	}
}

// Over the size bound, the oldest telemetry and state go first; audit goes
// only when nothing else is left, and the log ends at or under the bound.
func TestRetentionBySizeAuditLast(t *testing.T) {
	clk := clocktest.New(testNow)
	var evs []Event
	for i := range 200 {
		evs = append(evs, doorOpened(testNow.Add(time.Duration(i)*time.Second)))
	}
	for i := range 2000 {
		evs = append(evs, motion(testNow.Add(time.Duration(200+i)*time.Second)))
	}
	path := testPath(t)
	s := openRetained(t, path, clk, Retention{})
	appendAt(t, s, evs...)
	full := checkSize(t, s)
	s.Close()

	// The same file reopened with a bound a third of its size.
	bound := full.Bytes / 3
	s = openRetained(t, path, clk, Retention{MaxBytes: bound})
	p, err := s.Prune()
	if err != nil {
		t.Fatal(err)
	}
	h := checkSize(t, s)
	if h.Bytes > bound || p.Events[ClassAudit] != 0 || p.Held {
		t.Fatalf("pruned %+v to %d bytes; want at most %d with every audit event kept", p, h.Bytes, bound)
	}
	left := classesLeft(t, s)
	if left[ClassAudit] != 200 || left[ClassTelemetry] == 0 {
		t.Fatalf("left %v; want the 200 audit events and the newest motion", left)
	}
	// The newest motion is kept: the prune went from the oldest.
	if last, _ := s.Events(uint64(len(evs)-1), 0); len(last) != 1 {
		t.Fatalf("the newest event was pruned")
	}

	// A bound below the audit alone: the oldest audit goes too.
	s.ret.MaxBytes = 100 * recordBytes(mustEncode(t, doorOpened(testNow)))
	if _, err := s.Prune(); err != nil {
		t.Fatal(err)
	}
	h = checkSize(t, s)
	left = classesLeft(t, s)
	if h.Bytes > s.ret.MaxBytes || left[ClassTelemetry] != 0 || left[ClassAudit] == 0 || left[ClassAudit] >= 100 {
		t.Fatalf("bound of 100 audit records: %d bytes, left %v", h.Bytes, left)
	}
}

func mustEncode(t testing.TB, ev Event) []byte {
	t.Helper()
	ev.Seq, ev.Boot, ev.HLC = 1, 1, 1
	b, err := encodeEvent(&ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// With a cloud link, nothing the cloud has not acknowledged goes, however
// old or however far over the bound; what it has acknowledged goes as
// history does.
func TestRetentionHoldsWhatTheCloudHasNot(t *testing.T) {
	clk := clocktest.New(testNow)
	s := openRetained(t, testPath(t), clk, Retention{MaxBytes: 1024, Hold: true})
	var evs []Event
	for i := range 100 {
		evs = append(evs, motion(testNow.Add(time.Duration(i)*time.Second)))
	}
	appendAt(t, s, evs...)
	clk.Set(testNow.Add(400 * 24 * time.Hour))
	p, err := s.Prune()
	if err != nil {
		t.Fatal(err)
	}
	if p.total() != 0 || !p.Held {
		t.Fatalf("nothing acknowledged: pruned %+v; want nothing, and Held", p)
	}
	if err := s.Update(func(tx *Tx) error { return s.SetDelivered(tx, 60) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(); err != nil {
		t.Fatal(err)
	}
	evs2, _ := s.Events(0, 0)
	if len(evs2) != 40 || evs2[0].Seq != 61 {
		t.Fatalf("after the cloud acknowledged 1..60: %d events from seq %d; want 61..100", len(evs2), evs2[0].Seq)
	}
	// The cursor only moves forward.
	if err := s.Update(func(tx *Tx) error { return s.SetDelivered(tx, 10) }); err != nil {
		t.Fatal(err)
	}
	if h := checkSize(t, s); h.Delivered != 60 {
		t.Fatalf("cursor at %d after a late SetDelivered(10); want 60", h.Delivered)
	}
}

// A hub with no cloud at all, a year of a hallway's motion sensor and front
// door (fake clock): the log stays within its bound every day, the file
// stops growing once the bound is reached, and the history kept is the
// newest, audit the longest.
func TestRetentionYearOfMotionWithNoCloud(t *testing.T) {
	for _, c := range []struct {
		name string
		r    Retention
	}{
		{"default bounds (30 days)", Retention{}},
		{"256 KiB", Retention{MaxBytes: 256 << 10}},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := clocktest.New(testNow)
			path := testPath(t)
			s := openRetained(t, path, clk, c.r)
			var fileAt90 int64
			for day := range 365 {
				start := testNow.Add(time.Duration(day) * 24 * time.Hour)
				var evs []Event
				for i := range 200 { // a busy hallway: motion and clear every ~7 min
					at := start.Add(time.Duration(i) * 432 * time.Second)
					evs = append(evs, motion(at), Event{Time: at.Add(time.Minute), Class: ClassTelemetry, Device: "hall-motion", Type: "motion_cleared"})
				}
				for i := range 10 {
					evs = append(evs, doorOpened(start.Add(time.Duration(i)*time.Hour)))
				}
				clk.Set(start.Add(24 * time.Hour))
				appendAt(t, s, evs...)
				if _, err := s.Prune(); err != nil {
					t.Fatal(err)
				}
				if err := s.Checkpoint(); err != nil { // as Run does after each prune
					t.Fatal(err)
				}
				h, err := s.History()
				if err != nil {
					t.Fatal(err)
				}
				if h.Bytes > s.ret.MaxBytes {
					t.Fatalf("day %d: the log holds %d bytes, over its bound of %d", day, h.Bytes, s.ret.MaxBytes)
				}
				if age := clk.Now().Sub(h.Oldest); age > s.ret.AuditMaxAge+24*time.Hour {
					t.Fatalf("day %d: the oldest event is %s old, past the audit age %s", day, age, s.ret.AuditMaxAge)
				}
				if day == 90 {
					fileAt90 = fileSize(t, path)
				}
			}
			h := checkSize(t, s)
			left := classesLeft(t, s)
			if left[ClassTelemetry] > 400*31 || left[ClassAudit] == 0 {
				t.Fatalf("after a year: %v", left)
			}
			if f := fileSize(t, path); f > fileAt90 {
				t.Fatalf("the file grew from %d bytes on day 90 to %d after a year: freed pages are not reused", fileAt90, f)
			}
			t.Logf("after a year: %d events (%v), %d bytes in the log, file %d bytes", h.Events, left, h.Bytes, fileSize(t, path))
		})
	}
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// An append that takes the log over its bound wakes Run, which prunes it
// back under the bound without waiting for its period.
func TestRunPrunesAsSoonAsTheBoundIsCrossed(t *testing.T) {
	clk := clocktest.New(testNow)
	s := openRetained(t, testPath(t), clk, Retention{MaxBytes: 4096, Every: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	beats := make(chan struct{}, 16)
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func() {
			select {
			case beats <- struct{}{}:
			default:
			}
		})
	}()
	<-beats // the first turn
	var evs []Event
	for i := range 200 {
		evs = append(evs, motion(testNow.Add(time.Duration(i)*time.Second)))
	}
	appendAt(t, s, evs...)
	select {
	case <-beats:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not turn within 10 s of the bound being crossed (its period is an hour)")
	}
	// Run finishes the turn it is in (the prune) before it sees ctx end.
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h := checkSize(t, s); h.Bytes > 4096 {
		t.Fatalf("still %d bytes after the turn the crossing woke; bound 4096", h.Bytes)
	}
}

// A file written before the log's size was kept is measured once at Open.
func TestLogSizeOfAnOlderFileIsMeasuredAtOpen(t *testing.T) {
	clk := clocktest.New(testNow)
	path := testPath(t)
	s := openRetained(t, path, clk, Retention{})
	appendAt(t, s, motion(testNow), doorOpened(testNow), motion(testNow))
	if err := s.Update(func(tx *Tx) error { return tx.Bucket(metaBucket).Delete(logKey) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openRetained(t, path, clk, Retention{})
	if h := checkSize(t, s); h.Events != 3 {
		t.Fatalf("measured %d events; want 3", h.Events)
	}
}

// Run's beats are the store's liveness: while a commit is stuck (here, an
// Update whose function does not return) the loop stops beating, and it
// beats again once the commit goes through.
func TestRunStopsBeatingWhileACommitIsStuck(t *testing.T) {
	clk := clocktest.New(testNow)
	s := openRetained(t, testPath(t), clk, Retention{Every: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	beats := make(chan struct{}, 1024)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func() { beats <- struct{}{} }) }()
	waitBeats := func(n int, what string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for range n {
			select {
			case <-beats:
			case <-deadline:
				t.Fatalf("%s: fewer than %d beats in 10 s", what, n)
			}
		}
	}
	waitBeats(3, "healthy")

	stuck, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.Update(func(*Tx) error { close(stuck); <-release; return nil })
	}()
	<-stuck
	// The loop is now blocked in (or about to enter) its prune's commit:
	// at most one more beat (a turn that began before), then none for
	// 100 periods. An absence can only be observed over a time.
	for range len(beats) {
		<-beats
	}
	quiet := time.After(500 * time.Millisecond)
	for n := 0; ; {
		select {
		case <-beats:
			if n++; n > 1 {
				t.Fatalf("%d beats while every commit was stuck; want at most 1", n)
			}
			continue
		case <-quiet:
		}
		break
	}
	close(release)
	waitBeats(3, "after the commit went through")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A prune that finds nothing to remove commits nothing: it runs every 10
// minutes, and an SD card wears by writes.
func TestPruneWithNothingToRemoveCommitsNothing(t *testing.T) {
	clk := clocktest.New(testNow)
	s := openRetained(t, testPath(t), clk, Retention{})
	appendAt(t, s, motion(testNow), doorOpened(testNow))
	before := s.commits.Load()
	p, err := s.Prune()
	if err != nil || p.total() != 0 {
		t.Fatalf("Prune of a young log: %+v, %v", p, err)
	}
	if n := s.commits.Load() - before; n != 0 {
		t.Fatalf("%d commits for a prune that removed nothing", n)
	}
	clk.Advance(31 * 24 * time.Hour)
	if p, err := s.Prune(); err != nil || p.Events[ClassTelemetry] != 1 || s.commits.Load()-before != 1 {
		t.Fatalf("31 days on: %+v, %v, %d commits; want the motion pruned in one commit", p, err, s.commits.Load()-before)
	}
}
