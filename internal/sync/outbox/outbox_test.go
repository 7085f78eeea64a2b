package outbox

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/store"
)

// openStore opens a store on t.TempDir(); the store is closed in t.Cleanup.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, _, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func appendN(t testing.TB, st *store.Store, class store.Class, device, typ string, n int) {
	t.Helper()
	err := st.Update(func(tx *store.Tx) error {
		for i := range n {
			ev := &store.Event{Class: class, Device: device, Type: typ, Data: map[string]any{"i": int64(i)}}
			if err := st.AppendEvent(tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustOpen(t testing.TB, st *store.Store, l Limits) *Outbox {
	t.Helper()
	o, err := Open(Options{Store: st, Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func refresh(t testing.TB, o *Outbox) {
	t.Helper()
	if _, err := o.Refresh(); err != nil {
		t.Fatal(err)
	}
}

func all(t testing.TB, o *Outbox) []store.Event {
	t.Helper()
	evs, err := o.Next(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func refs(evs []store.Event) []Ref {
	var r []Ref
	for _, ev := range evs {
		r = append(r, Ref{ev.Seq, ev.Class})
	}
	return r
}

func TestCountsNextAckAndReopen(t *testing.T) {
	st := openStore(t)
	o := mustOpen(t, st, Limits{})
	appendN(t, st, store.ClassAudit, "door", "unlocked", 3)
	appendN(t, st, store.ClassState, "light", "on", 2)
	appendN(t, st, store.ClassTelemetry, "boiler", "temperature", 4)
	refresh(t, o)
	s := o.Stats()
	if s.Total != 9 || s.Pending[store.ClassAudit] != 3 || s.Pending[store.ClassState] != 2 || s.Pending[store.ClassTelemetry] != 4 {
		t.Fatalf("stats %+v", s)
	}
	if s.Oldest.IsZero() {
		t.Error("no oldest time")
	}

	// Next sees only counted events, in order.
	appendN(t, st, store.ClassAudit, "door", "locked", 1)
	evs := all(t, o)
	if len(evs) != 9 {
		t.Fatalf("Next returned %d events before Refresh counted the 10th", len(evs))
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
	refresh(t, o)
	if got, _ := o.Next(5, 2); len(got) != 2 || got[0].Seq != 6 || got[1].Seq != 7 {
		t.Fatalf("Next(5, 2) = %v", got)
	}

	if err := o.Ack(refs(evs[:4])); err != nil {
		t.Fatal(err)
	}
	if err := o.Ack(refs(evs[:4])); err != nil { // a duplicate PUBACK
		t.Fatal(err)
	}
	if s := o.Stats(); s.Total != 6 || s.Pending[store.ClassAudit] != 1 || s.Pending[store.ClassState] != 1 {
		t.Fatalf("after ack: %+v", s)
	}

	// A restart without Flush counts the unsaved part again, exactly.
	o2 := mustOpen(t, st, Limits{})
	refresh(t, o2)
	if s := o2.Stats(); s.Total != 6 || s.Pending[store.ClassAudit] != 1 || s.Pending[store.ClassTelemetry] != 4 {
		t.Fatalf("after reopen: %+v", s)
	}
	if err := o2.Ack(refs(all(t, o2))); err != nil {
		t.Fatal(err)
	}
	if err := o2.Flush(); err != nil {
		t.Fatal(err)
	}
	o3 := mustOpen(t, st, Limits{})
	refresh(t, o3)
	if s := o3.Stats(); s.Total != 0 {
		t.Fatalf("after draining: %+v", s)
	}
	// Acknowledged events stay in the log as local history, behind the
	// cursor.
	if n, _, _ := st.CountEvents(); n != 10 {
		t.Fatalf("%d events left in the log, want all 10 kept as history", n)
	}
	if d := delivered(t, st); d != 10 {
		t.Fatalf("cursor at %d after every event was acknowledged, want 10", d)
	}
}

func delivered(t testing.TB, st *store.Store) uint64 {
	t.Helper()
	var d uint64
	if err := st.View(func(tx *store.Tx) error { d = st.Delivered(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	return d
}

// PUBACKs arrive out of order (one goroutine per token): the cursor moves
// only over events acknowledged in a row, and a restart sends again exactly
// those after the first one still awaited.
func TestAckOutOfOrderMovesCursorOverARun(t *testing.T) {
	st := openStore(t)
	o := mustOpen(t, st, Limits{})
	appendN(t, st, store.ClassAudit, "door", "unlocked", 6)
	refresh(t, o)
	evs := all(t, o)
	if err := o.Ack(refs([]store.Event{evs[1], evs[2], evs[4]})); err != nil {
		t.Fatal(err)
	}
	if d := delivered(t, st); d != 0 {
		t.Fatalf("cursor at %d with seq 1 still awaited", d)
	}
	if s := o.Stats(); s.Total != 3 {
		t.Fatalf("pending %d after 3 of 6 acknowledged, want 3", s.Total)
	}
	if err := o.Ack(refs(evs[:1])); err != nil {
		t.Fatal(err)
	}
	if d := delivered(t, st); d != 3 {
		t.Fatalf("cursor at %d, want 3 (seqs 1-3 acknowledged, 4 awaited)", d)
	}
	if next, _ := o.Next(0, 10); len(next) != 3 || next[0].Seq != 4 {
		t.Fatalf("a new session would send %v, want seqs 4, 5, 6", next)
	}
	// A restart keeps the out-of-order ack of 5: acking it again (a new
	// session resends from the cursor) counts once.
	o2 := mustOpen(t, st, Limits{})
	refresh(t, o2)
	if s := o2.Stats(); s.Total != 2 {
		t.Fatalf("after reopen: pending %d, want 2 (4 and 6)", s.Total)
	}
	if err := o2.Ack(refs(evs[3:])); err != nil {
		t.Fatal(err)
	}
	if s, d := o2.Stats(), delivered(t, st); s.Total != 0 || d != 6 {
		t.Fatalf("after acking the rest: pending %d, cursor %d; want 0 and 6", s.Total, d)
	}
}

func TestBounds(t *testing.T) {
	t.Run("telemetry drops the oldest", func(t *testing.T) {
		st := openStore(t)
		o := mustOpen(t, st, Limits{Telemetry: 10})
		appendN(t, st, store.ClassAudit, "door", "unlocked", 2)
		appendN(t, st, store.ClassTelemetry, "boiler", "temperature", 25)
		refresh(t, o)
		evs := all(t, o)
		var tele []store.Event
		for _, ev := range evs {
			if ev.Class == store.ClassTelemetry {
				tele = append(tele, ev)
			}
		}
		if len(tele) != 10 || tele[0].Data["i"] != uint64(15) || tele[9].Data["i"] != uint64(24) {
			t.Fatalf("kept %d telemetry events: %v", len(tele), tele)
		}
		if s := o.Stats(); s.Pending[store.ClassTelemetry] != 10 || s.Pending[store.ClassAudit] != 2 || s.Dropped[store.ClassTelemetry] != 15 {
			t.Fatalf("stats %+v", s)
		}
		// Once more: the cursor below which no telemetry is left works.
		appendN(t, st, store.ClassTelemetry, "boiler", "temperature", 5)
		refresh(t, o)
		if s := o.Stats(); s.Pending[store.ClassTelemetry] != 10 || s.Dropped[store.ClassTelemetry] != 20 {
			t.Fatalf("stats %+v", s)
		}
	})

	t.Run("state keeps the latest per device and type", func(t *testing.T) {
		st := openStore(t)
		o := mustOpen(t, st, Limits{State: 5})
		for _, dev := range []string{"a", "b", "c"} {
			appendN(t, st, store.ClassState, dev, "setpoint", 4)
		}
		appendN(t, st, store.ClassState, "a", "mode", 1)
		refresh(t, o)
		evs := all(t, o)
		if len(evs) != 4 {
			t.Fatalf("kept %d: %v", len(evs), evs)
		}
		for _, ev := range evs[:3] {
			if ev.Data["i"] != uint64(3) {
				t.Errorf("kept an older state event: %+v", ev)
			}
		}
		if s := o.Stats(); s.Pending[store.ClassState] != 4 || s.Dropped[store.ClassState] != 9 {
			t.Fatalf("stats %+v", s)
		}
	})

	t.Run("audit is never dropped and raises an alarm", func(t *testing.T) {
		st := openStore(t)
		o := mustOpen(t, st, Limits{Audit: 5})
		appendN(t, st, store.ClassAudit, "door", "unlocked", 6)
		refresh(t, o)
		refresh(t, o) // counts the alarm event itself
		evs := all(t, o)
		if len(evs) != 7 || evs[6].Type != EventAlarmRaised || evs[6].Data["alarm"] != AlarmOutboxFull {
			t.Fatalf("events %v", evs)
		}
		if s := o.Stats(); !s.AuditFull || s.Pending[store.ClassAudit] != 7 {
			t.Fatalf("stats %+v", s)
		}
		// More audit events: no second alarm.
		appendN(t, st, store.ClassAudit, "door", "locked", 3)
		refresh(t, o)
		if got := all(t, o); len(got) != 10 {
			t.Fatalf("%d events", len(got))
		}
		// The alarm survives a restart without being raised again.
		o = mustOpen(t, st, Limits{Audit: 5})
		refresh(t, o)
		if s := o.Stats(); !s.AuditFull || s.Total != 10 {
			t.Fatalf("after reopen: %+v", s)
		}
		if err := o.Ack(refs(all(t, o))); err != nil {
			t.Fatal(err)
		}
		appendN(t, st, store.ClassAudit, "door", "unlocked", 1)
		refresh(t, o)
		refresh(t, o) // counts the alarm_cleared event
		evs = all(t, o)
		if len(evs) != 2 || evs[1].Type != EventAlarmCleared || o.Stats().AuditFull {
			t.Fatalf("after draining: %v %+v", evs, o.Stats())
		}
	})
}

// An event a bound drops while it is in flight is subtracted once, even
// when its PUBACK arrives afterwards.
func TestAckAfterDropCountsOnce(t *testing.T) {
	st := openStore(t)
	o := mustOpen(t, st, Limits{Telemetry: 3})
	appendN(t, st, store.ClassTelemetry, "boiler", "temperature", 3)
	refresh(t, o)
	inFlight := all(t, o)
	appendN(t, st, store.ClassTelemetry, "boiler", "temperature", 3)
	refresh(t, o) // drops the three in flight
	if err := o.Ack(refs(inFlight)); err != nil {
		t.Fatal(err)
	}
	if s := o.Stats(); s.Pending[store.ClassTelemetry] != 3 {
		t.Fatalf("stats %+v", s)
	}
}

// Ack takes refs in any order, repeated, and naming events a bound has
// shed: each event still in the log is subtracted once, and the cursor
// moves over the run acknowledged from its start, whatever the order.
func TestAckUnsortedRepeatedAndShedRefs(t *testing.T) {
	st := openStore(t)
	o := mustOpen(t, st, Limits{Telemetry: 3})
	appendN(t, st, store.ClassAudit, "door", "unlocked", 3)          // seqs 1-3
	appendN(t, st, store.ClassTelemetry, "boiler", "temperature", 3) // 4-6
	refresh(t, o)
	appendN(t, st, store.ClassTelemetry, "boiler", "temperature", 2) // 7, 8
	refresh(t, o)                                                    // sheds 4 and 5
	a, tl := store.ClassAudit, store.ClassTelemetry
	if err := o.Ack([]Ref{{8, tl}, {3, a}, {1, a}, {3, a}, {5, tl}, {2, a}, {6, tl}, {1, a}}); err != nil {
		t.Fatal(err)
	}
	check := func(o *Outbox, when string) {
		t.Helper()
		if d := delivered(t, st); d != 6 {
			t.Fatalf("%s: cursor at %d, want 6 (1-3 and 6 acknowledged, 4-5 shed, 7 awaited)", when, d)
		}
		if s := o.Stats(); s.Total != 1 || s.Pending[tl] != 1 {
			t.Fatalf("%s: pending %v, want only seq 7", when, s.Pending)
		}
		if next := all(t, o); len(next) != 2 || next[0].Seq != 7 || next[1].Seq != 8 {
			t.Fatalf("%s: a new session would send %v, want seqs 7 and 8 (from the cursor)", when, next)
		}
	}
	check(o, "after the ack")
	o2 := mustOpen(t, st, Limits{Telemetry: 3})
	refresh(t, o2)
	check(o2, "after reopening")
	if err := o2.Ack([]Ref{{7, tl}, {8, tl}}); err != nil {
		t.Fatal(err)
	}
	if d, s := delivered(t, st), o2.Stats(); d != 8 || s.Total != 0 {
		t.Fatalf("after acking 7: cursor %d, pending %d; want 8 and 0 (8 counted once)", d, s.Total)
	}
}

// A crash between writing the counters and deleting the events: Open
// finishes the delete, and the counters are right.
func TestInterruptedDeleteIsFinishedAtOpen(t *testing.T) {
	st := openStore(t)
	o := mustOpen(t, st, Limits{})
	appendN(t, st, store.ClassAudit, "door", "unlocked", 5)
	refresh(t, o)
	// What remove writes before it deletes, and nothing after.
	m := o.m
	m.Counts = map[string]int{string(store.ClassAudit): 3}
	m.Deleting = []uint64{2, 4}
	if err := st.Update(func(tx *store.Tx) error { return putMeta(tx, &m) }); err != nil {
		t.Fatal(err)
	}
	o = mustOpen(t, st, Limits{})
	refresh(t, o)
	evs := all(t, o)
	if fmt.Sprint(seqs(evs)) != "[1 3 5]" || o.Stats().Total != 3 {
		t.Fatalf("after reopen: %v %+v", seqs(evs), o.Stats())
	}
}

func TestDamagedMetaIsRecounted(t *testing.T) {
	st := openStore(t)
	o := mustOpen(t, st, Limits{})
	appendN(t, st, store.ClassState, "light", "on", 4)
	refresh(t, o)
	if err := o.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(tx *store.Tx) error { return tx.Bucket(metaBucket).Put(metaKey, []byte{0xff, 0x00}) }); err != nil {
		t.Fatal(err)
	}
	o = mustOpen(t, st, Limits{})
	refresh(t, o)
	if s := o.Stats(); s.Total != 4 {
		t.Fatalf("stats %+v", s)
	}
}

func seqs(evs []store.Event) []uint64 {
	var s []uint64
	for _, ev := range evs {
		s = append(s, ev.Seq)
	}
	return s
}

// A hub with a cloud link whose broker is down for a whole year (fake
// clock) of a hallway's motion sensor and front door: the telemetry bound
// sheds the oldest motion, the store holds every event never sent, and the
// log stays under its size bound every day, every door event still queued.
func TestYearWithTheBrokerDownStaysUnderTheBound(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	const bound = 1 << 20
	st, _, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{Now: clk.Now,
		Retention: store.Retention{MaxBytes: bound, Hold: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o := mustOpen(t, st, Limits{Telemetry: 5000})
	doors := 0
	for day := range 365 {
		start := clk.Now()
		err := st.Update(func(tx *store.Tx) error {
			for i := range 200 {
				at := start.Add(time.Duration(i) * 432 * time.Second)
				if err := st.AppendEvent(tx, &store.Event{Time: at, Class: store.ClassTelemetry, Device: "hall-motion", Type: "motion"}); err != nil {
					return err
				}
			}
			for i := range 10 {
				if err := st.AppendEvent(tx, &store.Event{Time: start.Add(time.Duration(i) * time.Hour), Class: store.ClassAudit, Device: "front-door", Type: "contact_opened"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		doors += 10
		clk.Advance(24 * time.Hour)
		refresh(t, o)
		if _, err := st.Prune(); err != nil {
			t.Fatal(err)
		}
		h, err := st.History()
		if err != nil {
			t.Fatal(err)
		}
		s := o.Stats()
		if h.Bytes > bound {
			t.Fatalf("day %d: %d bytes in the log, over the bound of %d", day, h.Bytes, bound)
		}
		if s.Pending[store.ClassAudit] != doors || s.Pending[store.ClassTelemetry] > 5000 {
			t.Fatalf("day %d: pending %v; want every one of %d door events and at most 5000 motion", day, s.Pending, doors)
		}
		if int64(s.Total) != h.Events {
			t.Fatalf("day %d: %d queued but %d in the log: the log holds something the queue does not count", day, s.Total, h.Events)
		}
	}
}

// A reading waiting for the store's flush is not queued for the cloud: a
// power cut would lose it and give its seq to the next event, which the
// cloud would then drop as a duplicate. Once flushed it is queued.
func TestReadingIsQueuedOnlyOnceDurable(t *testing.T) {
	st, _, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{TelemetryDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	o := mustOpen(t, st, Limits{})
	reading := []store.Event{{Class: store.ClassTelemetry, Type: "motion"}}
	if err := st.Record("hall", nil, reading); err != nil {
		t.Fatal(err)
	}
	if found, err := o.Refresh(); err != nil || found {
		t.Fatalf("Refresh before the flush: found %v, %v", found, err)
	}
	if evs := all(t, o); len(evs) != 0 {
		t.Fatalf("queued before it was durable: %v", evs)
	}
	if err := st.Update(func(*store.Tx) error { return nil }); err != nil { // the next durable write flushes it
		t.Fatal(err)
	}
	refresh(t, o)
	if evs := all(t, o); len(evs) != 1 || evs[0].Seq != reading[0].Seq {
		t.Fatalf("after the flush: %v, want the reading %d", evs, reading[0].Seq)
	}
}
