package sdnotify

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// listen opens a real unixgram socket, as systemd does, and points
// NOTIFY_SOCKET at it.
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return c
}

// recv returns the next datagram, or "" when none arrives within wait.
func recv(t *testing.T, c *net.UnixConn, wait time.Duration) string {
	t.Helper()
	buf := make([]byte, 4096)
	if err := c.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNoSocketIsANoOp(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	for name, f := range map[string]func() error{"Ready": Ready, "Watchdog": Watchdog, "Stopping": Stopping} {
		if err := f(); err != nil {
			t.Errorf("%s without NOTIFY_SOCKET: %v", name, err)
		}
	}
}

func TestMessages(t *testing.T) {
	c := listen(t)
	for _, tc := range []struct {
		f    func() error
		want string
	}{{Ready, "READY=1"}, {Watchdog, "WATCHDOG=1"}, {Stopping, "STOPPING=1"}} {
		if err := tc.f(); err != nil {
			t.Fatalf("%s: %v", tc.want, err)
		}
		if got := recv(t, c, 5*time.Second); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	if err := Notify("STATUS=serving\nREADY=1"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c, 5*time.Second); got != "STATUS=serving\nREADY=1" {
		t.Errorf("got %q", got)
	}
}

func TestAbstractSocket(t *testing.T) {
	name := "edgeagent-sdnotify-test-" + strconv.Itoa(os.Getpid())
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "@" + name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Setenv("NOTIFY_SOCKET", "@"+name)
	if err := Ready(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c, 5*time.Second); got != "READY=1" {
		t.Errorf("got %q", got)
	}
}

func TestBadSocket(t *testing.T) {
	for _, addr := range []string{"relative/path.sock", filepath.Join(t.TempDir(), "missing.sock")} {
		t.Setenv("NOTIFY_SOCKET", addr)
		if err := Ready(); err == nil {
			t.Errorf("NOTIFY_SOCKET=%q: no error", addr)
		}
	}
}

func TestWatchdogInterval(t *testing.T) {
	me := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
		ok        bool
	}{
		{"", "", 0, false},
		{"0", "", 0, false},
		{"-5", "", 0, false},
		{"ten", "", 0, false},
		{"10000000", "", 10 * time.Second, true},
		{"10000000", me, 10 * time.Second, true},
		{"10000000", "1", 0, false}, // meant for another process
		{"10000000", "x", 0, false},
	} {
		t.Setenv("WATCHDOG_USEC", tc.usec)
		t.Setenv("WATCHDOG_PID", tc.pid)
		got, ok := WatchdogInterval()
		if got != tc.want || ok != tc.ok {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: got %s %v, want %s %v", tc.usec, tc.pid, got, ok, tc.want, tc.ok)
		}
	}
}

// TestHeartbeatStopsWhenCheckHangs: pings flow while the check answers, stop
// while it hangs (with no second check started), and resume when it answers
// again.
func TestHeartbeatStopsWhenCheckHangs(t *testing.T) {
	c := listen(t)
	var calls atomic.Int32
	var hung atomic.Bool
	release := make(chan struct{})
	check := func() error {
		calls.Add(1)
		if hung.Load() {
			<-release
		}
		return nil
	}
	var mu sync.Mutex
	var misses []error
	missed := make(chan struct{}, 100)
	onMiss := func(err error) {
		mu.Lock()
		misses = append(misses, err)
		mu.Unlock()
		missed <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Heartbeat(ctx, 10*time.Millisecond, check, onMiss) }()

	for i := range 3 {
		if got := recv(t, c, 5*time.Second); got != "WATCHDOG=1" {
			t.Fatalf("ping %d: got %q", i, got)
		}
	}

	hung.Store(true)
	// Drain pings sent before the hang took effect, then expect silence
	// through several missed beats.
	for i := 0; i < 3; i++ {
		<-missed
	}
	before := calls.Load()
	for recv(t, c, 50*time.Millisecond) != "" {
	}
	for i := 0; i < 3; i++ {
		<-missed
	}
	if got := recv(t, c, 50*time.Millisecond); got != "" {
		t.Fatalf("pinged %q while the check hangs", got)
	}
	if calls.Load() != before {
		t.Errorf("a second check was started while the first hangs (%d calls, was %d)", calls.Load(), before)
	}
	mu.Lock()
	for _, err := range misses {
		if !errors.Is(err, ErrUnhealthy) {
			t.Errorf("miss reported as %v, want ErrUnhealthy", err)
		}
	}
	mu.Unlock()

	hung.Store(false)
	close(release)
	if got := recv(t, c, 5*time.Second); got != "WATCHDOG=1" {
		t.Fatalf("no ping after the check recovered: %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestHeartbeatReportsFailedCheck(t *testing.T) {
	c := listen(t)
	boom := errors.New("hub did not answer")
	missed := make(chan error, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = Heartbeat(ctx, 5*time.Millisecond, func() error { return boom }, func(err error) { missed <- err })
	}()
	if err := <-missed; !errors.Is(err, boom) {
		t.Fatalf("onMiss got %v", err)
	}
	if got := recv(t, c, 50*time.Millisecond); got != "" {
		t.Fatalf("pinged %q although the check failed", got)
	}
}

func TestHeartbeatBadInterval(t *testing.T) {
	if err := Heartbeat(context.Background(), 0, func() error { return nil }, nil); err == nil {
		t.Fatal("no error for a zero interval")
	}
}

// Example: what the agent does after its admin socket serves.
func Example() {
	if err := Ready(); err != nil {
		// Logged, never fatal: local control goes on without systemd.
		return
	}
	if iv, ok := WatchdogInterval(); ok {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _ = Heartbeat(ctx, iv/2, func() error { return nil }, nil) }()
	}
	// Output:
}
