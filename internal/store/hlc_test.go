package store

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/hlc"
	"github.com/edgeagent/edgeagent/internal/secstate"
)

// Environment of TestHLCHelperProcess: the store file, and how far its wall
// clock is set from the real one (a time.Duration, e.g. "-10m").
const (
	hlcHelperEnv       = "EDGEAGENT_STORE_HLC_HELPER"
	hlcHelperOffsetEnv = "EDGEAGENT_STORE_HLC_OFFSET"
)

// securityDir is where the tests keep the store's secstate: beside the file,
// as config.SecStatePath does.
func securityDir(path string) string { return filepath.Join(filepath.Dir(path), "security") }

// TestHLCHelperProcess is not a test: the HLC crash tests run the test
// binary again with hlcHelperEnv set, and this function then records events
// with a wall clock set off by hlcHelperOffsetEnv, printing "ack <seq>"
// for each, until it is killed.
func TestHLCHelperProcess(t *testing.T) {
	path := os.Getenv(hlcHelperEnv)
	if path == "" {
		t.Skip("helper process for the HLC crash tests")
	}
	offset, err := time.ParseDuration(os.Getenv(hlcHelperOffsetEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "offset:", err)
		os.Exit(2)
	}
	dir, err := secstate.Open(securityDir(path))
	if err != nil {
		fmt.Fprintln(os.Stderr, "secstate:", err)
		os.Exit(2)
	}
	s, _, err := Open(path, Options{SecState: dir, Now: func() time.Time { return time.Now().Add(offset) }})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		evs := []Event{{Class: ClassAudit, Type: "tick", Data: map[string]any{"i": i}}}
		if err := s.Record("dev", []byte("x"), evs); err != nil {
			fmt.Fprintln(os.Stderr, "record:", err)
			os.Exit(3)
		}
		fmt.Fprintf(os.Stdout, "ack %d\n", evs[0].Seq)
	}
}

// hlcsIn reads every event's HLC in the file, in seq order, checking that
// they rise with the seqs.
func hlcsIn(t *testing.T, path string) []hlc.Timestamp {
	t.Helper()
	s, _, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs := mustEvents(t, s)
	out := make([]hlc.Timestamp, len(evs))
	for i, ev := range evs {
		out[i] = ev.HLC
		if i > 0 && ev.HLC <= out[i-1] {
			t.Fatalf("event %d has HLC %v, not above event %d's %v", ev.Seq, ev.HLC, evs[i-1].Seq, out[i-1])
		}
	}
	return out
}

// The attack of issue 9 item 8: the HLC was saved every 10 s, so after a
// kill -9 the first envelope was up to minutes below the last one sent.
// A process recording events is SIGKILLed, restarted with its wall clock
// 10 minutes back, killed again; then the file is truncated (a store lost to
// a power cut and recovered empty) and it is restarted once more. Each
// time, the first new event's HLC is above every HLC recorded before.
func TestHLCNeverGoesBackAfterAKillAClockSetBackOrARecovery(t *testing.T) {
	path := testPath(t)
	run := func(offset string, killAt int) {
		t.Helper()
		env := []string{hlcHelperEnv + "=" + path, hlcHelperOffsetEnv + "=" + offset}
		if _, _, err := runAndKill(t, "TestHLCHelperProcess", env, killAt, 0); err != nil {
			t.Fatal(err)
		}
	}
	run("0s", 300)
	before := hlcsIn(t, path)
	highest := before[len(before)-1]

	run("-10m", 50)
	after := hlcsIn(t, path)
	first := after[len(before)]
	if first <= highest {
		t.Fatalf("after a kill and the clock set back 10 min, the first new HLC %v is not above %v recorded before", first, highest)
	}
	t.Logf("killed after %d events; first HLC after the restart %v, highest before %v", len(before), first, highest)
	highest = after[len(after)-1]

	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	run("-10m", 20)
	recovered := hlcsIn(t, path)
	// recovered[0] is the store_recovered event, the first one stamped.
	if recovered[0] <= highest {
		t.Fatalf("after a recovery the first HLC %v is not above %v recorded before the damage", recovered[0], highest)
	}
}

func TestHLCIsInTheStoredEventAndResendsAreIdentical(t *testing.T) {
	path := testPath(t)
	s := openStore(t, path)
	if err := s.Record("door", []byte("locked"), []Event{{Class: ClassAudit, Type: "locked"}}); err != nil {
		t.Fatal(err)
	}
	a, b := mustEvents(t, s), mustEvents(t, s)
	if a[0].HLC == 0 || a[0].HLC != b[0].HLC {
		t.Fatalf("HLC read twice: %v, %v", a[0].HLC, b[0].HLC)
	}
}

// A signed timestamp ahead of the wall clock (a command's iat) raises the
// clock durably: after the store file is lost, events are still above it.
func TestRemoteTimestampRaisesTheClockDurably(t *testing.T) {
	path := testPath(t)
	dir, err := secstate.Open(securityDir(path))
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := Open(path, Options{SecState: dir, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	iat := hlc.FromTime(testNow.Add(48 * time.Hour))
	if err := s.HLC().Update(iat); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	dir, err = secstate.Open(securityDir(path))
	if err != nil {
		t.Fatal(err)
	}
	s, _, err = Open(path, Options{SecState: dir, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Record("door", nil, []Event{{Class: ClassAudit, Type: "locked"}}); err != nil {
		t.Fatal(err)
	}
	evs := mustEvents(t, s)
	if got := evs[len(evs)-1].HLC; got <= iat {
		t.Fatalf("event HLC %v is not above the signed timestamp %v seen before the store was lost", got, iat)
	}
	raw, err := dir.Load(hlcRecord)
	if err != nil || binary.BigEndian.Uint64(raw) < uint64(iat) {
		t.Fatalf("ceiling record %x, %v; want at least %v", raw, err, iat)
	}
}
