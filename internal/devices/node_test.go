package devices

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/nodelink"
	"github.com/edgeagent/edgeagent/internal/nodelink/nodetest"
)

// nodeHub runs a Hub with one lock node on the emulated node's link pty,
// opened afresh (as a restarted agent opens its tty).
type nodeHub struct {
	h      *Hub
	j      *memJournal
	cancel context.CancelFunc
	done   chan error
}

func startNodeHub(t *testing.T, n *nodetest.Node, o NodeOpts) *nodeHub {
	t.Helper()
	r := &nodeHub{j: &memJournal{}, done: make(chan error, 1)}
	h, err := New(Config{Nodes: []NodeOpts{o}}, Options{
		NodePort: func(string, int) (SerialPort, error) { return nodelink.OpenSerial(n.LinkPath, 115200) },
	})
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	r.j.hub = h
	h.Start(r.j, nil)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- h.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *nodeHub) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

func hasEvent(evs []Event, typ string, kv ...any) bool {
next:
	for _, e := range evs {
		if e.Type != typ || e.Class != ClassAudit {
			continue
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if e.Data[kv[i].(string)] != kv[i+1] {
				continue next
			}
		}
		return true
	}
	return false
}

// TestNodeLockOnQEMU: the real lock image under qemu as a device of the
// Hub. Do unlocks through the link and the state shows the node's health;
// the hub shutting down leaves it locked; alone, the node opens on a PIN the
// hub pushed from its options; a hub started again finds that decision, and
// the loss of the hub, in its journal as audit events.
func TestNodeLockOnQEMU(t *testing.T) {
	n := nodetest.Boot(t, "lock")
	pin, err := nodelink.NewPINEntry(7, "2468", [nodelink.SaltLen]byte{9, 9, 9}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultNodeOpts
	o.ID, o.Kind, o.Port = "front", NodeLock, "/dev/ttyNODE"
	o.UnlockFor = 60 * time.Second
	o.PINs = []nodelink.PINEntry{pin}

	r := startNodeHub(t, n, o)
	st, err := r.h.Do("front", "unlock", "")
	if err != nil {
		t.Fatalf("unlock: %v", err)
	}
	n.WaitLine(t, "lock 1", 1, 20*time.Second)
	health, _ := st.Attrs["node"].(map[string]any)
	if st.State != "unlocked" || st.Kind != "lock" || health["up"] != true || health["port"] != "/dev/ttyNODE" {
		t.Fatalf("state after unlock: %+v", st)
	}
	if !hasEvent(r.j.events("front"), "unlocked", "by", "command") {
		t.Fatalf("no audit event for the unlock: %+v", r.j.events("front"))
	}
	if _, err := r.h.Do("front", "on", ""); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("on to a lock node: %v, want ErrUnknownAction", err)
	}

	// the agent stops: the node is locked at once, then goes local
	r.stop()
	n.WaitLine(t, "lock 0", 1, 20*time.Second)
	n.WaitLine(t, "mode local", 1, 20*time.Second)

	// alone: a wrong PIN, then the right one opens it
	n.WaitLine(t, "keypad ready", 1, 20*time.Second)
	n.Input(t, "k1357#")
	n.Input(t, "k2468#")
	n.WaitLine(t, "lock 1", 2, 20*time.Second)

	// the agent starts again: the node's local decisions are in its journal
	r2 := startNodeHub(t, n, o)
	waitUntil(t, "the node's buffered reports", func() bool {
		evs := r2.j.events("front")
		return hasEvent(evs, "keypad_granted", "user", uint32(7), "opened_by_node", true) &&
			hasEvent(evs, "unlocked", "by", "keypad_local") &&
			hasEvent(evs, "keypad_denied") &&
			hasEvent(evs, "node_alarm", "alarm", "hub_lost")
	})
	// the local open is told once, as the keypad's: the node reports the
	// entry before the state it caused
	if evs := r2.j.events("front"); hasEvent(evs, "unlocked", "by", "node") {
		t.Fatalf("the keypad's open also recorded as the node's own: %+v", evs)
	}
}

// TestNodeDoErrorsChangeNothing: a refused action on a node sends nothing
// down the link and records nothing, as for the GPIO kinds; a node that
// does not answer is ErrNodeUnreachable, recorded as nothing.
func TestNodeDoErrorsChangeNothing(t *testing.T) {
	hubEnd, nodeEnd := net.Pipe()
	commands := make(chan nodelink.Msg, 64)
	go func() { // the node: answers the hello, then only listens
		var sp nodelink.Splitter
		buf := make([]byte, 512)
		for {
			k, err := nodeEnd.Read(buf)
			sp.Feed(buf[:k], func(f []byte, tooLong bool) {
				m, err := nodelink.DecodeFrame(f)
				if err != nil {
					return
				}
				switch m.Type {
				case nodelink.HubHello:
					hello, _ := (&nodelink.Msg{Type: nodelink.NodeHello, Proto: nodelink.Proto, Kind: nodelink.KindLock, Token: m.Token}).Encode()
					go nodeEnd.Write(hello)
				case nodelink.Lock, nodelink.Relay:
					commands <- m
				}
			})
			if err != nil {
				return
			}
		}
	}()
	o := DefaultNodeOpts
	o.ID, o.Kind, o.Port = "gate", NodeLock, "/dev/ttyNODE"
	j := &memJournal{}
	h, err := New(Config{Nodes: []NodeOpts{o}}, Options{NodePort: func(string, int) (SerialPort, error) { return hubEnd, nil }})
	if err != nil {
		t.Fatal(err)
	}
	h.Start(j, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		nodeEnd.Close()
	}()
	for _, tt := range []struct {
		action, value string
		want          error
	}{
		{"on", "", ErrUnknownAction},
		{"open", "", ErrUnknownAction},
		{"unlock", "now", ErrBadValue},
		{"lock", "1", ErrBadValue},
	} {
		st, err := h.Do("gate", tt.action, tt.value)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), `"gate"`) {
			t.Errorf("%s %q: %v, want %v naming the device", tt.action, tt.value, err, tt.want)
		}
		if !reflect.DeepEqual(st, State{}) {
			t.Errorf("%s: state returned with an error: %+v", tt.action, st)
		}
	}
	select {
	case m := <-commands:
		t.Fatalf("a refused action reached the node: %+v", m)
	default:
	}
	if evs := j.events("gate"); len(evs) != 0 {
		t.Fatalf("refused actions recorded %+v", evs)
	}
	// the node hears the unlock but never acknowledges it
	if _, err := h.Do("gate", "unlock", ""); !errors.Is(err, ErrNodeUnreachable) {
		t.Fatalf("unanswered unlock: %v, want ErrNodeUnreachable", err)
	}
	if m := <-commands; m.Type != nodelink.Lock || !m.On {
		t.Fatalf("the node got %+v", m)
	}
	if st, _ := h.Get("gate"); st.State != "locked" || hasEvent(j.events("gate"), "unlocked") {
		t.Fatalf("an unanswered unlock shows as done: %+v", st)
	}
}
