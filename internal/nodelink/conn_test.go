package nodelink

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
)

// fakeNode is the node's end of a net.Pipe: it hands every message the hub
// writes to the test and sends what the test tells it.
type fakeNode struct {
	t    *testing.T
	conn net.Conn
	in   chan Msg
}

func newFakeNode(t *testing.T, c net.Conn) *fakeNode {
	n := &fakeNode{t: t, conn: c, in: make(chan Msg, 256)}
	go func() {
		var sp Splitter
		buf := make([]byte, 512)
		for {
			k, err := c.Read(buf)
			sp.Feed(buf[:k], func(f []byte, tooLong bool) {
				if m, err := DecodeFrame(f); err == nil {
					n.in <- m
				}
			})
			if err != nil {
				close(n.in)
				return
			}
		}
	}()
	return n
}

func (n *fakeNode) send(m Msg) {
	n.t.Helper()
	f, err := m.Encode()
	if err != nil {
		n.t.Fatal(err)
	}
	if _, err := n.conn.Write(f); err != nil {
		n.t.Fatal(err)
	}
}

// next returns the next message of type typ the hub wrote, skipping others.
func (n *fakeNode) next(typ Type) Msg {
	n.t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-n.in:
			if !ok {
				n.t.Fatalf("link closed waiting for type %d", typ)
			}
			if m.Type == typ {
				return m
			}
		case <-timer.C:
			n.t.Fatalf("hub wrote no message of type %d", typ)
		}
	}
}

type connRig struct {
	c    *Conn
	node *fakeNode
	clk  *clocktest.Fake
	done chan error
}

// startConn runs a Conn against a fake node that has answered its hello.
func startConn(t *testing.T) *connRig {
	hubEnd, nodeEnd := net.Pipe()
	clk := clocktest.New(time.Unix(1_700_000_000, 0))
	r := &connRig{c: New(hubEnd, clk, Options{}), node: newFakeNode(t, nodeEnd), clk: clk, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { r.done <- r.c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v, want context.Canceled", err)
		}
		hubEnd.Close()
		nodeEnd.Close()
	})
	h := r.node.next(HubHello)
	r.node.send(Msg{Type: NodeHello, Proto: Proto, Kind: KindLock, Version: "t", Token: h.Token})
	return r
}

// do runs a command in the background; its result arrives on the channel.
func (r *connRig) do(m Msg) chan error {
	res := make(chan error, 1)
	go func() { res <- r.c.Do(context.Background(), m) }()
	return res
}

// TestConnRetransmitsThenGivesUp: an unanswered command is resent, the
// same frame with the same seq, Retries times, then fails with ErrNoAck.
func TestConnRetransmitsThenGivesUp(t *testing.T) {
	r := startConn(t)
	res := r.do(Msg{Type: Lock, On: true, MS: 3000})
	first := r.node.next(Lock)
	for i := range DefaultOptions.Retries {
		r.clk.Advance(DefaultOptions.Retransmit)
		again := r.node.next(Lock)
		if again.Seq != first.Seq || again.MS != 3000 {
			t.Fatalf("resend %d: %+v, want seq %d", i, again, first.Seq)
		}
	}
	r.clk.Advance(DefaultOptions.Retransmit)
	if err := <-res; !errors.Is(err, ErrNoAck) {
		t.Fatalf("Do: %v, want ErrNoAck", err)
	}
	if got := r.c.Health().Retries; got != uint64(DefaultOptions.Retries) {
		t.Fatalf("Health().Retries = %d, want %d", got, DefaultOptions.Retries)
	}
}

// TestConnStatusAnswers: the node's status comes back as the sentinel errors.
func TestConnStatusAnswers(t *testing.T) {
	r := startConn(t)
	for status, want := range map[uint32]error{StatusOK: nil, StatusUnsupported: ErrUnsupported, StatusBad: ErrBadRequest, StatusRefused: ErrRefused} {
		res := r.do(Msg{Type: Relay, On: true})
		m := r.node.next(Relay)
		r.node.send(Msg{Type: NodeAck, Ack: m.Seq, Status: status})
		if err := <-res; !errors.Is(err, want) || (want == nil && err != nil) {
			t.Fatalf("status %d: %v, want %v", status, err, want)
		}
	}
}

// TestConnNodeRestartIsNotRepeated: the node restarts (a hello not
// answering ours) while an unlock waits for its ack: the unlock fails with
// ErrNodeRestarted and is never sent again; the hub says hello anew.
func TestConnNodeRestartIsNotRepeated(t *testing.T) {
	r := startConn(t)
	res := r.do(Msg{Type: Lock, On: true, MS: 3000})
	r.node.next(Lock)
	r.node.send(Msg{Type: NodeHello, Proto: Proto, Kind: KindLock, Version: "t", ResetCause: 1})
	if err := <-res; !errors.Is(err, ErrNodeRestarted) {
		t.Fatalf("Do: %v, want ErrNodeRestarted", err)
	}
	h := r.node.next(HubHello)
	r.node.send(Msg{Type: NodeHello, Proto: Proto, Kind: KindLock, ResetCause: 1, Token: h.Token})
	// the next command is the next thing of its type on the wire: not the old unlock
	res = r.do(Msg{Type: Lock, On: false})
	m := r.node.next(Lock)
	if m.On {
		t.Fatalf("after the restart the hub sent %+v", m)
	}
	r.node.send(Msg{Type: NodeAck, Ack: m.Seq})
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if hl := r.c.Health(); hl.ResetCause != 1 {
		t.Fatalf("health: %+v", hl)
	}
}

// TestConnReportsOnceWithBackPressure: a report resent (our ack was lost) is
// delivered once; when the reader falls behind, the report that finds no
// room is not acknowledged, so the node keeps it and resends it.
func TestConnReportsOnceWithBackPressure(t *testing.T) {
	r := startConn(t)
	door := Msg{Seq: 1, Type: Door, No: 1, Open: true}
	r.node.send(door)
	r.node.send(door)
	if a := r.node.next(HubAck); a.Ack != 1 {
		t.Fatalf("ack %+v", a)
	}
	if a := r.node.next(HubAck); a.Ack != 1 {
		t.Fatalf("second ack %+v", a)
	}
	if got := <-r.c.Reports(); got.No != 1 {
		t.Fatalf("report %+v", got)
	}
	if len(r.c.Reports()) != 0 {
		t.Fatal("the resent report was delivered twice")
	}
	// fill the channel; the next report is not acknowledged
	capacity := cap(r.c.reports)
	for i := range capacity {
		seq := uint8(i%254 + 2)
		r.node.send(Msg{Seq: seq, Type: Door, No: uint32(i + 2)})
		if a := r.node.next(HubAck); a.Ack != seq {
			t.Fatalf("ack %d, want %d", a.Ack, seq)
		}
	}
	over := Msg{Seq: uint8(capacity%254 + 2), Type: Door, No: uint32(capacity + 2)}
	r.node.send(over)
	// a heartbeat follows, and no ack came before it
	r.clk.Advance(DefaultOptions.Heartbeat)
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	for m := range r.node.in {
		if m.Type == HubAck {
			t.Fatalf("the report with no room was acknowledged: %+v", m)
		}
		if m.Type == HubHeartbeat {
			break
		}
	}
	<-r.c.Reports() // room for one
	r.node.send(over)
	if a := r.node.next(HubAck); a.Ack != over.Seq {
		t.Fatalf("ack %+v, want %d", a, over.Seq)
	}
}

// TestConnLoopbackIsNotANode: the hub's own frames coming back (TX looped
// to RX) are refused and counted, and do not open the session: the hub
// keeps saying hello until a node answers.
func TestConnLoopbackIsNotANode(t *testing.T) {
	hubEnd, nodeEnd := net.Pipe()
	clk := clocktest.New(time.Unix(1_700_000_000, 0))
	c := New(hubEnd, clk, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done; hubEnd.Close(); nodeEnd.Close() }()
	node := newFakeNode(t, nodeEnd)
	h := node.next(HubHello)
	node.send(h) // echoed
	clk.Advance(DefaultOptions.Heartbeat)
	h2 := node.next(HubHello) // no session: a hello again, not a heartbeat
	node.send(h2)
	res := make(chan error, 1)
	go func() { res <- c.Do(ctx, Msg{Type: StateRequest}) }()
	// the real node answers; frames are handled in order, so by the time
	// the command comes out both echoes have been judged
	node.send(Msg{Type: NodeHello, Proto: Proto, Kind: KindLock, Token: h.Token})
	m := node.next(StateRequest)
	if hl := c.Health(); hl.BadFrames != 2 || hl.Kind != KindLock {
		t.Fatalf("health: %+v, want 2 bad frames and a lock", hl)
	}
	node.send(Msg{Type: NodeAck, Ack: m.Seq})
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}
