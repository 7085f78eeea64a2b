package ble

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// Frame types. A phone sends the odd ones, the hub answers with the next
// even one (or TypeError).
const (
	TypeChallengeRequest uint = 1 // body wire.ChallengeRequest
	TypeChallenge        uint = 2 // body wire.ChallengeAnswer
	TypeAction           uint = 3 // body wire.ActionRequest; Device set
	TypeDecision         uint = 4 // body Decision
	TypeStatusRequest    uint = 5 // body StatusRequest
	TypeStatus           uint = 6 // body GrantStatus
	TypeError            uint = 8 // body Error
)

// Frame is one message of the BLE key protocol, before its length prefix.
// The body is the LAN API's body for the same step, CBOR-encoded with the
// LAN's JSON names as keys; the header carries what the LAN puts in the
// method and URL path.
type Frame struct {
	Type uint `cbor:"1,keyasint"`
	// ID is chosen by the phone per request and echoed on every fragment of
	// the answer: BlueZ notifies every subscribed central, so a phone keeps
	// the fragments that carry its ID and ignores the others.
	ID     uint32          `cbor:"2,keyasint"`
	Device string          `cbor:"3,keyasint,omitempty"` // TypeAction: the LAN's {id} in the path
	Body   cbor.RawMessage `cbor:"4,keyasint"`
}

// Error is the body of an error frame: the LAN API's error object.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// StatusRequest asks what a grant allows on this hub. The chain is as in
// an action (the holder's grant, then a delegator's).
type StatusRequest struct {
	Chain [][]byte `json:"chain"`
}

// StatusDevice is a device a grant covers, with the actions offered.
type StatusDevice struct {
	ID      string   `json:"id"`
	Kind    string   `json:"kind"`
	Actions []string `json:"actions"`
}

// GrantStatus is the answer to a status request.
type GrantStatus struct {
	Site        string         `json:"site"`
	Time        int64          `json:"time"` // the hub's trusted time, Unix s
	TimeTrusted bool           `json:"time_trusted"`
	Devices     []StatusDevice `json:"devices"`
}

// Framing sizes.
const (
	// PrefixSize is the frame's length prefix: 2 bytes, big-endian.
	PrefixSize = 2
	// IDSize is the request id before every notification fragment.
	IDSize = 4
	// ATTOverhead is what an ATT write or notification PDU spends of the MTU
	// on its opcode and handle.
	ATTOverhead = 3
	// MinMTU is the ATT minimum (Bluetooth Core, Vol 3 Part F 3.2.8).
	MinMTU = 23
	// MaxMTU is the largest ATT MTU.
	MaxMTU = 517
	// MaxFrameLimit is the largest frame a 2-byte prefix can announce.
	MaxFrameLimit = 1<<16 - 1
)

// EncodeFrame returns f with body encoded, length-prefixed.
func EncodeFrame(typ uint, id uint32, device string, body any) ([]byte, error) {
	b, err := wire.Marshal(body)
	if err != nil {
		return nil, err
	}
	fb, err := wire.Marshal(&Frame{Type: typ, ID: id, Device: device, Body: b})
	if err != nil {
		return nil, err
	}
	if len(fb) > MaxFrameLimit {
		return nil, fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, len(fb))
	}
	out := make([]byte, PrefixSize, PrefixSize+len(fb))
	binary.BigEndian.PutUint16(out, uint16(len(fb)))
	return append(out, fb...), nil
}

// DecodeFrame decodes one frame (without its prefix) strictly: wire's
// rules, a known type, and core deterministic encoding (one encoding per
// frame).
func DecodeFrame(b []byte) (*Frame, error) {
	var f Frame
	if err := wire.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	// wire's decoder also takes forms no deterministic encoder writes: map
	// keys out of order, an integer in more bytes than it needs, or as a
	// simple value or null. Re-encoding is the one check that holds for
	// every field, and a frame is small.
	if re, err := wire.Marshal(&f); err != nil || !bytes.Equal(re, b) {
		return nil, fmt.Errorf("%w: not in core deterministic encoding", ErrBadFrame)
	}
	switch f.Type {
	case TypeChallengeRequest, TypeChallenge, TypeAction, TypeDecision, TypeStatusRequest, TypeStatus, TypeError:
	default:
		return nil, fmt.Errorf("%w: unknown type %d", ErrBadFrame, f.Type)
	}
	if len(f.Body) == 0 {
		return nil, fmt.Errorf("%w: no body", ErrBadFrame)
	}
	return &f, nil
}

// DecodeBody decodes a frame's body into v strictly.
func DecodeBody(f *Frame, v any) error {
	if err := wire.Unmarshal(f.Body, v); err != nil {
		return fmt.Errorf("%w: body of type %d: %v", ErrBadFrame, f.Type, err)
	}
	return nil
}

// WriteChunk is the bytes of a frame one ATT write carries at mtu.
func WriteChunk(mtu int) int { return clampMTU(mtu) - ATTOverhead }

// NotifyChunk is the bytes of a frame one notification carries at mtu
// (after the request id).
func NotifyChunk(mtu int) int { return clampMTU(mtu) - ATTOverhead - IDSize }

func clampMTU(mtu int) int { return min(max(mtu, MinMTU), MaxMTU) }

// Split cuts a prefixed frame into fragments of at most chunk bytes.
func Split(b []byte, chunk int) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := min(chunk, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// SplitNotify cuts a prefixed answer into notification fragments at mtu,
// each led by the request id.
func SplitNotify(b []byte, id uint32, mtu int) [][]byte {
	var out [][]byte
	for _, c := range Split(b, NotifyChunk(mtu)) {
		f := make([]byte, IDSize, IDSize+len(c))
		binary.BigEndian.PutUint32(f, id)
		out = append(out, append(f, c...))
	}
	return out
}

// Reassembler joins fragments of a stream of length-prefixed frames. It
// holds at most one frame (max bytes) and never allocates beyond what the
// prefix announced.
type Reassembler struct {
	max  int
	buf  []byte
	need int // bytes of the frame still missing; 0 when between frames
}

// NewReassembler returns a reassembler of frames up to max bytes.
func NewReassembler(max int) *Reassembler {
	return &Reassembler{max: min(max, MaxFrameLimit)}
}

// Pending reports whether a frame is started and not complete.
func (r *Reassembler) Pending() bool { return r.need > 0 || len(r.buf) > 0 }

// Feed adds a fragment and returns the frames it completes (without their
// prefixes). After an error the stream is lost: the caller drops the link.
func (r *Reassembler) Feed(p []byte) ([][]byte, error) {
	var out [][]byte
	for len(p) > 0 {
		if r.need == 0 {
			// Between frames, or inside a prefix split across fragments.
			take := min(PrefixSize-len(r.buf), len(p))
			r.buf = append(r.buf, p[:take]...)
			p = p[take:]
			if len(r.buf) < PrefixSize {
				break
			}
			n := int(binary.BigEndian.Uint16(r.buf))
			switch {
			case n == 0:
				return out, fmt.Errorf("%w: empty frame", ErrBadFrame)
			case n > r.max:
				return out, fmt.Errorf("%w: %d bytes announced, limit %d", ErrFrameTooLarge, n, r.max)
			}
			r.need = n
			r.buf = make([]byte, 0, n)
			continue
		}
		take := min(r.need, len(p))
		r.buf = append(r.buf, p[:take]...)
		p = p[take:]
		r.need -= take
		if r.need == 0 {
			out = append(out, r.buf)
			r.buf = nil
		}
	}
	return out, nil
}
