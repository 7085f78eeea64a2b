package main

// Process tests on the built binary: real processes, real bbolt files, real
// SIGKILL and SIGTERM. Every agent started here is killed in t.Cleanup.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/store"
)

var agentBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "edgeagent-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	agentBin = filepath.Join(dir, "edgeagent")
	out, err := exec.Command("go", "build", "-o", agentBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building edgeagent: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testConfig = `site = "test-site"
log_level = "debug"

[[lock]]
id = "front-door"
relay = "GPIO17"
fail = "secure"
relock_after = "3s"
contact = "GPIO27"
exit_button = "GPIO22"

[[switch]]
id = "hall-light"
relay = "GPIO5"

[[switch]]
id = "immobiliser"
relay = "GPIO13"
restore = false

[[boiler]]
id = "boiler"
relay = "GPIO6"
sensor = "28-00000a1b2c3d"
setpoint = 20.0
min_cycle = "1s"
poll = "100ms"
stale_after = "5s"

[[cover]]
id = "curtain"
up = "GPIO23"
down = "GPIO24"
travel = "2s"
reverse_delay = "100ms"

[[input]]
id = "doorbell"
pin = "GPIO16"
type = "button"
`

type proc struct {
	t      *testing.T
	dir    string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{}
	client *localapi.AdminClient
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newSite writes the test config into a fresh directory and returns the
// config path and the data dir.
func newSite(t *testing.T) (cfgPath, dataDir string) {
	t.Helper()
	dir := t.TempDir()
	cfgPath = filepath.Join(dir, "edgeagent.toml")
	if err := os.WriteFile(cfgPath, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, filepath.Join(dir, "data")
}

// startAgent runs the binary with --sim (and extra run flags) and waits until its admin socket
// answers (at most 10 s).
func startAgent(t *testing.T, cfgPath, dataDir string, extra ...string) *proc {
	t.Helper()
	a := &proc{t: t, dir: dataDir, stderr: &lockedBuffer{}, done: make(chan struct{})}
	a.cmd = exec.Command(agentBin, append([]string{"run", "--config", cfgPath, "--sim", "--data-dir", dataDir}, extra...)...)
	a.cmd.Stderr = a.stderr
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		_ = a.cmd.Process.Kill()
		<-a.done
		if t.Failed() {
			t.Logf("agent log:\n%s", a.stderr.String())
		}
	})
	a.client = localapi.NewAdminClient(filepath.Join(dataDir, "admin.sock"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := a.client.Status(); err == nil {
			return a
		}
		select {
		case <-a.done:
			t.Fatalf("agent exited during start: %v\n%s", a.cmd.ProcessState, a.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent not ready after 10s:\n%s", a.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (a *proc) kill9() {
	a.t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		a.t.Fatal(err)
	}
	<-a.done
}

func (a *proc) do(id, action, value string) devices.State {
	a.t.Helper()
	s, err := a.client.Do(id, action, value)
	if err != nil {
		a.t.Fatalf("%s %s %s: %v", id, action, value, err)
	}
	return s
}

func (a *proc) device(id string) devices.State {
	a.t.Helper()
	list, err := a.client.Devices()
	if err != nil {
		a.t.Fatal(err)
	}
	for _, d := range list {
		if d.ID == id {
			return d
		}
	}
	a.t.Fatalf("device %s not listed", id)
	return devices.State{}
}

func (a *proc) events() []store.Event {
	a.t.Helper()
	var all []store.Event
	var after uint64
	for i := 0; i < 1000; i++ {
		evs, err := a.client.Events(after, 1000)
		if err != nil {
			a.t.Fatal(err)
		}
		if len(evs) == 0 {
			return all
		}
		all = append(all, evs...)
		after = evs[len(evs)-1].Seq
	}
	a.t.Fatal("event log did not end")
	return nil
}

// waitFor polls cond for at most 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func hasEvent(evs []store.Event, device, typ string, afterSeq uint64) bool {
	for _, e := range evs {
		if e.Device == device && e.Type == typ && e.Seq > afterSeq {
			return true
		}
	}
	return false
}

func TestKill9RestoresStateAndLosesNoEvent(t *testing.T) {
	cfg, data := newSite(t)
	a := startAgent(t, cfg, data)
	a.do("hall-light", "on", "")
	a.do("immobiliser", "on", "")
	a.do("boiler", "set-setpoint", "22.5")
	a.do("boiler", "off", "")
	a.do("curtain", "set-position", "40")
	waitFor(t, "curtain at 40", func() bool { return a.device("curtain").State == "stopped" })
	pos := a.device("curtain").Attrs["position"]
	a.do("front-door", "unlock", "")
	before := a.events()
	a.kill9()

	b := startAgent(t, cfg, data)
	if s := b.device("hall-light").State; s != "on" {
		t.Errorf("hall-light after kill -9 = %s, want on (restored)", s)
	}
	if s := b.device("immobiliser").State; s != "off" {
		t.Errorf("immobiliser after kill -9 = %s, want off (restore = false)", s)
	}
	if s := b.device("front-door").State; s != "locked" {
		t.Errorf("front-door after kill -9 = %s, want locked", s)
	}
	boiler := b.device("boiler")
	if boiler.Attrs["setpoint"] != 22.5 || boiler.Attrs["mode"] != "off" {
		t.Errorf("boiler after kill -9: %v, want setpoint 22.5 mode off", boiler.Attrs)
	}
	if got := b.device("curtain").Attrs["position"]; got != pos {
		t.Errorf("curtain position after kill -9 = %v, want %v", got, pos)
	}
	after := b.events()
	have := map[uint64]store.Event{}
	for _, e := range after {
		have[e.Seq] = e
	}
	for _, e := range before {
		if got, ok := have[e.Seq]; !ok || got.Type != e.Type || got.Device != e.Device {
			t.Errorf("event %d %s/%s lost or changed after kill -9", e.Seq, e.Device, e.Type)
		}
	}
	st, err := b.client.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Store.Boot <= before[len(before)-1].Boot {
		t.Errorf("boot epoch did not advance: events of boot %d, now boot %d", before[len(before)-1].Boot, st.Store.Boot)
	}
}

// Kill the agent at random moments while a client toggles a switch: every
// toggle the agent acknowledged must have its event after the restart, and
// sequence numbers never repeat.
func TestKill9DuringActivity(t *testing.T) {
	cfg, data := newSite(t)
	acked := 0
	for round := 0; round < 5; round++ {
		a := startAgent(t, cfg, data)
		stop := make(chan struct{})
		var mu sync.Mutex
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := a.client.Do("hall-light", "toggle", ""); err != nil {
					return // killed mid-request: not acknowledged
				}
				mu.Lock()
				acked++
				mu.Unlock()
			}
		}()
		time.Sleep(time.Duration(20+rand.IntN(200)) * time.Millisecond)
		a.kill9()
		close(stop)
		wg.Wait()
	}
	b := startAgent(t, cfg, data)
	evs := b.events()
	seen := map[uint64]bool{}
	toggles := 0
	var last uint64
	for _, e := range evs {
		if seen[e.Seq] || e.Seq <= last {
			t.Fatalf("sequence %d repeated or out of order", e.Seq)
		}
		seen[e.Seq], last = true, e.Seq
		if e.Device == "hall-light" && (e.Type == "switched_on" || e.Type == "switched_off") {
			toggles++
		}
	}
	if acked == 0 {
		t.Fatal("no toggle was acknowledged: the test did not exercise anything")
	}
	if toggles < acked {
		t.Fatalf("%d toggles acknowledged, only %d recorded: events lost on kill -9", acked, toggles)
	}
	t.Logf("%d toggles acknowledged over 5 kills, %d recorded", acked, toggles)
}

func TestSIGTERMStopsSafelyWithin2s(t *testing.T) {
	cfg, data := newSite(t)
	a := startAgent(t, cfg, data)
	a.do("hall-light", "on", "")
	a.do("boiler", "set-temperature", "12")
	a.do("boiler", "on", "")
	waitFor(t, "boiler heating", func() bool { return a.device("boiler").State == "heating" })
	a.do("curtain", "open", "")
	a.do("front-door", "unlock", "")
	last := a.events()
	lastSeq := last[len(last)-1].Seq

	start := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.done:
	case <-time.After(2 * time.Second):
		t.Fatalf("agent still running 2s after SIGTERM:\n%s", a.stderr.String())
	}
	if code := a.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM:\n%s", code, a.stderr.String())
	}
	t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat(filepath.Join(data, "admin.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("admin socket left behind: %v", err)
	}

	b := startAgent(t, cfg, data)
	evs := b.events()
	for _, want := range []struct{ device, typ string }{
		{"front-door", "locked"}, {"boiler", "boiler_off"}, {"curtain", "cover_stopped"},
	} {
		if !hasEvent(evs, want.device, want.typ, lastSeq) {
			t.Errorf("no %s %s event recorded by the shutdown", want.device, want.typ)
		}
	}
	if hasEvent(evs, "hall-light", "switched_off", lastSeq) {
		t.Error("shutdown switched the light off: switches keep their state")
	}
	if s := b.device("hall-light").State; s != "on" {
		t.Errorf("hall-light after restart = %s, want on", s)
	}
}

func TestCorruptStoreStartsSafeAndReports(t *testing.T) {
	cfg, data := newSite(t)
	a := startAgent(t, cfg, data)
	a.do("hall-light", "on", "")
	a.kill9()
	// Overwrite the middle of the file with garbage, as a failing SD card would.
	path := filepath.Join(data, "state.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096; i < len(b); i++ {
		b[i] = byte(rand.IntN(256))
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	c := startAgent(t, cfg, data)
	st, err := c.client.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !st.Store.Recovered || st.Store.Reason == "" || st.Store.MovedTo == "" {
		t.Fatalf("status does not report the recovery: %+v", st.Store)
	}
	if _, err := os.Stat(st.Store.MovedTo); err != nil {
		t.Errorf("the corrupt file was not kept: %v", err)
	}
	if !hasEvent(c.events(), "", "store_recovered", 0) {
		t.Error("no store_recovered event")
	}
	if !strings.Contains(c.stderr.String(), "STORE WAS CORRUPT") {
		t.Errorf("the log does not say it loudly:\n%s", c.stderr.String())
	}
	// The boiler starts in its configured mode (heat, 20 °C) with the relay
	// off; the simulated room is at 20 °C, inside the band: idle.
	for _, d := range []struct{ id, want string }{{"front-door", "locked"}, {"hall-light", "off"}, {"boiler", "idle"}} {
		if got := c.device(d.id).State; got != d.want {
			t.Errorf("%s = %s after recovery, want %s", d.id, got, d.want)
		}
	}
	out, err := exec.Command(agentBin, "status", "--data-dir", data).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RECOVERED") {
		t.Errorf("edgeagent status does not show the recovery (%v):\n%s", err, out)
	}
}

func TestStoreHeldByAnotherAgent(t *testing.T) {
	cfg, data := newSite(t)
	startAgent(t, cfg, data)
	cmd := exec.Command(agentBin, "run", "--config", cfg, "--sim", "--data-dir", data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("second agent on the same store: %v, want exit code 1\n%s", err, stderr.String())
	}
	msg := stderr.String()
	if !strings.Contains(msg, filepath.Join(data, "state.db")) || !strings.Contains(msg, "another process") {
		t.Errorf("error does not name the file and the cause:\n%s", msg)
	}
	if !strings.Contains(msg, "outputs safe") {
		t.Errorf("outputs were not made safe before the store:\n%s", msg)
	}
}

func TestAdminSocketIsRootOnly(t *testing.T) {
	cfg, data := newSite(t)
	startAgent(t, cfg, data)
	fi, err := os.Stat(filepath.Join(data, "admin.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("admin socket mode %o, want 600", perm)
	}
	di, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	if perm := di.Mode().Perm(); perm != 0o700 {
		t.Errorf("data dir mode %o, want 700", perm)
	}
}

func TestCLI(t *testing.T) {
	cfg, data := newSite(t)
	startAgent(t, cfg, data)
	run := func(args ...string) (string, int) { return cli(t, "", args...) }
	out, code := run("device", "set", "hall-light", "on", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "hall-light: on") {
		t.Errorf("device set: %d %q", code, out)
	}
	out, code = run("device", "list", "--json", "--socket", filepath.Join(data, "admin.sock"))
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil {
		t.Fatalf("device list --json: %d %v %q", code, err, out)
	}
	if len(list) != 6 {
		t.Errorf("device list has %d devices, want 6", len(list))
	}
	for _, d := range list {
		for _, k := range []string{"id", "kind", "state"} {
			if _, ok := d[k]; !ok {
				t.Errorf("device %v has no %q", d, k)
			}
		}
	}
	out, code = run("device", "list", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "ID") || !strings.Contains(out, "front-door") {
		t.Errorf("device list table: %d %q", code, out)
	}
	out, code = run("device", "set", "nosuch", "on", "--data-dir", data)
	if code != 1 || !strings.Contains(out, "unknown_device") || !strings.Contains(out, "nosuch") {
		t.Errorf("unknown device: %d %q", code, out)
	}
	out, code = run("status", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "test-site") {
		t.Errorf("status: %d %q", code, out)
	}
	out, code = run("status", "--data-dir", filepath.Join(t.TempDir(), "none"))
	if code != 1 || !strings.Contains(out, "is the agent running?") {
		t.Errorf("status without an agent: %d %q", code, out)
	}
	out, code = run("config", "check", cfg)
	if code != 0 || !strings.Contains(out, "ok (site test-site, 6 devices") {
		t.Errorf("config check: %d %q", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("site = \"x\"\n[[switch]]\nid = \"l\"\nrelay = \"GPIO1\"\ncolour = 1\n"), 0o600)
	out, code = run("run", "--config", bad, "--sim")
	if code != 2 || !strings.Contains(out, bad+":5: switch.colour: unknown key") {
		t.Errorf("run with a bad config: %d %q", code, out)
	}
	out, code = run("device", "frobnicate")
	if code != 2 || !strings.Contains(out, "unknown device command") {
		t.Errorf("bad usage: %d %q", code, out)
	}
	out, code = run("version")
	if code != 0 || !strings.HasPrefix(out, "edgeagent ") {
		t.Errorf("version: %d %q", code, out)
	}
}

// Two agents with their own data dirs run side by side.
func TestTwoAgentsSideBySide(t *testing.T) {
	cfg1, data1 := newSite(t)
	cfg2, data2 := newSite(t)
	a := startAgent(t, cfg1, data1)
	b := startAgent(t, cfg2, data2)
	a.do("hall-light", "on", "")
	if s := b.device("hall-light").State; s != "off" {
		t.Errorf("agent b sees a's light: %s", s)
	}
}

// `edgeagent events` with no --after lists the end of the history (the
// newest --limit events, oldest first), not its month-old start; --after
// pages from anywhere.
func TestEventsCommandShowsTheNewest(t *testing.T) {
	cfg, data := newSite(t)
	a := startAgent(t, cfg, data)
	for i := range 6 {
		a.do("hall-light", []string{"on", "off"}[i%2], "")
	}
	all := a.events()
	if len(all) < 6 {
		t.Fatalf("%d events after 6 actions", len(all))
	}
	seqs := func(out string) []string {
		var s []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			s = append(s, strings.Fields(line)[0])
		}
		return s
	}
	last := all[len(all)-1].Seq
	got := seqs(mustCLI(t, "", "events", "--data-dir", data, "--limit", "2"))
	if want := []string{fmt.Sprint(last - 1), fmt.Sprint(last)}; !slices.Equal(got, want) {
		t.Errorf("events --limit 2 listed seqs %v, want the newest two %v", got, want)
	}
	got = seqs(mustCLI(t, "", "events", "--data-dir", data, "--after", "0", "--limit", "2"))
	if want := []string{fmt.Sprint(all[0].Seq), fmt.Sprint(all[1].Seq)}; !slices.Equal(got, want) {
		t.Errorf("events --after 0 --limit 2 listed seqs %v, want the oldest two %v", got, want)
	}
	if out, code := cli(t, "", "events", "--data-dir", data, "--limit", "0"); code != 2 || !strings.Contains(out, "--limit 0") {
		t.Errorf("events --limit 0: exit %d, %q; want a usage error naming it", code, out)
	}
}
