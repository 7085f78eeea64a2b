package nodelink

import "fmt"

// Proto is the link protocol version this package speaks.
const Proto = 1

// Type is a message type. Below 32: hub to node; from 32: node to hub. A
// receiver ignores the other direction's types, so a line looped back
// cannot pass one side's heartbeats off as the other's.
type Type uint8

const (
	HubHello      Type = 1
	HubHeartbeat  Type = 2
	HubAck        Type = 3
	Lock          Type = 10
	Relay         Type = 11
	PINs          Type = 12
	StateRequest  Type = 13
	NodeHello     Type = 33
	NodeHeartbeat Type = 34
	NodeAck       Type = 35
	State         Type = 40
	Door          Type = 41
	Keypad        Type = 42
	Alarm         Type = 43

	fromNode Type = 32
)

// FromNode reports whether the node sends messages of this type.
func (t Type) FromNode() bool { return t >= fromNode }

// Node kinds, modes, door states, ack statuses, keypad results and alarm
// codes: the numbers of firmware/src/link.h.
const (
	KindHub    = 0
	KindLock   = 1
	KindBoiler = 2

	ModeHub   = 0
	ModeLocal = 1

	DoorClosed = 0
	DoorOpen   = 1
	DoorNone   = 2

	StatusOK          = 0
	StatusUnsupported = 1
	StatusBad         = 2
	StatusRefused     = 3

	KeypadGranted   = 0
	KeypadDenied    = 1
	KeypadLockedOut = 2

	AlarmHubLost    = 1
	AlarmMaxRun     = 2
	AlarmFrostOn    = 3
	AlarmSensor     = 4
	AlarmWatchdog   = 5
	AlarmDoorForced = 6
	AlarmLockout    = 7
	AlarmDropped    = 8
)

// PIN table limits, as on the node.
const (
	MaxPINEntries = 8
	SaltLen       = 16
	HashLen       = 32
	MaxIterations = 20000
	maxVersion    = 24
)

// Bauds are the line speeds OpenSerial sets; the node's images run at
// 115 200.
var Bauds = []int{9600, 19200, 38400, 57600, 115200, 230400}

// PINEntry is one keypad verifier: PBKDF2-HMAC-SHA256(PIN, Salt, the
// table's iterations), 32 bytes. User 0 is reported as 0.
type PINEntry struct {
	User uint32
	Salt [SaltLen]byte
	Hash [HashLen]byte
}

// Msg is one message, either direction, mirroring struct link_msg: only
// the fields of its Type are encoded.
type Msg struct {
	Seq  uint8 // 0: unreliable (hello, heartbeat, ack); 1..255: reliable
	Ack  uint8 // hub/node ack: the seq acknowledged
	Type Type

	// hello. Token: the hub's hello carries a fresh one, the node's echoes
	// the last it received (0 after a reset): an answer to the hub's hello
	// is told from a node that restarted.
	Proto, Kind, ResetCause, Token uint32
	Version                        string
	// heartbeat
	UptimeMS uint32
	// ack
	Status uint32
	// lock (On: unlock, for MS milliseconds, 0 = the node's default), relay
	On bool
	MS uint32
	// PINs
	Iterations uint32
	Entries    []PINEntry
	// reports: a per-boot number and the node's uptime when it happened
	No, TMS uint32
	// state
	Mode      uint32
	Output    bool // lock: unlocked; boiler: relay on
	Door      uint32
	TempValid bool
	TempCenti int32
	PINCount  uint32
	LockoutMS uint32
	// door
	Open bool
	// keypad
	Result, User uint32
	Opened       bool
	// alarm
	Code, Arg uint32
}

// Encode returns m as one wire frame, both delimiters included.
func (m *Msg) Encode() ([]byte, error) {
	w := cborWriter{b: make([]byte, 0, 64)}
	w.array(4)
	w.uint(uint32(m.Seq))
	w.uint(uint32(m.Ack))
	w.uint(uint32(m.Type))
	report := func(n int) {
		w.array(n)
		w.uint(m.No)
		w.uint(m.TMS)
	}
	switch m.Type {
	case HubHello, NodeHello:
		if len(m.Version) > maxVersion {
			return nil, fmt.Errorf("%w: version %q longer than %d", ErrDecode, m.Version, maxVersion)
		}
		w.array(5)
		w.uint(m.Proto)
		w.uint(m.Kind)
		w.text(m.Version)
		w.uint(m.ResetCause)
		w.uint(m.Token)
	case HubHeartbeat, NodeHeartbeat:
		w.array(1)
		w.uint(m.UptimeMS)
	case HubAck, NodeAck:
		w.array(1)
		w.uint(m.Status)
	case Lock:
		w.array(2)
		w.bool(m.On)
		w.uint(m.MS)
	case Relay:
		w.array(1)
		w.bool(m.On)
	case PINs:
		if len(m.Entries) > MaxPINEntries {
			return nil, fmt.Errorf("%w: %d PIN entries, at most %d", ErrTooLong, len(m.Entries), MaxPINEntries)
		}
		w.array(2)
		w.uint(m.Iterations)
		w.array(len(m.Entries))
		for _, e := range m.Entries {
			w.array(3)
			w.uint(e.User)
			w.bytes(e.Salt[:])
			w.bytes(e.Hash[:])
		}
	case StateRequest:
		w.array(0)
	case State:
		report(8)
		w.uint(m.Mode)
		w.bool(m.Output)
		w.uint(m.Door)
		if m.TempValid {
			w.int(m.TempCenti)
		} else {
			w.null()
		}
		w.uint(m.PINCount)
		w.uint(m.LockoutMS)
	case Door:
		report(3)
		w.bool(m.Open)
	case Keypad:
		report(5)
		w.uint(m.Result)
		w.uint(m.User)
		w.bool(m.Opened)
	case Alarm:
		report(4)
		w.uint(m.Code)
		w.uint(m.Arg)
	default:
		return nil, fmt.Errorf("%w: unknown type %d", ErrDecode, m.Type)
	}
	if len(w.b) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLong, len(w.b), MaxPayload)
	}
	return frame(w.b), nil
}

// Decode parses one payload (a frame already checked by Unframe).
func Decode(p []byte) (Msg, error) {
	var m Msg
	if len(p) > MaxPayload {
		return m, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLong, len(p), MaxPayload)
	}
	r := cborReader{b: p}
	r.array(4)
	seq, ack, typ := r.uint(), r.uint(), r.uint()
	if r.bad || seq > 255 || ack > 255 || typ > 255 {
		return m, fmt.Errorf("%w: header", ErrDecode)
	}
	m.Seq, m.Ack, m.Type = uint8(seq), uint8(ack), Type(typ)
	report := func(n int) {
		r.array(n)
		m.No = r.uint()
		m.TMS = r.uint()
	}
	switch m.Type {
	case HubHello, NodeHello:
		r.array(5)
		m.Proto = r.uint()
		m.Kind = r.uint()
		m.Version = r.text(maxVersion)
		m.ResetCause = r.uint()
		m.Token = r.uint()
	case HubHeartbeat, NodeHeartbeat:
		r.array(1)
		m.UptimeMS = r.uint()
	case HubAck, NodeAck:
		r.array(1)
		m.Status = r.uint()
	case Lock:
		r.array(2)
		m.On = r.bool()
		m.MS = r.uint()
	case Relay:
		r.array(1)
		m.On = r.bool()
	case PINs:
		r.array(2)
		m.Iterations = r.uint()
		n := r.arrayUpTo(MaxPINEntries)
		for range n {
			var e PINEntry
			r.array(3)
			e.User = r.uint()
			copy(e.Salt[:], r.bytesN(SaltLen))
			copy(e.Hash[:], r.bytesN(HashLen))
			m.Entries = append(m.Entries, e)
		}
	case StateRequest:
		r.array(0)
	case State:
		report(8)
		m.Mode = r.uint()
		m.Output = r.bool()
		m.Door = r.uint()
		if !r.null() {
			m.TempValid = true
			m.TempCenti = r.int()
		}
		m.PINCount = r.uint()
		m.LockoutMS = r.uint()
	case Door:
		report(3)
		m.Open = r.bool()
	case Keypad:
		report(5)
		m.Result = r.uint()
		m.User = r.uint()
		m.Opened = r.bool()
	case Alarm:
		report(4)
		m.Code = r.uint()
		m.Arg = r.uint()
	default:
		return Msg{}, fmt.Errorf("%w: unknown type %d", ErrDecode, typ)
	}
	if !r.done() {
		return Msg{}, fmt.Errorf("%w: type %d body", ErrDecode, typ)
	}
	return m, nil
}

// DecodeFrame checks a frame (the bytes between delimiters) and decodes it.
func DecodeFrame(f []byte) (Msg, error) {
	p, err := Unframe(f)
	if err != nil {
		return Msg{}, err
	}
	return Decode(p)
}
