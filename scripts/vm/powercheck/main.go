// Command powercheck is the host half of the VM test's power-cut scenario
// (scripts/vm/run.sh runs it after the guest powered off). It replays the
// dm-log-writes log of the agent's ext4 data disk onto the empty image the
// guest started from, and at every flush or FUA point, each a state a power
// cut could leave, it checks a copy of the image:
//
//   - e2fsck -p recovers the journal and finds nothing it may not fix;
//   - bbolt's own check passes on the agent's state.db;
//   - the store opens as the agent opens it, not "recovered";
//   - every action acknowledged (marked "ack,SEQ:DEVICE:TYPE" in the log
//     after its acknowledgement) before that point is in the event log;
//   - the agent itself (this host's build, --sim) starts on the data with
//     its outputs safe and the store not recovered.
//
// It prints VMCHECK and VMBENCH lines like the guest, and a count table.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/logwrites"
	"github.com/edgeagent/edgeagent/internal/store"
)

type ack struct {
	seq      uint64
	dev, typ string
}

type counts struct {
	points, acked, lost, fsckFixed, recovered, noStore, agentStarts, failed int
	// The control writer (files written without fsync): crash points
	// where some of its marked files were missing. Must be above 0.
	controlCaught, controlMaxLost int
}

func main() {
	base := flag.String("base", "", "the empty ext4 image the guest started from")
	logPath := flag.String("log", "", "the dm-log-writes log disk")
	work := flag.String("work", "", "scratch directory")
	agent := flag.String("agent", "", "edgeagent binary for this host, started at every crash point")
	config := flag.String("config", "", "the agent config the guest ran with")
	flag.Parse()
	if err := run(*base, *logPath, *work, *agent, *config); err != nil {
		fmt.Printf("VMCHECK powercut replay FAIL %s\n", err)
		os.Exit(1)
	}
}

func run(base, logPath, work, agent, config string) error {
	lf, err := os.Open(logPath)
	if err != nil {
		return err
	}
	defer lf.Close()
	st, err := lf.Stat()
	if err != nil {
		return err
	}
	lg, err := logwrites.Open(lf, st.Size())
	if err != nil {
		return err
	}
	bst, err := os.Stat(base)
	if err != nil {
		return err
	}
	devSize := bst.Size()
	cur := filepath.Join(work, "current.img")
	if err := copyFile(base, cur); err != nil {
		return err
	}
	img, err := os.OpenFile(cur, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer img.Close()

	var c counts
	var acked []ack
	var phase string
	ctl := 0       // control files marked so far
	telemetry := 0 // telemetry events recorded in the telemetry phase
	written := map[string]int64{}
	phaseAcks := map[string]int{}
	var failures []string
	start := time.Now()
	for _, e := range lg.Entries {
		if err := lg.Apply(e, img, devSize); err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(e.Label, "phase-"):
			phase = strings.TrimPrefix(e.Label, "phase-")
		case strings.HasPrefix(e.Label, "tele,"):
			n, err := strconv.Atoi(strings.TrimPrefix(e.Label, "tele,"))
			if err != nil {
				return fmt.Errorf("log entry %d: %q: %w", e.Index, e.Label, err)
			}
			telemetry = n
		case strings.HasPrefix(e.Label, "ctl,"):
			ctl++
		case strings.HasPrefix(e.Label, "ack,"):
			as, err := parseAcks(e.Label)
			if err != nil {
				return fmt.Errorf("log entry %d: %w", e.Index, err)
			}
			acked = append(acked, as...)
			phaseAcks[phase] += len(as)
		}
		if e.Write() {
			written[phase] += e.Length
		}
		if !e.CrashPoint() {
			continue
		}
		c.points++
		if err := checkPoint(&c, img, work, acked, ctl, agent, config); err != nil {
			c.failed++
			if len(failures) < 5 {
				failures = append(failures, fmt.Sprintf("entry %d (%d acked): %v", e.Index, len(acked), err))
			}
		}
	}
	c.acked = len(acked)
	fmt.Printf("crash states tried %d, acknowledged actions %d, lost %d, store recovered %d, e2fsck fixes %d, points before the store existed %d, agent starts %d, failed points %d (%d log entries, %.1f s)\n",
		c.points, c.acked, c.lost, c.recovered, c.fsckFixed, c.noStore, c.agentStarts, c.failed, len(lg.Entries), time.Since(start).Seconds())
	for _, ph := range []string{"first", "slow", "fast"} {
		if n := phaseAcks[ph]; n > 0 {
			fmt.Printf("VMBENCH powercut-%s-bytes-written-per-action %.1f bytes\n", ph, float64(written[ph])/float64(n))
		}
	}
	if telemetry > 0 {
		fmt.Printf("VMBENCH powercut-telemetry-bytes-written-per-event %.1f bytes\n", float64(written["telemetry"])/float64(telemetry))
	}
	var err2 error
	switch {
	case c.points == 0:
		err2 = errors.New("the log has no flush point")
	case c.acked == 0:
		err2 = errors.New("no acknowledged action in the log")
	case c.controlCaught == 0:
		err2 = errors.New("the control (files acknowledged without fsync) was never caught: this check cannot fail")
	case c.failed > 0:
		err2 = fmt.Errorf("%d of %d crash states failed: %s", c.failed, c.points, strings.Join(failures, "; "))
	}
	detail := fmt.Sprintf("%d crash states, %d acknowledged actions, %d lost, %d recovered, %d agent starts; control without fsync caught at %d points (up to %d files lost)",
		c.points, c.acked, c.lost, c.recovered, c.agentStarts, c.controlCaught, c.controlMaxLost)
	if err2 != nil {
		fmt.Printf("VMCHECK powercut replay FAIL %s: %v\n", detail, err2)
		return nil
	}
	fmt.Printf("VMCHECK powercut replay ok %s\n", detail)
	return nil
}

// parseAcks reads "ack,SEQ:DEVICE:TYPE,...".
func parseAcks(label string) ([]ack, error) {
	var out []ack
	for _, f := range strings.Split(strings.TrimPrefix(label, "ack,"), ",") {
		p := strings.SplitN(f, ":", 3)
		if len(p) != 3 {
			return nil, fmt.Errorf("bad ack %q", f)
		}
		seq, err := strconv.ParseUint(p[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad ack %q: %w", f, err)
		}
		out = append(out, ack{seq, p[1], p[2]})
	}
	return out, nil
}

// checkPoint checks one crash state: the image as replayed so far.
func checkPoint(c *counts, img *os.File, work string, acked []ack, ctl int, agent, config string) error {
	pt := filepath.Join(work, "point.img")
	if err := copyFile(img.Name(), pt); err != nil {
		return err
	}
	// -p: replay the journal and fix only what is safe to fix unattended;
	// 0 clean, 1 fixed, anything else is damage a power cut must not cause.
	out, err := exec.Command("e2fsck", "-p", pt).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		c.fsckFixed++
	default:
		return fmt.Errorf("e2fsck: %v: %s", err, out)
	}
	if ctl > 0 {
		lost, err := controlLost(pt, ctl)
		if err != nil {
			return err
		}
		if lost > 0 {
			c.controlCaught++
			c.controlMaxLost = max(c.controlMaxLost, lost)
		}
	}
	dir := filepath.Join(work, "point")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("debugfs", "-R", "rdump /data "+dir, pt).CombinedOutput(); err != nil {
		return fmt.Errorf("debugfs: %v: %s", err, out)
	}
	pristine := filepath.Join(work, "pristine")
	if err := os.RemoveAll(pristine); err != nil {
		return err
	}
	if err := os.CopyFS(pristine, os.DirFS(dir)); err != nil {
		return err
	}
	db := filepath.Join(dir, "data", "state.db")
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		if len(acked) > 0 {
			c.lost += len(acked)
			return fmt.Errorf("no state.db, %d actions acknowledged", len(acked))
		}
		c.noStore++
		return nil
	}
	if err := boltCheck(db); err != nil {
		return err
	}
	s, rep, err := store.Open(db, store.Options{})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if rep.Recovered {
		c.recovered++
	}
	lost, err := missing(s, acked)
	s.Close()
	if err != nil {
		return err
	}
	c.lost += lost
	switch {
	case lost > 0:
		return fmt.Errorf("%d of %d acknowledged actions not in the event log (recovered=%v %s)", lost, len(acked), rep.Recovered, rep.Reason)
	case rep.Recovered:
		return fmt.Errorf("the store was recovered: %s", rep.Reason)
	}
	if agent != "" {
		c.agentStarts++
		// The store opened above moved its boot counter: the agent starts
		// on the copy taken before.
		return agentStarts(agent, config, filepath.Join(pristine, "data"))
	}
	return nil
}

// controlLost counts the first n control files (4096 bytes each) that are
// missing or short in the image.
func controlLost(img string, n int) (int, error) {
	out, err := exec.Command("debugfs", "-R", "ls -p /control", img).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("debugfs ls /control: %v: %s", err, out)
	}
	whole := filesOfSize(string(out), 4096)
	lost := 0
	for i := 0; i < n; i++ {
		if !whole[strconv.Itoa(i)] {
			lost++
		}
	}
	return lost, nil
}

// filesOfSize reads debugfs "ls -p" (one "/INODE/MODE/UID/GID/NAME/SIZE/"
// line per entry) and returns the names of the entries of size bytes.
func filesOfSize(ls string, size int64) map[string]bool {
	names := map[string]bool{}
	for _, l := range strings.Split(ls, "\n") {
		f := strings.Split(strings.TrimSpace(l), "/")
		if len(f) == 8 && f[6] == strconv.FormatInt(size, 10) {
			names[f[5]] = true
		}
	}
	return names
}

func boltCheck(path string) error {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("bbolt open: %w", err)
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return fmt.Errorf("bbolt check: %w", errors.Join(errs...))
		}
		return nil
	})
}

// missing counts the acknowledged actions whose event is not in the store.
func missing(s *store.Store, acked []ack) (int, error) {
	have := map[uint64]store.Event{}
	var after uint64
	for {
		evs, err := s.Events(after, 1000)
		if err != nil {
			return 0, err
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			have[e.Seq] = e
		}
		after = evs[len(evs)-1].Seq
	}
	lost := 0
	for _, a := range acked {
		if e, ok := have[a.seq]; !ok || e.Device != a.dev || e.Type != a.typ {
			lost++
		}
	}
	return lost, nil
}

// agentStarts runs the agent on the point's data: it must get ready with
// the lock locked and the light off, and report the store not recovered.
func agentStarts(bin, config, data string) error {
	cmd := exec.Command(bin, "run", "--config", config, "--sim", "--data-dir", data, "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	// Checked, it goes as it would in a power cut: no clean stop to wait
	// for (the data is a scratch copy).
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stderr)
	}()
	var log []string
	recovered := ""
	timeout := time.After(30 * time.Second)
	for ready := false; !ready; {
		select {
		case l, ok := <-lines:
			if !ok {
				return fmt.Errorf("agent exited before ready: %s", strings.Join(log, "\n"))
			}
			log = append(log, l)
			if strings.Contains(l, "msg=\"store opened\"") {
				recovered = l
			}
			ready = strings.Contains(l, "msg=ready")
		case <-timeout:
			return fmt.Errorf("agent not ready in 30s: %s", strings.Join(log, "\n"))
		}
	}
	go func() {
		for range lines {
		}
	}()
	if !strings.Contains(recovered, "recovered=false") {
		return fmt.Errorf("agent's store: %q", recovered)
	}
	devs, err := localapi.NewAdminClient(filepath.Join(data, "admin.sock")).Devices()
	if err != nil {
		return err
	}
	for _, d := range devs {
		if (d.ID == "front-door" && d.State != "locked") || (d.ID == "light" && d.State != "off") {
			return fmt.Errorf("after a power cut the agent started with %s %s", d.ID, d.State)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
