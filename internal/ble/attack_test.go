package ble

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// A frame cut in the middle of its CBOR (inside the chain's byte string,
// inside the prefix) still reassembles: fragment boundaries mean nothing.
func TestBLEFrameSplitMidCBOR(t *testing.T) {
	e := newEnv(t, Limits{})
	chain, key := e.grant(wire.Ed25519, localauth.GrantSpec{Name: "ann", Role: wire.RoleResident, Devices: []string{"*"}})
	l := e.mustConnect(MaxMTU)
	p := NewPhone(l)
	ch, err := p.Challenge(context.Background(), "door", "unlock", nil)
	if err != nil {
		t.Fatal(err)
	}
	proof, _ := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: "door", Action: "unlock"})
	b, err := EncodeFrame(TypeAction, 7, "door", wire.ActionRequest{Action: "unlock", Chain: chain, Proof: proof})
	if err != nil {
		t.Fatal(err)
	}
	// 1 byte (half the prefix), then the rest of the prefix and 3 bytes of
	// the CBOR map header, then up to the middle of the grant, then the rest.
	cuts := []int{1, 5, len(b) / 2, len(b)}
	prev := 0
	for _, c := range cuts {
		if err := l.Write(b[prev:c]); err != nil {
			t.Fatalf("fragment %d..%d: %v", prev, c, err)
		}
		prev = c
	}
	if e.state("door") != "unlocked" {
		t.Fatalf("door %s after a frame split mid-CBOR", e.state("door"))
	}
	if l.isDropped() {
		t.Error("connection dropped")
	}
}

// A central that goes away in the middle of a frame leaves nothing behind:
// its slot is free, the half frame is not carried into the next
// connection, and nothing was decided.
func TestBLEConnectionDroppedMidFrame(t *testing.T) {
	e := newEnv(t, Limits{MaxConnections: 1})
	chain, key := e.grant(wire.Ed25519, localauth.GrantSpec{Name: "ann", Role: wire.RoleResident, Devices: []string{"*"}})
	l := e.mustConnect(23)
	p := NewPhone(l)
	ch, _ := p.Challenge(context.Background(), "door", "unlock", nil)
	proof, _ := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: "door", Action: "unlock"})
	b, _ := EncodeFrame(TypeAction, 7, "door", wire.ActionRequest{Action: "unlock", Chain: chain, Proof: proof})
	frags := Split(b, WriteChunk(23))
	for _, f := range frags[:len(frags)/2] {
		if err := l.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	seq := e.keeper.AuditStatus()
	l.conn.Close() // the central went out of range
	if err := l.Write(frags[len(frags)/2]); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	if got := e.srv.Counters().Connections; got != 0 {
		t.Fatalf("%d connections after the central left", got)
	}
	// The rest of the frame on a new connection is garbage to it, and the
	// whole exchange from scratch works.
	l2 := e.mustConnect(23)
	if err := l2.Write(frags[len(frags)-1]); err == nil {
		t.Error("the tail of another connection's frame was taken as a frame")
	}
	if e.keeper.AuditStatus() != seq || e.state("door") != "locked" {
		t.Error("something was decided from half a frame")
	}
	l3 := e.mustConnect(23)
	if d, err := NewPhone(l3).Act(context.Background(), chain, key, "door", "unlock", ""); err != nil || !d.Decision.Granted {
		t.Fatalf("after a dropped connection: %+v %v", d, err)
	}
}

// More centrals than allowed: the extra one is refused, the others keep
// working, and a slot freed is usable again.
func TestBLEMoreConnectionsThanAllowed(t *testing.T) {
	e := newEnv(t, Limits{}) // default 3
	chain, key := e.grant(wire.Ed25519, localauth.GrantSpec{Name: "ann", Role: wire.RoleOwner, Devices: []string{"*"}})
	var ls []*memLink
	for range DefaultLimits.MaxConnections {
		ls = append(ls, e.mustConnect(247))
	}
	if _, err := e.connect(247); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("connection %d: %v, want ErrTooManyConnections", len(ls)+1, err)
	}
	if c := e.srv.Counters(); c.Connections != 3 || c.Refused != 1 {
		t.Errorf("counters %+v", c)
	}
	if d, err := NewPhone(ls[2]).Act(context.Background(), chain, key, "door", "unlock", ""); err != nil || !d.Decision.Granted {
		t.Fatalf("an admitted central: %+v %v", d, err)
	}
	// An idle central is dropped after the idle timeout, which frees its slot
	// for the owner at the door.
	e.clk.Advance(DefaultLimits.IdleTimeout + time.Second)
	for i, l := range ls {
		if !l.isDropped() {
			t.Errorf("central %d not dropped after the idle timeout", i)
		}
	}
	if _, err := e.connect(247); err != nil {
		t.Errorf("after the idle ones left: %v", err)
	}
}

// A central that starts a frame and never finishes it (holding a slot and
// a buffer) is dropped after the frame timeout, well before the idle one.
func TestBLESlowFrameDropped(t *testing.T) {
	e := newEnv(t, Limits{})
	l := e.mustConnect(23)
	if err := l.Write([]byte{0x01, 0x00, 0xa1}); err != nil { // 256 bytes announced, 1 sent
		t.Fatal(err)
	}
	e.clk.Advance(DefaultLimits.FrameTimeout - time.Millisecond)
	if l.isDropped() {
		t.Fatal("dropped before the frame timeout")
	}
	e.clk.Advance(2 * time.Millisecond)
	if !l.isDropped() || e.srv.Counters().Dropped != 1 {
		t.Fatal("a frame left half-sent is not dropped")
	}
}

// A bad frame drops that connection only: another central's exchange, in
// the middle of its own frame, goes on.
func TestBLEBadFrameDropsOnlyThatConnection(t *testing.T) {
	e := newEnv(t, Limits{})
	chain, key := e.grant(wire.Ed25519, localauth.GrantSpec{Name: "ann", Role: wire.RoleResident, Devices: []string{"*"}})
	good := e.mustConnect(23)
	p := NewPhone(good)
	ch, _ := p.Challenge(context.Background(), "door", "unlock", nil)
	proof, _ := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: "door", Action: "unlock"})
	b, _ := EncodeFrame(TypeAction, 9, "door", wire.ActionRequest{Action: "unlock", Chain: chain, Proof: proof})
	frags := Split(b, WriteChunk(23))
	good.Write(frags[0])

	for _, bad := range []struct {
		name  string
		b     []byte
		chunk int // bytes a write; 0: as many as the MTU allows
	}{
		{"not CBOR", []byte{0x00, 0x03, 0xff, 0xff, 0xff}, 0},
		{"empty frame", []byte{0x00, 0x00}, 0},
		{"over the size limit", []byte{0xff, 0xff}, 0},
		{"unknown type", mustFrame(t, 99, wire.ChallengeRequest{Device: "door", Action: "unlock"}), 0},
		{"a hub's frame type from a phone", mustFrame(t, TypeDecision, Decision{}), 0},
		{"a body with a field its type does not have", mustFrame(t, TypeChallengeRequest, StatusRequest{Chain: [][]byte{{1}}}), 0},
		{"a write longer than the MTU allows", make([]byte, WriteChunk(23)+1), WriteChunk(23) + 1},
		{"a frame not in deterministic encoding", nonDeterministic(t), 0},
	} {
		l := e.mustConnect(23)
		var err error
		chunk := bad.chunk
		if chunk == 0 {
			chunk = WriteChunk(23) // each bad frame is refused for what it is, not for a write too long
		}
		for _, f := range Split(bad.b, chunk) {
			if err = l.Write(f); err != nil {
				break
			}
		}
		if err == nil || !l.isDropped() {
			t.Errorf("%s: not dropped (%v)", bad.name, err)
		}
	}
	for _, f := range frags[1:] {
		if err := good.Write(f); err != nil {
			t.Fatalf("the good central's frame: %v", err)
		}
	}
	if e.state("door") != "unlocked" || good.isDropped() {
		t.Fatal("another central's bad frames broke this one's exchange")
	}
}

// nonDeterministic is a prefixed challenge request whose frame-map has
// its keys out of order.
func nonDeterministic(t testing.TB) []byte {
	t.Helper()
	body, err := wire.Marshal(wire.ChallengeRequest{Device: "door", Action: "unlock"})
	if err != nil {
		t.Fatal(err)
	}
	fm := append([]byte{0xa3, 0x02, 0x09, 0x01, 0x01, 0x04}, body...)
	return append([]byte{0, byte(len(fm))}, fm...)
}

func mustFrame(t testing.TB, typ uint, body any) []byte {
	t.Helper()
	b, err := EncodeFrame(typ, 1, "", body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A central over its request rate gets rate_limited answers (nothing
// decided) and keeps its connection; one flooding writes is dropped.
func TestBLERateLimits(t *testing.T) {
	e := newEnv(t, Limits{FramesPerSecond: 1, FragmentsPerSecond: 10})
	l := e.mustConnect(247)
	p := NewPhone(l)
	var limited int
	for range 5 {
		if _, err := p.Challenge(context.Background(), "door", "unlock", nil); err != nil {
			var re *RefusedError
			if !errors.As(err, &re) || re.Code != "rate_limited" {
				t.Fatalf("over the rate: %v", err)
			}
			limited++
		}
	}
	if limited != 3 || l.isDropped() { // bursts of 2
		t.Errorf("%d of 5 limited (want 3), dropped %v", limited, l.isDropped())
	}
	e.clk.Advance(time.Second)
	if _, err := p.Challenge(context.Background(), "door", "unlock", nil); err != nil {
		t.Errorf("after a second: %v", err)
	}
	flood := e.mustConnect(247)
	err := flood.Write([]byte{0x10, 0x00}) // 4096 bytes announced, then one at a time
	for i := 0; i < 100 && err == nil; i++ {
		err = flood.Write([]byte{0xa0})
	}
	if !errors.Is(err, ErrRateLimited) || !flood.isDropped() {
		t.Errorf("a write flood: %v", err)
	}
}

// 10 000 random frames and fragments from one central: each bad one drops
// that connection only, the hub never panics, and a phone on another
// connection unlocks afterwards: the link stays up.
func TestBLERandomFrames(t *testing.T) {
	e := newEnv(t, Limits{MaxConnections: 2, FramesPerSecond: 1e6, FragmentsPerSecond: 1e6})
	chain, key := e.grant(wire.Ed25519, localauth.GrantSpec{Name: "ann", Role: wire.RoleResident, Devices: []string{"*"}})
	r := rand.New(rand.NewPCG(1, 2))
	valid := mustFrame(t, TypeChallengeRequest, wire.ChallengeRequest{Device: "door", Action: "unlock"})
	l := e.mustConnect(MaxMTU)
	var drops int
	for i := range 10000 {
		var b []byte
		switch i % 3 {
		case 0: // random bytes
			b = make([]byte, r.IntN(WriteChunk(MaxMTU)))
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		case 1: // a valid frame with one byte flipped
			b = append([]byte(nil), valid...)
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		case 2: // a valid frame cut short
			b = valid[:r.IntN(len(valid))]
		}
		if l.Write(b) != nil {
			drops++
			l = e.mustConnect(MaxMTU)
		}
		for len(l.notes) > 0 {
			<-l.notes
		}
	}
	if drops == 0 {
		t.Fatal("10 000 random frames and not one refused")
	}
	if c := e.srv.Counters(); c.Connections != 1 || c.Decisions != 0 {
		t.Errorf("after the random frames: %+v", c)
	}
	good := e.mustConnect(247)
	if d, err := NewPhone(good).Act(context.Background(), chain, key, "door", "unlock", ""); err != nil || !d.Decision.Granted {
		t.Fatalf("a phone after 10 000 random frames: %+v %v", d, err)
	}
	t.Logf("%d connections dropped", drops)
}

// A frame decodes from one encoding only, core deterministic (as the
// fuzzer asks): the other forms wire's decoder would take are refused, so
// two byte strings are never one frame.
func TestDecodeFrameTakesOneEncodingPerFrame(t *testing.T) {
	body, err := wire.Marshal(wire.ChallengeRequest{Device: "door", Action: "unlock"})
	if err != nil {
		t.Fatal(err)
	}
	frame := func(head ...byte) []byte { return append(append(head, 0x04), body...) }
	good := frame(0xa3, 0x01, 0x01, 0x02, 0x09) // {1: 1, 2: 9, 4: body}
	if f, err := DecodeFrame(good); err != nil || f.Type != TypeChallengeRequest || f.ID != 9 {
		t.Fatalf("the deterministic encoding: %+v %v", f, err)
	}
	for _, bad := range []struct {
		name string
		b    []byte
	}{
		{"the id as a simple value", frame(0xa3, 0x01, 0x01, 0x02, 0xe9)},
		{"the id as null", frame(0xa3, 0x01, 0x01, 0x02, 0xf6)},
		{"the id in five bytes", frame(0xa3, 0x01, 0x01, 0x02, 0x1a, 0x00, 0x00, 0x00, 0x09)},
		{"the keys out of order", frame(0xa3, 0x02, 0x09, 0x01, 0x01)},
	} {
		if f, err := DecodeFrame(bad.b); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: decoded as %+v (%v), want ErrBadFrame", bad.name, f, err)
		}
	}
}
