// Package canbus owns the hub's link to a car's body controller over CAN:
// a DBC file read at start (go.einride.tech/can's parser) names the
// signals, Bus writes command frames and reads status frames on a
// SocketCAN interface (or any net.Conn carrying SocketCAN frames, as the
// tests use). It knows signal names, not doors: devices maps the car onto
// them, and an integrator maps a real car by writing a DBC.
package canbus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"go.einride.tech/can"
	"go.einride.tech/can/pkg/dbc"
	"go.einride.tech/can/pkg/descriptor"
)

// Sentinel errors.
var (
	// ErrDBC: the DBC file cannot be read or parsed, or lacks a signal the
	// config names, or a signal does not fit its message.
	ErrDBC = errors.New("bad DBC file")
	// ErrUnknownSignal: Send was given a signal the DBC does not have.
	ErrUnknownSignal = errors.New("unknown signal")
)

// DB is the part of a DBC file the hub uses: messages by id and the
// message of each signal.
type DB struct {
	file     string
	byID     map[uint32]*descriptor.Message
	bySignal map[string]*descriptor.Message
	status   map[uint32][]*descriptor.Signal // status signals per message id
}

// Load reads a DBC file. Every name in commands and status must be a
// signal of it; status names are those Decode returns. Errors name the
// file, and the signal when one is missing.
func Load(path string, commands, status []string) (*DB, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDBC, err)
	}
	return Parse(path, data, commands, status)
}

// Parse is Load on bytes already read; name is for errors.
func Parse(name string, data []byte, commands, status []string) (*DB, error) {
	p := dbc.NewParser(name, data)
	if err := p.Parse(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDBC, name, err)
	}
	db := &DB{file: name, byID: map[uint32]*descriptor.Message{}, bySignal: map[string]*descriptor.Message{},
		status: map[uint32][]*descriptor.Signal{}}
	for _, def := range p.Defs() {
		md, ok := def.(*dbc.MessageDef)
		if !ok || md.MessageID == dbc.IndependentSignalsMessageID {
			continue
		}
		if md.Size > 8 {
			return nil, fmt.Errorf("%w: %s: message %s is %d bytes (classic CAN carries 8)", ErrDBC, name, md.Name, md.Size)
		}
		m := &descriptor.Message{Name: string(md.Name), ID: md.MessageID.ToCAN(), IsExtended: md.MessageID.IsExtended(), Length: uint8(md.Size)}
		for _, sd := range md.Signals {
			if sd.IsMultiplexed || sd.IsMultiplexerSwitch {
				continue // not used by the hub's signals
			}
			if sd.Size == 0 || sd.Size > 64 || (!sd.IsBigEndian && sd.StartBit+sd.Size > 8*md.Size) {
				return nil, fmt.Errorf("%w: %s: signal %s does not fit message %s", ErrDBC, name, sd.Name, md.Name)
			}
			s := &descriptor.Signal{Name: string(sd.Name), Start: uint8(sd.StartBit), Length: uint8(sd.Size),
				IsBigEndian: sd.IsBigEndian, IsSigned: sd.IsSigned, Scale: sd.Factor, Offset: sd.Offset,
				Min: sd.Minimum, Max: sd.Maximum, Unit: sd.Unit}
			if s.Scale == 0 {
				s.Scale = 1
			}
			m.Signals = append(m.Signals, s)
			db.bySignal[s.Name] = m
		}
		db.byID[m.ID] = m
	}
	for _, n := range commands {
		if _, ok := db.bySignal[n]; !ok {
			return nil, db.missing(n)
		}
	}
	for _, n := range status {
		m, ok := db.bySignal[n]
		if !ok {
			return nil, db.missing(n)
		}
		s, _ := signal(m, n)
		db.status[m.ID] = append(db.status[m.ID], s)
	}
	return db, nil
}

func (db *DB) missing(n string) error {
	names := slices.Sorted(maps.Keys(db.bySignal))
	return fmt.Errorf("%w: %s: no signal %q (it has: %s)", ErrDBC, db.file, n, strings.Join(names, ", "))
}

func signal(m *descriptor.Message, name string) (*descriptor.Signal, bool) {
	for _, s := range m.Signals {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// Encode builds one frame per message holding the given signals (physical
// values; the message's other signals 0), in message id order.
func (db *DB) Encode(values map[string]float64) ([]can.Frame, error) {
	frames := map[uint32]*can.Frame{}
	for _, n := range slices.Sorted(maps.Keys(values)) {
		m, ok := db.bySignal[n]
		if !ok {
			return nil, fmt.Errorf("canbus: %s: %w %q", db.file, ErrUnknownSignal, n)
		}
		f := frames[m.ID]
		if f == nil {
			f = &can.Frame{ID: m.ID, IsExtended: m.IsExtended, Length: m.Length}
			frames[m.ID] = f
		}
		s, _ := signal(m, n)
		raw := s.FromPhysical(values[n])
		if s.IsSigned {
			s.MarshalSigned(&f.Data, int64(raw))
		} else {
			s.MarshalUnsigned(&f.Data, uint64(raw))
		}
	}
	var out []can.Frame
	for _, id := range slices.Sorted(maps.Keys(frames)) {
		out = append(out, *frames[id])
	}
	return out, nil
}

// Decode returns the status signals of a frame (physical values), or false
// when the frame is not a status message of the DBC or has the wrong length
// or kind: a frame that does not match its message is not believed.
func (db *DB) Decode(f can.Frame) (map[string]float64, bool) {
	sigs, ok := db.status[f.ID]
	if !ok {
		return nil, false
	}
	m := db.byID[f.ID]
	if f.IsRemote || f.IsExtended != m.IsExtended || f.Length != m.Length {
		return nil, false
	}
	out := make(map[string]float64, len(sigs))
	for _, s := range sigs {
		out[s.Name] = s.UnmarshalPhysical(f.Data)
	}
	return out, true
}

// filter is a SocketCAN receive filter (struct can_filter): a frame
// passes when its can_id, flags included, matches id under mask.
type filter struct{ id, mask uint32 }

// filters match exactly the status messages' ids: the EFF and RTR flags
// are in the mask, so an extended or remote frame whose low bits are a
// status id does not pass.
func (db *DB) filters() []filter {
	var fs []filter
	for _, id := range slices.Sorted(maps.Keys(db.status)) {
		if db.byID[id].IsExtended {
			fs = append(fs, filter{id: id | flagEFF, mask: maskEFF | flagEFF | flagRTR})
		} else {
			fs = append(fs, filter{id: id, mask: maskSFF | flagEFF | flagRTR})
		}
	}
	return fs
}

// Stats counts what a Bus read.
type Stats struct {
	Frames    uint64 // every frame read
	Status    uint64 // status frames delivered
	Ignored   uint64 // frames of other ids, or that do not match their message
	Sent      uint64
	SendFails uint64
}

// Bus is a CAN link to the body controller: Send implements devices.Bus.
type Bus struct {
	db   *DB
	conn io.ReadWriteCloser

	mu    sync.Mutex
	stats Stats
}

// Dial opens the SocketCAN interface iface ("can0", "vcan0"), receiving
// only the DBC's status messages.
func Dial(iface string, db *DB) (*Bus, error) {
	conn, err := dial(iface, db.filters())
	if err != nil {
		return nil, fmt.Errorf("canbus: opening %s: %w", iface, err)
	}
	return New(conn, db), nil
}

// OpenRaw opens a raw SocketCAN socket on iface for a simulated body
// controller or a test on a real (or virtual) interface: Dial is the hub's.
// It receives every frame.
func OpenRaw(iface string) (io.ReadWriteCloser, error) { return dial(iface, nil) }

// New is a Bus on a connection carrying SocketCAN frames (16 bytes each).
func New(conn io.ReadWriteCloser, db *DB) *Bus {
	return &Bus{db: db, conn: conn}
}

// Send writes the frames carrying these signals.
func (b *Bus) Send(values map[string]float64) error {
	frames, err := b.db.Encode(values)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, f := range frames {
		// A raw CAN socket write does not block on a full queue: it fails
		// (ENOBUFS), and the action answers that error.
		if _, err := b.conn.Write(marshalFrame(f)); err != nil {
			b.stats.SendFails++
			return fmt.Errorf("canbus: frame %03x: %w", f.ID, err)
		}
		b.stats.Sent++
	}
	return nil
}

// Run reads frames until ctx ends or the connection fails, giving each
// status frame's signals to status. It closes the connection when ctx
// ends.
func (b *Bus) Run(ctx context.Context, status func(map[string]float64)) error {
	stop := context.AfterFunc(ctx, func() { b.conn.Close() })
	defer stop()
	buf := make([]byte, frameSize)
	for {
		f, err := readFrame(b.conn, buf)
		if errors.Is(err, errFrame) {
			b.count(func(s *Stats) { s.Frames++; s.Ignored++ })
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("canbus: reading: %w", err)
		}
		v, ok := b.db.Decode(f)
		b.count(func(s *Stats) {
			s.Frames++
			if ok {
				s.Status++
			} else {
				s.Ignored++
			}
		})
		if ok {
			status(v)
		}
	}
}

func (b *Bus) count(f func(*Stats)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&b.stats)
}

// Stats returns the counters so far.
func (b *Bus) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Close closes the connection.
func (b *Bus) Close() error { return b.conn.Close() }
