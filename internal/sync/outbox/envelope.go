package outbox

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// MaxPayload is the largest MQTT payload the sync layer sends or accepts:
// AWS IoT Core's limit, which most platforms do not exceed.
const MaxPayload = 128 << 10

// Envelope is one event as the cloud receives it on {prefix}/{site}/evt.
// Its CDDL is in docs/protocol.md ("Cloud sync"). ID is what the cloud
// deduplicates on: the same event always has the same id, however often it
// is resent, and no two events ever share one, even after the store file
// was recovered (a new file gets a new instance id while seq starts again).
type Envelope struct {
	Site     string         `cbor:"1,keyasint"`
	Instance []byte         `cbor:"2,keyasint"`           // the store file's random id, 16 bytes
	Boot     uint64         `cbor:"3,keyasint"`           // boot epoch of the agent that recorded the event
	Seq      uint64         `cbor:"4,keyasint"`           // event log sequence, from 1, per instance
	ID       []byte         `cbor:"5,keyasint"`           // EventID(Instance, Seq)
	HLC      uint64         `cbor:"6,keyasint"`           // hybrid logical clock when recorded (store.Event.HLC)
	Time     int64          `cbor:"7,keyasint,omitempty"` // wall clock when recorded, Unix ms (a claim)
	Type     string         `cbor:"8,keyasint"`
	Class    string         `cbor:"9,keyasint"`
	Device   string         `cbor:"10,keyasint,omitempty"`
	Body     map[string]any `cbor:"11,keyasint,omitempty"`
}

// EventID is the first 16 bytes of SHA-256("edgeagent-event" ‖ instance ‖
// seq as 8 big-endian bytes): stable across resends, unique across store
// files.
func EventID(instance []byte, seq uint64) []byte {
	var in [64]byte // the input, on the stack for a 16-byte instance
	b := append(append(in[:0], "edgeagent-event"...), instance...)
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(b, seq))
	return append([]byte(nil), sum[:16]...)
}

// ParseInstance reads store.Instance's hex form.
func ParseInstance(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return nil, fmt.Errorf("%w: store instance %q is not 32 hex digits", ErrBadOptions, s)
	}
	return b, nil
}

// NewEnvelope wraps a stored event. Everything in it comes from the stored
// record, the HLC included (stamped when the event was recorded), so a
// resend is byte-identical.
func NewEnvelope(site string, instance []byte, ev store.Event) *Envelope {
	e := envelopeOf(site, instance, ev)
	return &e
}

// Encode is NewEnvelope(site, instance, ev).Marshal() with the envelope
// kept off the heap: what the drain calls for every event it sends.
func Encode(site string, instance []byte, ev store.Event) ([]byte, error) {
	e := envelopeOf(site, instance, ev)
	return e.Marshal()
}

func envelopeOf(site string, instance []byte, ev store.Event) Envelope {
	e := Envelope{
		Site: site, Instance: instance, Boot: ev.Boot, Seq: ev.Seq, ID: EventID(instance, ev.Seq),
		HLC: uint64(ev.HLC), Type: ev.Type, Class: string(ev.Class), Device: ev.Device, Body: ev.Data,
	}
	if !ev.Time.IsZero() {
		e.Time = ev.Time.UnixMilli()
	}
	return e
}

// Marshal encodes e. A body that would make the envelope larger than
// MaxPayload is replaced by {"truncated": true, "size": N}: the event
// still reaches the cloud, with its id, type and device.
func (e *Envelope) Marshal() ([]byte, error) {
	b, err := e.encode()
	if err != nil {
		return nil, err
	}
	if len(b) <= MaxPayload {
		return b, nil
	}
	c := *e
	c.Body = map[string]any{"truncated": true, "size": len(b)}
	return c.encode()
}

// encode is wire.Marshal(e), byte for byte (TestEnvelopeEncodingIsWires and
// FuzzEnvelopeEncoding hold it to that), written out: in core deterministic
// CBOR the integer keys 1..11 come in their order, each value with the
// shortest head, and only the body needs the general encoder (its keys
// are sorted). The drain encodes every event it sends; through reflection
// it cost three allocations and twice the time.
func (e *Envelope) encode() ([]byte, error) {
	var body []byte
	if len(e.Body) > 0 {
		var err error
		if body, err = wire.Marshal(e.Body); err != nil {
			return nil, fmt.Errorf("outbox: encoding the body of event %d: %w", e.Seq, err)
		}
	}
	n := uint64(8) // the fields without omitempty
	for _, set := range []bool{e.Time != 0, e.Device != "", body != nil} {
		if set {
			n++
		}
	}
	// One allocation: the map's head and eleven keys, each value's head at
	// most 9 bytes, and the values' bytes.
	b := make([]byte, 0, 1+11*10+len(e.Site)+len(e.Instance)+len(e.ID)+len(e.Type)+len(e.Class)+len(e.Device)+len(body))
	b = appendHead(b, cborMap, n)
	b = appendText(append(b, 1), e.Site)
	b = appendBytes(append(b, 2), e.Instance)
	b = appendHead(append(b, 3), cborUint, e.Boot)
	b = appendHead(append(b, 4), cborUint, e.Seq)
	b = appendBytes(append(b, 5), e.ID)
	b = appendHead(append(b, 6), cborUint, e.HLC)
	if e.Time > 0 {
		b = appendHead(append(b, 7), cborUint, uint64(e.Time))
	} else if e.Time < 0 {
		b = appendHead(append(b, 7), cborNegInt, timeArg(e.Time))
	}
	b = appendText(append(b, 8), e.Type)
	b = appendText(append(b, 9), e.Class)
	if e.Device != "" {
		b = appendText(append(b, 10), e.Device)
	}
	if body != nil {
		b = append(append(b, 11), body...)
	}
	return b, nil
}

// CBOR major types (RFC 8949 §3.1), shifted into the initial byte.
const (
	cborUint   = 0 << 5
	cborNegInt = 1 << 5
	cborBytes  = 2 << 5
	cborText   = 3 << 5
	cborMap    = 5 << 5
	cborNull   = 0xf6
)

// timeArg is the head argument of e.Time: the value, or -1-value when it
// is negative (a major type 1 integer).
func timeArg(t int64) uint64 {
	if t < 0 {
		return uint64(-1 - t)
	}
	return uint64(t)
}

// appendHead appends the shortest head of major type m with argument v.
func appendHead(b []byte, m byte, v uint64) []byte {
	switch {
	case v < 24:
		return append(b, m|byte(v))
	case v <= 0xff:
		return append(b, m|24, byte(v))
	case v <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(v))
	case v <= 0xffff_ffff:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, m|27), v)
	}
}

func appendText(b []byte, s string) []byte {
	return append(appendHead(b, cborText, uint64(len(s))), s...)
}

// appendBytes writes a nil slice as null, as the general encoder does.
func appendBytes(b, p []byte) []byte {
	if p == nil {
		return append(b, cborNull)
	}
	return append(appendHead(b, cborBytes, uint64(len(p))), p...)
}

// DecodeEnvelope decodes and validates an envelope (the cloud's side, and
// the tests').
func DecodeEnvelope(b []byte) (*Envelope, error) {
	if len(b) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(b), MaxPayload)
	}
	var e Envelope
	if err := wire.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return &e, nil
}

// Validate checks the form.
func (e *Envelope) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if err := wire.CheckName("site", e.Site); err != nil {
		return bad("%v", err)
	}
	if len(e.Instance) != 16 {
		return bad("instance is %d bytes, want 16", len(e.Instance))
	}
	if e.Seq == 0 || e.Boot == 0 {
		return bad("seq %d, boot %d (both start at 1)", e.Seq, e.Boot)
	}
	if string(e.ID) != string(EventID(e.Instance, e.Seq)) {
		return bad("id %x is not the id of instance %x seq %d", e.ID, e.Instance, e.Seq)
	}
	if e.Type == "" {
		return bad("empty type")
	}
	switch store.Class(e.Class) {
	case store.ClassAudit, store.ClassState, store.ClassTelemetry:
	default:
		return bad("class %q", e.Class)
	}
	if e.Time < 0 {
		return bad("time %d", e.Time)
	}
	return nil
}
