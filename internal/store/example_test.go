package store_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/edgeagent/edgeagent/internal/store"
)

func Example() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A fixed clock keeps the output stable; an agent leaves Now nil.
	now := func() time.Time { return time.Date(2026, 11, 22, 10, 15, 0, 0, time.UTC) }
	s, rep, err := store.Open(filepath.Join(dir, "state.db"), store.Options{Now: now})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Println("boot", rep.Boot, "recovered", rep.Recovered)

	// A device's new state and the events that report it commit together.
	err = s.Record("front-door", []byte(`{"locked":false}`), []store.Event{
		{Class: store.ClassAudit, Type: "unlocked", Data: map[string]any{"by": "pin"}},
	})
	if err != nil {
		log.Fatal(err)
	}

	// Another package's change and its audit event, in one transaction.
	err = s.Update(func(tx *store.Tx) error {
		grants, err := tx.CreateBucketIfNotExists([]byte("grants"))
		if err != nil {
			return err
		}
		if err := grants.Put([]byte("g1"), []byte("signed grant")); err != nil {
			return err
		}
		return s.AppendEvent(tx, &store.Event{Class: store.ClassAudit, Type: "grant_added", Data: map[string]any{"grant": "g1"}})
	})
	if err != nil {
		log.Fatal(err)
	}

	// The sync package drains the log and deletes what the cloud acknowledged.
	evs, err := s.Events(0, 10)
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range evs {
		fmt.Println(ev.Seq, ev.Boot, ev.Time.Format(time.RFC3339), ev.Class, ev.Device, ev.Type, ev.Data)
	}
	if err := s.DeleteEvents(evs[0].Seq); err != nil {
		log.Fatal(err)
	}
	last, _ := s.LastSeq()
	n, byClass, _ := s.CountEvents()
	fmt.Println("last seq", last, "stored", n, "audit", byClass[store.ClassAudit])
	// Output:
	// boot 1 recovered false
	// 1 1 2026-11-22T10:15:00Z audit front-door unlocked map[by:pin]
	// 2 1 2026-11-22T10:15:00Z audit  grant_added map[grant:g1]
	// last seq 2 stored 1 audit 1
}
