package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/edgeagent/edgeagent/internal/localapi"
)

// config64 is a site with 64 devices of every kind (sim pin names).
func config64() string {
	var b strings.Builder
	b.WriteString("site = \"bench\"\nlog_level = \"warn\"\n")
	pin := 0
	next := func() string { pin++; return fmt.Sprintf("GPIO%d", pin) }
	for i := 0; i < 16; i++ {
		fmt.Fprintf(&b, "[[lock]]\nid = \"lock-%d\"\nrelay = %q\nfail = \"secure\"\ncontact = %q\nexit_button = %q\n", i, next(), next(), next())
	}
	for i := 0; i < 16; i++ {
		fmt.Fprintf(&b, "[[switch]]\nid = \"switch-%d\"\nrelay = %q\n", i, next())
	}
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&b, "[[boiler]]\nid = \"boiler-%d\"\nrelay = %q\nsensor = \"28-%012x\"\n", i, next(), i)
	}
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&b, "[[cover]]\nid = \"cover-%d\"\nup = %q\ndown = %q\ntravel = \"20s\"\n", i, next(), next())
	}
	for i := 0; i < 16; i++ {
		fmt.Fprintf(&b, "[[input]]\nid = \"input-%d\"\npin = %q\ntype = \"button\"\n", i, next())
	}
	return b.String()
}

func writeConfig64(b *testing.B) (cfg, data string) {
	dir := b.TempDir()
	cfg = filepath.Join(dir, "edgeagent.toml")
	if err := os.WriteFile(cfg, []byte(config64()), 0o600); err != nil {
		b.Fatal(err)
	}
	return cfg, filepath.Join(dir, "data")
}

// starter starts the agent as systemd runs its unit (Type=notify:
// NOTIFY_SOCKET set) and times the start to its first status answer and to
// its READY=1. The native and the qemu cold starts both use it, so the two
// are the same start on two machines.
type starter struct {
	argv        []string // the command line up to "run"
	notify      string   // NOTIFY_SOCKET
	ready       chan time.Time
	bound, poll time.Duration
}

func newStarter(b *testing.B, bound, poll time.Duration, argv ...string) *starter {
	s := &starter{argv: argv, notify: filepath.Join(b.TempDir(), "notify"), ready: make(chan time.Time, 1), bound: bound, poll: poll}
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.notify, Net: "unixgram"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ln.Close() })
	go func() {
		buf := make([]byte, 256)
		for {
			n, _, err := ln.ReadFromUnix(buf)
			if err != nil {
				return
			}
			if strings.Contains(string(buf[:n]), "READY=1") {
				s.ready <- time.Now()
			}
		}
	}()
	return s
}

// start runs the agent on cfg and data and returns once its socket
// answers, with the times to that answer and to its READY=1.
func (s *starter) start(b *testing.B, cfg, data string) (cmd *exec.Cmd, answer, notified time.Duration) {
	argv := append(slices.Clone(s.argv), "run", "--config", cfg, "--sim", "--data-dir", data)
	cmd = exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+s.notify)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := localapi.NewAdminClient(filepath.Join(data, "admin.sock"))
	deadline := start.Add(s.bound)
	for {
		if _, err := c.Status(); err == nil {
			answer = time.Since(start)
			break
		}
		if time.Now().After(deadline) {
			stopBench(cmd)
			b.Fatalf("%s: not ready after %s", argv[:len(s.argv)], s.bound)
		}
		time.Sleep(s.poll)
	}
	select {
	case at := <-s.ready:
		return cmd, answer, at.Sub(start)
	case <-time.After(10 * time.Second):
		stopBench(cmd)
		b.Fatalf("%s: answered but sent no READY=1 within 10s", argv[:len(s.argv)])
	}
	return
}

// startBench starts the agent natively and returns once its socket
// answers, with the time that took.
func startBench(b *testing.B, cfg, data string) (*exec.Cmd, time.Duration) {
	cmd, answer, _ := newStarter(b, 10*time.Second, 200*time.Microsecond, agentBin).start(b, cfg, data)
	return cmd, answer
}

func stopBench(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// BenchmarkColdStart64 measures process start to admin socket ready with
// 64 devices, and the resident memory once ready. ms/start is a restart of
// an installed hub: the data directory is made by a first start before the
// loop, reported apart as ms/first-start (as BenchmarkARM64 does). ns/op is
// the whole iteration: start, ready, kill and wait.
func BenchmarkColdStart64(b *testing.B) {
	cfg, data := writeConfig64(b)
	s := newStarter(b, 10*time.Second, 200*time.Microsecond, agentBin)
	cmd, first, _ := s.start(b, cfg, data)
	stopBench(cmd)
	b.ResetTimer()
	var total, notifyTotal time.Duration
	var rssKB int
	for i := 0; i < b.N; i++ {
		cmd, answer, notified := s.start(b, cfg, data)
		total += answer
		notifyTotal += notified
		if kb := vmRSSKB(cmd.Process.Pid); kb > rssKB {
			rssKB = kb
		}
		stopBench(cmd)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/start")
	b.ReportMetric(float64(notifyTotal.Microseconds())/1e3/float64(b.N), "ms/ready-notify")
	b.ReportMetric(float64(first.Microseconds())/1e3, "ms/first-start")
	b.ReportMetric(float64(rssKB)/1024, "MB-rss")
}

func vmRSSKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	return 0
}

// BenchmarkAdminAction measures an admin-socket device action round trip
// (HTTP over the unix socket, the pin write, one durable commit of the state
// and its event), with p50 and p99. The baseline, measured in the same run,
// is one bare bbolt commit with fsync on the same disk: the floor no
// durable action can go below.
func BenchmarkAdminAction(b *testing.B) {
	cfg, data := writeConfig64(b)
	cmd, _ := startBench(b, cfg, data)
	defer stopBench(cmd)
	c := localapi.NewAdminClient(filepath.Join(data, "admin.sock"))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := c.Do("switch-3", "toggle", ""); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	base := commitBaseline(b, filepath.Join(filepath.Dir(data), "baseline.db"), 200)
	p50, p99 := percentile(lat, 50), percentile(lat, 99)
	b50, b99 := percentile(base, 50), percentile(base, 99)
	b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	b.ReportMetric(float64(b50.Microseconds()), "commit-p50-µs")
	b.ReportMetric(float64(b99.Microseconds()), "commit-p99-µs")
	b.ReportMetric(float64(p50)/float64(b50), "p50/commit")
	b.ReportMetric(float64(p99)/float64(b99), "p99/commit")
}

// commitBaseline returns the latencies of n bare bbolt commits (one key,
// fsync) on the same disk.
func commitBaseline(b *testing.B, path string, n int) []time.Duration {
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		err := db.Update(func(tx *bbolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return bk.Put([]byte("k"), []byte(strconv.Itoa(i)))
		})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	return lat
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}
