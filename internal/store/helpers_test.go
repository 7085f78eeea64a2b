package store

import (
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// testNow is the fixed clock of the tests, so that event times and the names
// of moved-aside files are known in advance.
var testNow = time.Date(2026, 11, 22, 10, 15, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// testPath is a store path in a directory that does not exist yet, so that
// Open's directory creation is exercised too.
func testPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "var", "state.db")
}

// openStore opens the store at path, fails the test on an error or a recovery,
// and at cleanup closes it and checks the file with bbolt (like bbolt's
// internal/btesting). Closing it earlier in the test is fine.
func openStore(t testing.TB, path string) *Store {
	t.Helper()
	s, rep, err := Open(path, Options{Now: fixedNow, LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	if rep.Recovered {
		t.Fatalf("Open(%s) recovered unexpectedly: %s", path, rep.Reason)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		checkFile(t, path)
	})
	return s
}

// checkFile opens path with bbolt alone and fails the test if tx.Check finds
// any inconsistency.
func checkFile(t testing.TB, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("check %s: %v", path, err)
		return
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("check %s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("check %s: %v", path, err)
	}
}

// mustUpdate and mustEvents keep the tests' happy paths short.
func mustUpdate(t testing.TB, s *Store, fn func(tx *Tx) error) {
	t.Helper()
	if err := s.Update(fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func mustEvents(t testing.TB, s *Store) []Event {
	t.Helper()
	evs, err := s.Events(0, 0)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	return evs
}

func seqs(evs []Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}
