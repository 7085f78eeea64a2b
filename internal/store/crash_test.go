package store

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashHelperEnv names the store file the helper process writes to; when it is
// unset, TestHelperProcess is skipped.
const crashHelperEnv = "EDGEAGENT_STORE_CRASH_HELPER"

// TestHelperProcess is not a test: TestCrashKeepsAcknowledgedEvents runs the
// test binary again with crashHelperEnv set, and this function then appends
// events from several goroutines, printing "ack <seq>" for each after Update
// returned, until it is killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(crashHelperEnv)
	if path == "" {
		t.Skip("helper process for TestCrashKeepsAcknowledgedEvents")
	}
	s, _, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	var out sync.Mutex
	for g := range 4 {
		go func() {
			device := fmt.Sprintf("dev%d", g)
			for i := 0; ; i++ {
				evs := []Event{{Class: ClassAudit, Type: "tick", Data: map[string]any{"g": g, "i": i}}}
				if err := s.Record(device, []byte(strconv.Itoa(i)), evs); err != nil {
					fmt.Fprintln(os.Stderr, "record:", err)
					os.Exit(3)
				}
				// One write per line: a pipe write this small is atomic, so
				// the parent never sees half a seq.
				out.Lock()
				fmt.Fprintf(os.Stdout, "ack %d\n", evs[0].Seq)
				out.Unlock()
			}
		}()
	}
	// Readings, which may wait for the next flush (UpdateTelemetry): each
	// one acknowledged before a later door event was, is durable with it.
	go func() {
		for {
			evs := []Event{{Class: ClassTelemetry, Type: "motion"}}
			if err := s.Record("hall", nil, evs); err != nil {
				fmt.Fprintln(os.Stderr, "record:", err)
				os.Exit(3)
			}
			out.Lock()
			fmt.Fprintf(os.Stdout, "tel %d\n", evs[0].Seq)
			out.Unlock()
		}
	}()
	// Never outlive a parent that died without killing us.
	time.Sleep(30 * time.Second)
	os.Exit(4)
}

// TestCrashKeepsAcknowledgedEvents kills a writing process with SIGKILL at a
// random moment and checks that every event it acknowledged is in the file
// and that the file is sound. (SIGKILL keeps the page cache; power loss is
// bbolt's fsync contract, exercised by bbolt's own robustness tests.)
func TestCrashKeepsAcknowledgedEvents(t *testing.T) {
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	path := testPath(t)
	acked := map[uint64]bool{}
	lastBoot := uint64(0)

	for round := range rounds {
		killAt := 1 + rng.IntN(400) // acknowledgements to wait for
		got, tel, err := runAndKill(t, "TestHelperProcess", []string{crashHelperEnv + "=" + path}, killAt, time.Duration(rng.IntN(2000))*time.Microsecond)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var lastAck uint64
		for _, seq := range got {
			acked[seq] = true
			lastAck = max(lastAck, seq)
		}
		for _, seq := range tel {
			if seq < lastAck {
				acked[seq] = true // flushed by the door event after it
			}
		}

		s, rep, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		if rep.Recovered {
			t.Fatalf("round %d: the file needed recovery after a kill: %s", round, rep.Reason)
		}
		if rep.Boot <= lastBoot {
			t.Errorf("round %d: boot %d did not increase from %d", round, rep.Boot, lastBoot)
		}
		lastBoot = rep.Boot
		evs, err := s.Events(0, 0)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		present := map[uint64]bool{}
		for _, ev := range evs {
			present[ev.Seq] = true
		}
		for seq := range acked {
			if !present[seq] {
				t.Errorf("round %d: acknowledged event %d is missing", round, seq)
			}
		}
		t.Logf("round %d: killed after %d acks; %d acknowledged so far, %d stored", round, len(got), len(acked), len(evs))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		checkFile(t, path)
	}
}

// runAndKill runs the test binary's helper (a Test function that writes
// until it is killed, printing "ack <seq>" per durable event) with env
// added, SIGKILLs it delay after it has acknowledged killAt events, and
// returns every seq it acknowledged, and apart the seqs of the readings it
// printed as "tel <seq>" (applied, not yet flushed).
func runAndKill(t *testing.T, helper string, env []string, killAt int, delay time.Duration) (acked, tel []uint64, err error) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	// A bound on the round: the helper writes hundreds of events a second, so
	// this only fires if it is stuck.
	watchdog := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()

	r := bufio.NewReader(stdout)
	killed := false
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			break // a line without its newline was cut by the kill: not an ack
		}
		if err != nil {
			return nil, nil, err
		}
		line = strings.TrimSuffix(line, "\n")
		rest, isTel := strings.CutPrefix(line, "tel ")
		rest, isAck := strings.CutPrefix(rest, "ack ")
		if !isTel && !isAck {
			continue // the testing package's own output
		}
		seq, err := strconv.ParseUint(rest, 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("helper printed %q", line)
		}
		if isTel {
			tel = append(tel, seq)
			continue
		}
		acked = append(acked, seq)
		if !killed && len(acked) >= killAt {
			killed = true
			time.AfterFunc(delay, func() { _ = cmd.Process.Kill() })
		}
	}
	err = cmd.Wait()
	if !killed {
		return nil, nil, fmt.Errorf("helper stopped after %d acks (%v): %s", len(acked), err, stderr.String())
	}
	return acked, tel, nil
}
