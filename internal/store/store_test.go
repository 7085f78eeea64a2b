package store

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/hlc"
)

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	if s.Boot() != 1 || s.Path() != path {
		t.Errorf("Boot, Path = %d, %q; want 1, %q", s.Boot(), s.Path(), path)
	}
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700 | os.ModeDir, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
}

func TestReopenKeepsStateAndEvents(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	if err := s.Record("door", []byte("locked"), []Event{{Class: ClassAudit, Type: "locked"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Record("lamp", []byte("on"), []Event{{Class: ClassState, Type: "on"}, {Class: ClassTelemetry, Type: "watts"}}); err != nil {
		t.Fatal(err)
	}
	// Delete the newest event: its seq must still never come back.
	if err := s.DeleteEvents(3); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path)
	if s.Boot() != 2 {
		t.Errorf("Boot after reopen = %d, want 2", s.Boot())
	}
	states, err := s.DeviceStates()
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]byte{"door": []byte("locked"), "lamp": []byte("on")}; !reflect.DeepEqual(states, want) {
		t.Errorf("DeviceStates = %q, want %q", states, want)
	}
	evs := mustEvents(t, s)
	if got := seqs(evs); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("seqs after reopen = %v, want [1 2]", got)
	}
	want := Event{Seq: 1, Boot: 1, HLC: hlc.FromTime(testNow), Time: testNow, Class: ClassAudit, Device: "door", Type: "locked"}
	if !reflect.DeepEqual(evs[0], want) {
		t.Errorf("event 1 = %+v, want %+v", evs[0], want)
	}

	if err := s.Record("door", []byte("unlocked"), []Event{{Class: ClassAudit, Type: "unlocked"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEvents(1, 2, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Even with the log empty, seqs go on from where they were.
	s = openStore(t, path)
	if s.Boot() != 3 {
		t.Errorf("Boot after second reopen = %d, want 3", s.Boot())
	}
	ev := Event{Class: ClassAudit, Type: "locked"}
	mustUpdate(t, s, func(tx *Tx) error { return s.AppendEvent(tx, &ev) })
	if ev.Seq != 5 || ev.Boot != 3 {
		t.Errorf("new event Seq, Boot = %d, %d; want 5, 3", ev.Seq, ev.Boot)
	}
	if last, err := s.LastSeq(); err != nil || last != 5 {
		t.Errorf("LastSeq = %d, %v; want 5", last, err)
	}
}

func TestEventsPaging(t *testing.T) {
	s := openStore(t, testPath(t))
	for i := 0; i < 10; i++ {
		if err := s.Record("sensor", nil, []Event{{Class: ClassTelemetry, Type: "temp", Data: map[string]any{"c": i}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteEvents(4, 5); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		after uint64
		limit int
		want  []uint64
	}{
		{0, 0, []uint64{1, 2, 3, 6, 7, 8, 9, 10}},
		{0, 3, []uint64{1, 2, 3}},
		{3, 2, []uint64{6, 7}},
		{4, 1, []uint64{6}},
		{9, 5, []uint64{10}},
		{10, 5, []uint64{}},
		{^uint64(0), 5, []uint64{}}, // after+1 wraps; must not restart at 1
	} {
		evs, err := s.Events(tc.after, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := seqs(evs); !slices.Equal(got, tc.want) {
			t.Errorf("Events(%d, %d) = %v, want %v", tc.after, tc.limit, got, tc.want)
		}
	}
	total, byClass, err := s.CountEvents()
	if err != nil || total != 8 || byClass[ClassTelemetry] != 8 {
		t.Errorf("CountEvents = %d, %v, %v; want 8 telemetry", total, byClass, err)
	}
	// A nil state in Record leaves no device state behind.
	if states, err := s.DeviceStates(); err != nil || len(states) != 0 {
		t.Errorf("DeviceStates = %q, %v; want none", states, err)
	}
}

func TestInvalidInputWritesNothing(t *testing.T) {
	s := openStore(t, testPath(t))
	for name, err := range map[string]error{
		"empty device":  s.Record("", []byte("x"), nil),
		"unknown class": s.Record("door", []byte("x"), []Event{{Class: "gossip", Type: "t"}}),
		"empty type":    s.Record("door", []byte("x"), []Event{{Class: ClassAudit}}),
		"time out of range": s.Update(func(tx *Tx) error {
			return s.AppendEvent(tx, &Event{Class: ClassAudit, Type: "t", Time: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)})
		}),
	} {
		if !errors.Is(err, ErrInvalidEvent) && !errors.Is(err, ErrInvalidDevice) {
			t.Errorf("%s: err = %v, want ErrInvalidEvent or ErrInvalidDevice", name, err)
		}
	}
	if states, _ := s.DeviceStates(); len(states) != 0 {
		t.Errorf("states written: %q", states)
	}
	if n, _, _ := s.CountEvents(); n != 0 {
		t.Errorf("%d events written", n)
	}
}

func TestCorruptEventIsReportedWithSeq(t *testing.T) {
	s := openStore(t, testPath(t))
	for i := 0; i < 3; i++ {
		if err := s.Record("door", nil, []Event{{Class: ClassAudit, Type: "t"}}); err != nil {
			t.Fatal(err)
		}
	}
	// Damage event 2's record the way a bad sector would: the page is sound,
	// the value is not.
	mustUpdate(t, s, func(tx *Tx) error {
		return tx.Bucket(eventsBucket).Put(u64key(2), []byte{0xa1, 0x01, 0xff})
	})

	_, err := s.Events(0, 0)
	var ce *CorruptEventError
	if !errors.As(err, &ce) || ce.Seq != 2 || !errors.Is(err, ErrCorruptEvent) {
		t.Fatalf("Events = %v, want a CorruptEventError for seq 2", err)
	}
	if _, _, err := s.CountEvents(); !errors.Is(err, ErrCorruptEvent) {
		t.Errorf("CountEvents = %v, want ErrCorruptEvent", err)
	}
	// A reader can step over it, and delete it.
	if evs, err := s.Events(ce.Seq, 0); err != nil || !slices.Equal(seqs(evs), []uint64{3}) {
		t.Errorf("Events(2, 0) = %v, %v; want [3]", seqs(evs), err)
	}
	if err := s.DeleteEvents(ce.Seq); err != nil {
		t.Fatal(err)
	}
	if got := seqs(mustEvents(t, s)); !slices.Equal(got, []uint64{1, 3}) {
		t.Errorf("after delete: %v, want [1 3]", got)
	}
}

func TestOtherPackagesBucketsCommitWithEvents(t *testing.T) {
	s := openStore(t, testPath(t))
	ev := Event{Class: ClassAudit, Type: "grant_added", Data: map[string]any{"grant": "g1"}}
	mustUpdate(t, s, func(tx *Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("grants"))
		if err != nil {
			return err
		}
		if err := b.Put([]byte("g1"), []byte("cose bytes")); err != nil {
			return err
		}
		return s.AppendEvent(tx, &ev)
	})
	err := s.View(func(tx *Tx) error {
		if v := tx.Bucket([]byte("grants")).Get([]byte("g1")); string(v) != "cose bytes" {
			t.Errorf("grant = %q", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if evs := mustEvents(t, s); len(evs) != 1 || evs[0].Data["grant"] != "g1" {
		t.Errorf("events = %+v", evs)
	}
}

func TestClosedStore(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := s.Update(func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update = %v, want ErrClosed", err)
	}
	if _, err := s.Events(0, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Events = %v, want ErrClosed", err)
	}
	if err := s.Record("door", []byte("x"), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Record = %v, want ErrClosed", err)
	}
	if err := s.Scan(func(*Tx) error { t.Error("Scan read a closed store"); return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Scan = %v, want ErrClosed", err)
	}
}

func TestHealth(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	if err := s.Record("door", []byte("locked"), []Event{{Class: ClassAudit, Type: "a"}, {Class: ClassAudit, Type: "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEvents(1); err != nil {
		t.Fatal(err)
	}
	h := s.Health()
	if h.Path != path || h.Boot != 1 || h.LastSeq != 2 || h.FirstSeq != 2 || h.SizeBytes <= 0 || h.Recovered || h.LastError != "" {
		t.Errorf("Health = %+v", h)
	}
}
