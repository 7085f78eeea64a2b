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
	h := sha256.New()
	h.Write([]byte("edgeagent-event"))
	h.Write(instance)
	h.Write(binary.BigEndian.AppendUint64(nil, seq))
	return h.Sum(nil)[:16]
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
	e := &Envelope{
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
	b, err := wire.Marshal(e)
	if err != nil {
		return nil, err
	}
	if len(b) <= MaxPayload {
		return b, nil
	}
	c := *e
	c.Body = map[string]any{"truncated": true, "size": len(b)}
	return wire.Marshal(&c)
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
