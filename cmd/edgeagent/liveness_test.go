package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/liveness"
	"github.com/edgeagent/edgeagent/internal/localapi"
)

// stallListener holds every accepted connection while held: a server
// whose accept loop is stuck.
type stallListener struct {
	net.Listener
	entered chan struct{} // a connection arrived while held

	mu   sync.Mutex
	held chan struct{} // closed: serving
}

func (l *stallListener) gate() chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

func (l *stallListener) hold() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held = make(chan struct{})
}

func (l *stallListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	held := l.gate()
	select {
	case <-held:
	default:
		select {
		case l.entered <- struct{}{}:
		default:
		}
		<-held
	}
	return c, err
}

// The admin socket is a required loop, probed: while its accept loop is
// stuck the watchdog's check fails naming it (the pings stop, systemd
// restarts the agent), although a stalled cloud loop, not required, never
// does; once it serves again the check passes.
func TestAdminSocketStallWithholdsWatchdog(t *testing.T) {
	clk := clocktest.New(time.Now())
	live := liveness.New(clk)
	live.Add("cloud outbox loop", time.Second, false) // never beats: a cloud loop stalled throughout
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "admin.sock"))
	if err != nil {
		t.Fatal(err)
	}
	sl := &stallListener{Listener: ln, held: make(chan struct{}), entered: make(chan struct{}, 1)}
	close(sl.held) // serving
	admin := &localapi.Admin{Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveAdmin(admin, sl, live)(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	// The probe arms its next turn on clk before it asks (the first one a
	// period after the start): the test moves the clock only once that
	// turn is armed, or the turn would fall after the time moved.
	armed := func() {
		waitFor(t, "the probe's next turn to be armed", func() bool { return clk.Pending() == 1 })
	}
	healthy := func() bool {
		armed()
		clk.Advance(probeEvery) // the probe's next turn
		return live.Check() == nil
	}
	waitFor(t, "the admin probe to answer", healthy)

	sl.hold()
	armed()
	clk.Advance(probeEvery)
	select {
	case <-sl.entered: // the probe's request is stuck in the accept loop
	case <-time.After(10 * time.Second):
		t.Fatal("the probe asked nothing within 10 s of its turn")
	}
	clk.Advance(probeBound + time.Millisecond)
	if err := live.Check(); !errors.Is(err, liveness.ErrStalled) || !strings.Contains(err.Error(), "admin socket") || strings.Contains(err.Error(), "cloud") {
		t.Fatalf("admin socket stuck past its bound: Check = %v, want ErrStalled naming it and not the cloud loop", err)
	}
	close(sl.gate())
	waitFor(t, "the admin probe to answer again", healthy)
}
