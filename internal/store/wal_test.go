package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// crash stops s as a power cut after its last flush would: nothing is
// checkpointed, what was queued and not flushed is gone, the files are
// closed. The test's cleanup Close then does nothing.
func crash(t testing.TB, s *Store) {
	t.Helper()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.active.Wait()
	s.txMu.Lock()
	defer s.txMu.Unlock()
	s.discard()
	if s.wal != nil {
		_ = s.wal.close()
		s.wal = nil
	}
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
}

func reopen(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	s, rep, err := Open(path, opts)
	if err != nil {
		t.Fatalf("reopening %s: %v", path, err)
	}
	if rep.Recovered {
		t.Fatalf("reopening %s recovered: %s", path, rep.Reason)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func audited(device string, i int) []Event {
	return []Event{{Class: ClassAudit, Type: "door_opened", Data: map[string]any{"i": i}}}
}

func motionEvents() []Event {
	return []Event{{Class: ClassTelemetry, Type: "motion"}}
}

// fileHas reads path with bbolt alone (no log): what a checkpoint wrote.
func fileHas(t testing.TB, path string, seq uint64) bool {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var has bool
	_ = db.View(func(tx *bbolt.Tx) error {
		has = tx.Bucket(eventsBucket).Get(u64key(seq)) != nil
		return nil
	})
	return has
}

func seqsOf(t testing.TB, s *Store) []uint64 {
	t.Helper()
	evs, err := s.Events(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, e := range evs {
		seqs = append(seqs, e.Seq)
	}
	return seqs
}

// An Update that returned is durable through the log alone: after a crash
// the bbolt file does not have it, and Open puts it back.
func TestLogReplaysWritesAfterACrash(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	var last []Event
	for i := range 3 {
		last = audited("door", i)
		if err := s.Record("door", []byte{byte(i)}, last); err != nil {
			t.Fatal(err)
		}
	}
	crash(t, s)
	if fileHas(t, path, last[0].Seq) {
		t.Fatal("the bbolt file has the last event before a checkpoint: the log is not what made it durable")
	}
	s = reopen(t, path, Options{})
	if got := seqsOf(t, s); len(got) != 3 || got[2] != last[0].Seq {
		t.Fatalf("after the crash: events %v, want 3 ending at %d", got, last[0].Seq)
	}
	states, err := s.DeviceStates()
	if err != nil || !bytes.Equal(states["door"], []byte{2}) {
		t.Fatalf("door state %v, %v; want [2]", states["door"], err)
	}
	// Once replayed, the file holds them: a second crash loses nothing.
	crash(t, s)
	if !fileHas(t, path, last[0].Seq) {
		t.Fatal("Open replayed the log but did not commit it to the file")
	}
	s = reopen(t, path, Options{})
	if got := seqsOf(t, s); len(got) != 3 {
		t.Fatalf("after the second crash: %v", got)
	}
}

// A record torn by the crash (its write never acknowledged) ends the
// replay; the records before it stand, and the next write goes over it.
func TestTornLogRecordEndsReplay(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	for i := range 2 {
		if err := s.Record("door", nil, audited("door", i)); err != nil {
			t.Fatal(err)
		}
	}
	crash(t, s)
	log, err := os.ReadFile(walPath(path))
	if err != nil {
		t.Fatal(err)
	}
	end := len(bytes.TrimRight(log, "\x00"))
	log[end-1] ^= 0xff // the second record's last byte
	if err := os.WriteFile(walPath(path), log, 0o600); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, path, Options{})
	if got := seqsOf(t, s); len(got) != 1 || got[0] != 1 {
		t.Fatalf("after a torn second record: events %v, want [1]", got)
	}
	ev := audited("door", 9)
	if err := s.Record("door", nil, ev); err != nil {
		t.Fatal(err)
	}
	crash(t, s)
	s = reopen(t, path, Options{})
	if got := seqsOf(t, s); len(got) != 2 || got[1] != ev[0].Seq {
		t.Fatalf("a write after the torn record, then a crash: events %v", got)
	}
}

// Another store's log (a file copied over, a store recovered empty) is
// never replayed: its ops would land on the wrong tree.
func TestLogOfAnotherStoreIsNotReplayed(t *testing.T) {
	a, b := testPath(t), testPath(t)
	sa := openStore(t, a)
	for i := range 3 {
		if err := sa.Record("door", nil, audited("door", i)); err != nil {
			t.Fatal(err)
		}
	}
	crash(t, sa)
	sb := openStore(t, b)
	if err := sb.Record("light", nil, audited("light", 0)); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(walPath(a))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(walPath(b), log, 0o600); err != nil {
		t.Fatal(err)
	}
	sb = reopen(t, b, Options{})
	evs, err := sb.Events(0, 0)
	if err != nil || len(evs) != 1 || evs[0].Device != "light" {
		t.Fatalf("store b after a's log was copied over its own: %v, %v", evs, err)
	}
}

// A file put back from an older copy (taken before a checkpoint the log
// was written on) does not get the log's records: they apply on a tree it
// does not have.
func TestLogOnAFileRestoredFromAnOlderCopy(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	if err := s.Record("door", nil, audited("door", 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 3; i++ {
		if err := s.Record("door", nil, audited("door", i)); err != nil {
			t.Fatal(err)
		}
		if err := s.Checkpoint(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Record("door", nil, audited("door", 3)); err != nil {
		t.Fatal(err)
	}
	crash(t, s)
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, path, Options{})
	if got := seqsOf(t, s); len(got) != 1 || got[0] != 1 {
		t.Fatalf("the older copy with a newer log: events %v, want [1]", got)
	}
}

// A function that fails is undone inside the transaction it shares with
// the writes before it: each kind of change it made, and none of the
// earlier ones.
func TestFailedFunctionIsUndone(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	err := s.Update(func(tx *Tx) error {
		b, err := tx.CreateBucket([]byte("kept"))
		if err != nil {
			return err
		}
		if err := b.Put([]byte("a"), []byte("1")); err != nil {
			return err
		}
		if err := b.Put([]byte("b"), []byte("2")); err != nil {
			return err
		}
		_, err = tx.CreateBucket([]byte("gone"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	errFail := errors.New("refused")
	seqBefore := s.Health().LastSeq
	err = s.Update(func(tx *Tx) error {
		b := tx.Bucket([]byte("kept"))
		steps := []error{
			b.Put([]byte("a"), []byte("changed")),
			b.Delete([]byte("b")),
			b.Put([]byte("c"), []byte("new")),
			b.SetSequence(77),
			tx.DeleteBucket([]byte("gone")),
			func() error { _, err := tx.CreateBucket([]byte("made")); return err }(),
			s.AppendEvent(tx, &Event{Class: ClassAudit, Type: "x"}),
		}
		if err := errors.Join(steps...); err != nil {
			return err
		}
		return errFail
	})
	if !errors.Is(err, errFail) {
		t.Fatalf("Update: %v", err)
	}
	check := func(when string, s *Store) {
		t.Helper()
		err := s.View(func(tx *Tx) error {
			b := tx.Bucket([]byte("kept"))
			switch {
			case string(b.Get([]byte("a"))) != "1", string(b.Get([]byte("b"))) != "2", b.Get([]byte("c")) != nil:
				t.Errorf("%s: keys a=%q b=%q c=%q, want 1, 2 and none", when, b.Get([]byte("a")), b.Get([]byte("b")), b.Get([]byte("c")))
			case b.Sequence() != 0:
				t.Errorf("%s: sequence %d, want 0", when, b.Sequence())
			case tx.Bucket([]byte("gone")) == nil, tx.Bucket([]byte("made")) != nil:
				t.Errorf("%s: the bucket deleted by the failed function is gone, or the one it made is there", when)
			case tx.Bucket(eventsBucket).Sequence() != seqBefore:
				t.Errorf("%s: event sequence %d, want %d", when, tx.Bucket(eventsBucket).Sequence(), seqBefore)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check("in the open transaction", s)
	crash(t, s)
	check("after a crash", reopen(t, path, Options{}))
}

// Telemetry waits for the next flush; an Update after it flushes it, in
// order: a power cut never keeps a door event and loses a reading before
// it, and never loses the door event.
func TestTelemetryIsDurableAtTheNextUpdate(t *testing.T) {
	path := testPath(t)
	opts := Options{Now: fixedNow, TelemetryDelay: time.Hour}
	s := reopen(t, path, opts)
	motion := motionEvents()
	if err := s.Record("hall", nil, motion); err != nil {
		t.Fatal(err)
	}
	if got := seqsOf(t, s); len(got) != 1 {
		t.Fatalf("a reader before the flush sees %v, want the reading", got)
	}
	crash(t, s)
	s = reopen(t, path, opts)
	if got := seqsOf(t, s); len(got) != 0 {
		t.Fatalf("a reading not yet flushed survived a crash: %v (it was never written)", got)
	}
	motion = motionEvents()
	if err := s.Record("hall", nil, motion); err != nil {
		t.Fatal(err)
	}
	door := audited("door", 0)
	if err := s.Record("door", nil, door); err != nil {
		t.Fatal(err)
	}
	crash(t, s)
	s = reopen(t, path, opts)
	if got := seqsOf(t, s); len(got) != 2 || got[0] != motion[0].Seq || got[1] != door[0].Seq {
		t.Fatalf("after reading, door event, crash: %v, want [%d %d]", got, motion[0].Seq, door[0].Seq)
	}
}

type flushWatch struct{ committed chan struct{} }

func (f flushWatch) Committed(time.Duration, error) {
	select {
	case f.committed <- struct{}{}:
	default:
	}
}
func (flushWatch) Recorded(Class) {}

// With nothing else written, queued telemetry is flushed within the delay.
func TestTelemetryIsFlushedWithinTheDelay(t *testing.T) {
	path := testPath(t)
	opts := Options{Now: fixedNow, TelemetryDelay: 10 * time.Millisecond}
	s := reopen(t, path, opts)
	if err := s.Record("hall", nil, motionEvents()); err != nil {
		t.Fatal(err)
	}
	w := flushWatch{make(chan struct{}, 1)}
	s.Observe(w) // after the reading's own group: the next commit is the flush
	select {
	case <-w.committed:
	case <-time.After(10 * time.Second):
		t.Fatal("queued telemetry not flushed 10 s after a delay of 10 ms")
	}
	crash(t, s)
	if got := seqsOf(t, reopen(t, path, opts)); len(got) != 1 {
		t.Fatalf("after the flush and a crash: %v, want the reading", got)
	}
}

// UpdateTelemetry refuses any event but telemetry: what a power cut may
// lose is decided by the event's class, not by a caller's choice of call.
func TestUpdateTelemetryRefusesOtherClasses(t *testing.T) {
	s := openStore(t, testPath(t))
	for _, c := range []Class{ClassAudit, ClassState} {
		err := s.UpdateTelemetry(func(tx *Tx) error {
			return s.AppendEvent(tx, &Event{Class: c, Type: "door_opened"})
		})
		if !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("a %s event in UpdateTelemetry: %v, want ErrInvalidEvent", c, err)
		}
	}
	if got := seqsOf(t, s); len(got) != 0 {
		t.Fatalf("refused events were stored: %v", got)
	}
}

// A long log asks Run for a checkpoint (off the writer's path); with no
// Run, a log as long as its preallocation is checkpointed by the writer.
func TestLongLogIsCheckpointed(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	big := bytes.Repeat([]byte{'x'}, 16<<10)
	var first uint64
	asked := false
	for i := 0; s.checkpoints.Load() == 0; i++ {
		if i > 2*walMax/len(big) {
			t.Fatalf("no checkpoint after %d bytes of log", i*len(big))
		}
		evs := audited("door", i)
		evs[0].Data["pad"] = big
		if err := s.Record("door", nil, evs); err != nil {
			t.Fatal(err)
		}
		if first == 0 {
			first = evs[0].Seq
		}
		select {
		case <-s.checkpointDue:
			if logged := s.wal.written; logged < checkpointBytes {
				t.Fatalf("a checkpoint asked for at %d bytes of log", logged)
			}
			asked = true
		default:
		}
	}
	if !asked {
		t.Error("the log reached its preallocation without asking Run for a checkpoint")
	}
	crash(t, s)
	if !fileHas(t, path, first) {
		t.Fatal("after a checkpoint the file does not have the first event")
	}
}

// Read-only inspection of a crashed hub's file sees what its log holds,
// and leaves both files as they were.
func TestOpenReadOnlyReplaysTheLogOnACopy(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	ev := audited("door", 0)
	if err := s.Record("door", nil, ev); err != nil {
		t.Fatal(err)
	}
	crash(t, s)
	before, _ := os.ReadFile(path)
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqsOf(t, ro); len(got) != 1 || got[0] != ev[0].Seq {
		t.Errorf("read-only view: %v, want [%d]", got, ev[0].Seq)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("OpenReadOnly changed the file")
	}
	if m, _ := filepath.Glob(filepath.Join(os.TempDir(), "edgeagent-inspect-*")); len(m) != 0 {
		t.Errorf("copies left behind: %v", m)
	}
}

// FuzzApplyRedo: a damaged record that passed its CRC (or a bug) must be
// an error, never a panic.
func FuzzApplyRedo(f *testing.F) {
	l := &txlog{}
	l.add(opPut, []byte("kept"), []byte("k"), []byte("v"), 0)
	l.add(opDelete, []byte("kept"), []byte("k"), nil, 0)
	l.add(opSequence, []byte("kept"), nil, nil, 300)
	l.add(opCreateBucket, []byte("new"), nil, nil, 0)
	l.add(opDeleteBucket, []byte("new"), nil, nil, 0)
	f.Add(l.redo)                    // every op, well formed
	f.Add([]byte{opPut, 4, 'k'})     // truncated bucket name
	f.Add([]byte{9, 1, 'a'})         // unknown op
	f.Add([]byte{opPut, 0xff, 0xff}) // a length past the end
	db, err := bbolt.Open(filepath.Join(f.TempDir(), "fuzz.db"), 0o600, nil)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	f.Fuzz(func(t *testing.T, rec []byte) {
		tx, err := db.Begin(true)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.CreateBucket([]byte("kept")); err != nil {
			t.Fatal(err)
		}
		_ = applyRedo(tx, rec)
	})
}

type recordedClasses struct{ n map[Class]int }

func (recordedClasses) Committed(time.Duration, error) {}
func (r recordedClasses) Recorded(c Class)             { r.n[c]++ }

// DurableSeq and the "recorded" hooks follow durability, not application:
// a queued reading is above DurableSeq and unreported until a flush.
func TestDurableSeqAndHooksWaitForTheFlush(t *testing.T) {
	s := reopen(t, testPath(t), Options{TelemetryDelay: time.Hour})
	r := recordedClasses{map[Class]int{}}
	s.Observe(r)
	door := audited("door", 0)
	if err := s.Record("door", nil, door); err != nil {
		t.Fatal(err)
	}
	reading := motionEvents()
	if err := s.Record("hall", nil, reading); err != nil {
		t.Fatal(err)
	}
	if got := s.DurableSeq(); got != door[0].Seq {
		t.Fatalf("DurableSeq with a reading queued: %d, want the door event's %d", got, door[0].Seq)
	}
	if r.n[ClassTelemetry] != 0 || r.n[ClassAudit] != 1 {
		t.Fatalf("recorded before the flush: %v", r.n)
	}
	if err := s.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if got := s.DurableSeq(); got != reading[0].Seq || r.n[ClassTelemetry] != 1 {
		t.Fatalf("after a checkpoint: DurableSeq %d (want %d), recorded %v", got, reading[0].Seq, r.n)
	}
}

// Records of every size, from a few bytes to more than the log's buffer
// (a revocation snapshot of 10 000 ids is 200 KB), each flushed: the
// sector-rounded write of the last record never runs past the buffer, and
// every record replays.
func TestLogRecordsOfEverySize(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	sizes := []int{1, 300, 511, 512, 513, 4000, 65000, 65536, 70001, 131072 - 600, 200003, 7}
	for i, n := range sizes {
		err := s.Update(func(tx *Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("sizes"))
			if err != nil {
				return err
			}
			return b.Put(u64key(uint64(i)), bytes.Repeat([]byte{byte(i)}, n))
		})
		if err != nil {
			t.Fatalf("record of %d bytes: %v", n, err)
		}
	}
	crash(t, s)
	s = reopen(t, path, Options{})
	err := s.View(func(tx *Tx) error {
		for i, n := range sizes {
			if v := tx.Bucket([]byte("sizes")).Get(u64key(uint64(i))); len(v) != n || (n > 0 && v[n-1] != byte(i)) {
				t.Errorf("record %d: %d bytes after the replay, want %d", i, len(v), n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Readings queued after a big record fill the log's buffer up to its last
// bytes before one flush: the flush's sector-rounded write must stay inside
// the buffer (a buffer grown to a size that is not whole sectors once
// panicked here, in the commit path).
func TestQueuedRecordsUpToTheBuffersEnd(t *testing.T) {
	path := testPath(t)
	s := reopen(t, path, Options{TelemetryDelay: time.Hour})
	put := func(update func(func(*Tx) error) error, key uint64, n int) {
		t.Helper()
		err := update(func(tx *Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("fill"))
			if err != nil {
				return err
			}
			return b.Put(u64key(key), make([]byte, n))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(s.Update, 0, 200003) // grows the buffer to fit it
	s.txMu.Lock()
	room := cap(s.wal.buf) - len(s.wal.buf)
	s.txMu.Unlock()
	// One queued record that ends 1 byte before the buffer's capacity
	// (header 24, one put op: 1 + name + key + value with their lengths).
	n := room - walHeader - (1 + 1 + 4 + 1 + 8 + 3) - 1
	put(s.UpdateTelemetry, 1, n)
	s.txMu.Lock()
	left := cap(s.wal.buf) - len(s.wal.buf)
	s.txMu.Unlock()
	if left < 0 || left > 4 {
		t.Fatalf("the queued record left %d bytes of the buffer, want about 1", left)
	}
	if err := s.Update(func(*Tx) error { return nil }); err != nil { // flushes it, nothing added
		t.Fatal(err)
	}
	crash(t, s)
	s = reopen(t, path, Options{})
	err := s.View(func(tx *Tx) error {
		if v := tx.Bucket([]byte("fill")).Get(u64key(1)); len(v) != n {
			t.Errorf("the queued record: %d bytes after the replay, want %d", len(v), n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzWALRecords: whatever a damaged card leaves in the log file, reading
// it never panics, and what it returns is only records whose CRC checks
// out, for this file's instance and checkpoint.
func FuzzWALRecords(f *testing.F) {
	inst := []byte("12345678")
	w := &wal{base: 7, inst: inst, buf: alignedBuf(4096)[:0]}
	w.add([]byte{opPut, 1, 'b', 1, 'k', 1, 'v'})
	w.add([]byte{opDelete, 1, 'b', 1, 'k'})
	f.Add(append([]byte(nil), w.buf...)) // two good records
	f.Add(w.buf[:30])                    // torn in the second's header
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	path := filepath.Join(f.TempDir(), "log")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		recs, _, err := walRecords(path, 7, inst)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range recs {
			n += walHeader + len(r)
		}
		if n > len(data) {
			t.Fatalf("%d bytes of records from %d bytes of log", n, len(data))
		}
	})
}

// TestScanDoesNotHoldBackCommits: a long read through Scan (the audit
// chain's verification) sees every Update that returned before it, and
// commits go on while it reads; through View, with writes waiting for a
// checkpoint, the same read holds the store's lock and the commit waits.
func TestScanDoesNotHoldBackCommits(t *testing.T) {
	s := openStore(t, testPath(t))
	put := func(k string) error {
		return s.Update(func(tx *Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return b.Put([]byte(k), []byte("v"))
		})
	}
	if err := put("before"); err != nil {
		t.Fatal(err)
	}
	checkpoints := s.checkpoints.Load()

	reading, release := make(chan struct{}), make(chan struct{})
	scanned := make(chan error, 1)
	var sawBefore, sawDuring bool
	go func() {
		scanned <- s.Scan(func(tx *Tx) error {
			b := tx.Bucket([]byte("b"))
			sawBefore = b != nil && b.Get([]byte("before")) != nil
			close(reading)
			<-release
			sawDuring = b != nil && b.Get([]byte("during")) != nil
			return nil
		})
	}()
	<-reading
	committed := make(chan error, 1)
	go func() { committed <- put("during") }()
	select {
	case err := <-committed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("an Update waited 10 s for a Scan still reading")
	}
	close(release)
	if err := <-scanned; err != nil {
		t.Fatal(err)
	}
	if !sawBefore || sawDuring {
		t.Errorf("Scan saw the write before it: %v, the write during it: %v; want true, false", sawBefore, sawDuring)
	}
	if got := s.checkpoints.Load(); got != checkpoints+1 {
		t.Errorf("%d checkpoints for the Scan, want 1", got-checkpoints)
	}
	var got string
	if err := s.View(func(tx *Tx) error { got = string(tx.Bucket([]byte("b")).Get([]byte("during"))); return nil }); err != nil || got != "v" {
		t.Errorf("after the Scan, View reads %q, %v; want the write made during it", got, err)
	}
}

// failFlushes makes the log's writes fail (as a full disk or a dying SD
// card does) until the returned func is called.
func failFlushes(t testing.TB, s *Store) (restore func()) {
	t.Helper()
	ro, err := os.Open(s.wal.path) // writes to it fail: EBADF
	if err != nil {
		t.Fatal(err)
	}
	s.txMu.Lock()
	good := s.wal.f
	s.wal.f = ro
	s.txMu.Unlock()
	return func() {
		s.txMu.Lock()
		s.wal.f = good
		s.txMu.Unlock()
		_ = ro.Close()
	}
}

// A failed flush drops the open transaction, and with it every write
// acknowledged since the last checkpoint, which only the log holds. Reads
// must still see them: through the file alone a PIN's failure count or an
// imported grant would go back to what it was at the checkpoint. A Scan
// (its checkpoint) must write them into the file, not skip them.
func TestReadsKeepAcknowledgedWritesAfterAFailedFlush(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	put := func(v string) error {
		return s.Update(func(tx *Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("pins"))
			if err != nil {
				return err
			}
			return b.Put([]byte("ann"), []byte(v))
		})
	}
	read := func(how string, read func(func(*Tx) error) error) string {
		t.Helper()
		var got string
		err := read(func(tx *Tx) error {
			if b := tx.Bucket([]byte("pins")); b != nil {
				got = string(b.Get([]byte("ann")))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		return got
	}
	if err := put("acknowledged"); err != nil {
		t.Fatal(err)
	}
	restore := failFlushes(t, s)
	if err := put("never acknowledged"); err == nil {
		t.Fatal("an Update whose flush failed returned nil")
	}
	if got := read("View after the failed flush", s.View); got != "acknowledged" {
		t.Errorf("View after a failed flush reads %q, want %q", got, "acknowledged")
	}
	before := s.checkpoints.Load()
	if got := read("Scan after the failed flush", s.Scan); got != "acknowledged" {
		t.Errorf("Scan after a failed flush reads %q, want %q", got, "acknowledged")
	}
	if n := s.checkpoints.Load() - before; n != 1 {
		t.Errorf("Scan made %d checkpoints, want 1: the logged write is in the file", n)
	}
	restore()
	// The store goes on: the next write is durable through a power cut.
	if err := put("after the failure"); err != nil {
		t.Fatalf("Update once the log can be written again: %v", err)
	}
	crash(t, s)
	if got := read("View after a crash and Open", reopen(t, path, Options{}).View); got != "after the failure" {
		t.Errorf("after a crash the store reads %q, want %q", got, "after the failure")
	}
}

// The same after a failed checkpoint, as on a full disk: the bbolt file
// cannot grow, the log (preallocated) still takes writes. Reads see every
// write the log holds; a Scan, whose own checkpoint fails too, reads them
// as View does; and once the file can grow they reach it.
func TestReadsKeepAcknowledgedWritesAfterAFailedCheckpoint(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	const keys = 64
	value := bytes.Repeat([]byte("v"), 4096) // 256 KiB in all: the file must grow to hold them
	err := s.Update(func(tx *Tx) error {
		b, err := tx.CreateBucket([]byte("grants"))
		if err != nil {
			return err
		}
		for i := range keys {
			if err := b.Put(u64key(uint64(i)), value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() >= keys*int64(len(value)) {
		t.Fatalf("the file is already %d bytes: the checkpoint would not need to grow it", fi.Size())
	}
	s.txMu.Lock()
	s.db.MaxSize = int(fi.Size()) // bbolt refuses to grow it: ErrMaxSizeReached
	s.txMu.Unlock()
	if err := s.Checkpoint(); !errors.Is(err, berrors.ErrMaxSizeReached) {
		t.Fatalf("a checkpoint that had to grow the file past its bound: %v, want ErrMaxSizeReached", err)
	}
	count := func(how string, read func(func(*Tx) error) error) int {
		t.Helper()
		n := 0
		err := read(func(tx *Tx) error {
			if b := tx.Bucket([]byte("grants")); b != nil {
				c := b.Cursor() // not Stats: it counts only committed pages
				for k, _ := c.First(); k != nil; k, _ = c.Next() {
					n++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		return n
	}
	if n := count("View after the failed checkpoint", s.View); n != keys {
		t.Errorf("View after a failed checkpoint sees %d keys, want %d", n, keys)
	}
	before := s.checkpoints.Load()
	if n := count("Scan whose checkpoint fails", s.Scan); n != keys {
		t.Errorf("Scan whose checkpoint fails sees %d keys, want %d", n, keys)
	}
	if s.checkpoints.Load() != before {
		t.Fatal("the Scan's checkpoint succeeded: its fallback was not what read")
	}
	if err := s.Update(func(tx *Tx) error { return tx.Bucket([]byte("grants")).Delete(u64key(0)) }); err != nil {
		t.Fatalf("Update while the file cannot grow (the log can): %v", err)
	}
	if n := count("View after an Update on the log", s.View); n != keys-1 {
		t.Errorf("View sees %d keys after one was deleted, want %d", n, keys-1)
	}
	s.txMu.Lock()
	s.db.MaxSize = 0
	s.txMu.Unlock()
	before = s.checkpoints.Load()
	if err := s.Checkpoint(); err != nil {
		t.Fatalf("checkpoint once the file can grow: %v", err)
	}
	if s.checkpoints.Load() != before+1 {
		t.Fatal("the checkpoint once the file can grow wrote nothing")
	}
	crash(t, s)
	if n := count("View after a crash and Open", reopen(t, path, Options{}).View); n != keys-1 {
		t.Errorf("after a crash the store has %d keys, want %d", n, keys-1)
	}
}
