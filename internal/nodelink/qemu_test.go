package nodelink_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/nodelink"
	"github.com/edgeagent/edgeagent/internal/nodelink/nodetest"
)

// limit bounds every wait on the emulated node: a hung node fails the test
// instead of hanging it. Nothing below asserts on how fast qemu is.
const limit = 20 * time.Second

// hub is a running Conn: the hub's side of the link.
type hub struct {
	c      *nodelink.Conn
	cancel context.CancelFunc
	done   chan error
}

func startHub(t *testing.T, n *nodetest.Node) *hub {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &hub{c: nodelink.New(n.Link, clock.Real{}, nodelink.Options{}), cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- h.c.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

// stop is the hub dying: its heartbeats end.
func (h *hub) stop() {
	h.cancel()
	<-h.done
	h.done <- context.Canceled // stop may be called again
}

func (h *hub) do(t *testing.T, m nodelink.Msg) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	return h.c.Do(ctx, m)
}

// report waits for the next report that match accepts, skipping others.
func (h *hub) report(t *testing.T, what string, match func(nodelink.Msg) bool) nodelink.Msg {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case m := <-h.c.Reports():
			if match(m) {
				return m
			}
		case <-timer.C:
			t.Fatalf("no %s report within %v", what, limit)
		}
	}
}

func pinTable(t *testing.T) nodelink.Msg {
	t.Helper()
	e, err := nodelink.NewPINEntry(7, "2468", [16]byte{1, 2, 3}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return nodelink.Msg{Type: nodelink.PINs, Iterations: 1000, Entries: []nodelink.PINEntry{e}}
}

// TestQEMULock drives the real lock image through a session: state and
// commands round trip; a garbage flood changes nothing; the hub dies and
// the node locks and goes local; a keypad PIN opens it alone; the hub comes
// back and the local decisions come up; a hung main loop is reset by the
// watchdog into the safe state.
func TestQEMULock(t *testing.T) {
	n := nodetest.Boot(t, "lock")
	h := startHub(t, n)

	// hello both ways, then the node's state in hub mode
	h.report(t, "state in hub mode", func(m nodelink.Msg) bool {
		return m.Type == nodelink.State && m.Mode == nodelink.ModeHub
	})
	if hl := h.c.Health(); !hl.Up || hl.Kind != nodelink.KindLock || hl.Version == "" {
		t.Fatalf("health after hello: %+v", hl)
	}

	// commands round trip: the table, an unlock pulse the node ends itself
	if err := h.do(t, pinTable(t)); err != nil {
		t.Fatalf("PIN table: %v", err)
	}
	if err := h.do(t, nodelink.Msg{Type: nodelink.Lock, On: true, MS: 1500}); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	n.WaitLine(t, "lock 1", 1, limit)
	h.report(t, "unlocked state", func(m nodelink.Msg) bool { return m.Type == nodelink.State && m.Output })
	n.WaitLine(t, "lock 0", 1, limit)
	h.report(t, "relocked state", func(m nodelink.Msg) bool { return m.Type == nodelink.State && !m.Output })
	if err := h.do(t, nodelink.Msg{Type: nodelink.Relay, On: true}); !errors.Is(err, nodelink.ErrUnsupported) {
		t.Fatalf("relay on a lock: %v, want ErrUnsupported", err)
	}
	if err := h.do(t, nodelink.Msg{Type: nodelink.Lock, On: true, MS: 600000}); !errors.Is(err, nodelink.ErrBadRequest) {
		t.Fatalf("a 10 min unlock: %v, want ErrBadRequest", err)
	}

	// a garbage flood on the link: no output moves, the session holds.
	// 8 KB is 0.7 s of line time at 115 200 baud: a flood longer than the
	// node's 5 s heartbeat timeout holds the hub's heartbeats back, and the
	// node then does what it does when the hub is gone: locks, goes local.
	rng := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 8<<10)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	// A kilobyte at a time, each followed by a request the node must
	// answer: the node reads the line in order, so the answer says it has
	// been through the junk before it, however slowly qemu emulates it
	// (back to back, a starved qemu took over 5 s on 8 KB, and the node
	// rightly called the hub lost).
	for off := 0; off < len(junk); off += 1024 {
		if _, err := n.Link.Write(junk[off : off+1024]); err != nil {
			t.Fatal(err)
		}
		if err := h.do(t, nodelink.Msg{Type: nodelink.StateRequest}); err != nil {
			t.Fatalf("state request after %d bytes of junk: %v", off+1024, err)
		}
	}
	if err := h.do(t, nodelink.Msg{Type: nodelink.StateRequest}); err != nil {
		t.Fatalf("state request after the flood: %v", err)
	}
	st := h.report(t, "state after the flood", func(m nodelink.Msg) bool { return m.Type == nodelink.State })
	if st.Output || st.Mode != nodelink.ModeHub {
		t.Fatalf("after the flood: %+v", st)
	}
	if n.Count("lock 1") != 1 || n.Count("mode local") != 0 {
		t.Fatalf("the flood moved something: lock 1 x%d, mode local x%d", n.Count("lock 1"), n.Count("mode local"))
	}

	// the hub dies with the door unlocked for a minute: the node locks
	if err := h.do(t, nodelink.Msg{Type: nodelink.Lock, On: true, MS: 60000}); err != nil {
		t.Fatal(err)
	}
	n.WaitLine(t, "lock 1", 2, limit)
	h.stop()
	n.WaitLine(t, "lock 0", 2, limit)
	n.WaitLine(t, "mode local", 1, limit)

	// alone, a keypad PIN from the pushed table opens it
	n.WaitLine(t, "keypad ready", 1, limit)
	n.Input(t, "k1111#")
	n.Input(t, "k2468#")
	n.WaitLine(t, "lock 1", 3, limit)
	n.WaitLine(t, "lock 0", 3, limit) // the local pulse ends by itself

	// the hub comes back: the local decisions come up, in order
	h2 := startHub(t, n)
	lost := h2.report(t, "hub-lost alarm", func(m nodelink.Msg) bool {
		return m.Type == nodelink.Alarm && m.Code == nodelink.AlarmHubLost
	})
	denied := h2.report(t, "denied keypad entry", func(m nodelink.Msg) bool { return m.Type == nodelink.Keypad })
	opened := h2.report(t, "keypad open", func(m nodelink.Msg) bool { return m.Type == nodelink.Keypad })
	if denied.Result != nodelink.KeypadDenied || opened.Result != nodelink.KeypadGranted || !opened.Opened || opened.User != 7 {
		t.Fatalf("keypad reports: %+v then %+v", denied, opened)
	}
	if !(lost.No < denied.No && denied.No < opened.No) {
		t.Fatalf("out of order: alarm %d, denied %d, opened %d", lost.No, denied.No, opened.No)
	}

	// a hung main loop: the watchdog resets the node, which boots locked
	if err := h2.do(t, nodelink.Msg{Type: nodelink.Lock, On: true, MS: 60000}); err != nil {
		t.Fatal(err)
	}
	n.WaitLine(t, "lock 1", 4, limit)
	n.Input(t, "hang")
	n.WaitLine(t, "boot 1", 1, limit)
	h2.report(t, "watchdog alarm", func(m nodelink.Msg) bool {
		return m.Type == nodelink.Alarm && m.Code == nodelink.AlarmWatchdog
	})
	if hl := h2.c.Health(); hl.ResetCause != 1 || hl.State.Output {
		t.Fatalf("after the watchdog reset: %+v", hl)
	}
}

// TestQEMUBoiler: the relay follows the hub, goes off when the hub dies,
// and the node's own frost guard runs it alone.
func TestQEMUBoiler(t *testing.T) {
	n := nodetest.Boot(t, "boiler")
	h := startHub(t, n)
	h.report(t, "state in hub mode", func(m nodelink.Msg) bool {
		return m.Type == nodelink.State && m.Mode == nodelink.ModeHub
	})
	if err := h.do(t, nodelink.Msg{Type: nodelink.Relay, On: true}); !errors.Is(err, nodelink.ErrRefused) {
		t.Fatalf("relay on with no sensor reading: %v, want ErrRefused", err)
	}
	n.Input(t, "t1800")
	h.report(t, "state with 18 °C", func(m nodelink.Msg) bool {
		return m.Type == nodelink.State && m.TempValid && m.TempCenti == 1800
	})
	if err := h.do(t, nodelink.Msg{Type: nodelink.Relay, On: true}); err != nil {
		t.Fatalf("relay on: %v", err)
	}
	n.WaitLine(t, "relay 1", 1, limit)
	h.stop()
	n.WaitLine(t, "relay 0", 1, limit)
	n.WaitLine(t, "mode local", 1, limit)
	n.Input(t, "t300")
	n.WaitLine(t, "relay 1", 2, limit)
	n.Input(t, "t900")
	n.WaitLine(t, "relay 0", 2, limit)
}
