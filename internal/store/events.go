package store

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/edgeagent/edgeagent/internal/hlc"
)

// Class decides how the outbox treats an event when it is full: telemetry
// drops the oldest, state keeps the latest per device, audit is never dropped.
type Class string

const (
	ClassAudit     Class = "audit"
	ClassState     Class = "state"
	ClassTelemetry Class = "telemetry"
)

func (c Class) valid() bool {
	return c == ClassAudit || c == ClassState || c == ClassTelemetry
}

// Event is one entry of the durable event log. Seq, Boot, HLC and Time are filled by AppendEvent.
type Event struct {
	Seq  uint64 `json:"seq"`  // monotonically increasing, never reused (also after deletes and restarts)
	Boot uint64 `json:"boot"` // boot epoch of the agent that recorded it
	// HLC is the hybrid logical clock when the event was recorded, stored
	// with it: a resend carries the same value, and the order of HLCs is
	// the order of seqs. A record written before the HLC was stored (key 7
	// absent) reads with hlc.FromTime(Time): stable across resends, but not
	// ordered against the clock of that time.
	HLC    hlc.Timestamp  `json:"hlc"`
	Time   time.Time      `json:"time"` // wall clock when recorded (a claim, not a fact)
	Class  Class          `json:"class"`
	Device string         `json:"device,omitempty"`
	Type   string         `json:"type"`
	Data   map[string]any `json:"data,omitempty"`
}

// record is an Event as stored: CBOR with small integer keys, because an SD
// card and a 128 KB MQTT payload both reward compact records. Seq is the
// bbolt key, so it is not repeated here. Keys are never reused for another
// meaning; a newer agent may add keys, which this one ignores.
type record struct {
	Boot   uint64         `cbor:"1,keyasint,omitempty"`
	Time   int64          `cbor:"2,keyasint,omitempty"` // Unix nanoseconds, UTC; 0 = no time
	Class  Class          `cbor:"3,keyasint,omitempty"`
	Device string         `cbor:"4,keyasint,omitempty"`
	Type   string         `cbor:"5,keyasint,omitempty"`
	Data   map[string]any `cbor:"6,keyasint,omitempty"`
	HLC    uint64         `cbor:"7,keyasint,omitempty"`
}

var (
	// Sorted map keys make a record's bytes a function of its content, which
	// keeps the fuzz round-trip check exact.
	encMode = must(cbor.EncOptions{Sort: cbor.SortCoreDeterministic}.EncMode())
	// Nested maps in Data decode as map[string]any (not map[any]any) so that
	// they can be marshalled to JSON for the status page; duplicate keys are
	// refused because they mean the bytes are not what we wrote.
	decMode = must(cbor.DecOptions{
		DefaultMapType: reflect.TypeOf(map[string]any(nil)),
		DupMapKey:      cbor.DupMapKeyEnforcedAPF,
	}.DecMode())
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// encodeEvent returns the stored form of ev (without its Seq).
func encodeEvent(ev *Event) ([]byte, error) {
	r := record{Boot: ev.Boot, Class: ev.Class, Device: ev.Device, Type: ev.Type, Data: ev.Data, HLC: uint64(ev.HLC)}
	if !ev.Time.IsZero() {
		r.Time = ev.Time.UnixNano()
		// UnixNano is undefined outside 1678..2262; refuse rather than store a
		// different time.
		if !time.Unix(0, r.Time).Equal(ev.Time) {
			return nil, fmt.Errorf("%w: time %s is out of range", ErrInvalidEvent, ev.Time)
		}
	}
	b, err := encMode.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidEvent, err)
	}
	return b, nil
}

// decodeEvent parses a stored record. Data values come back as CBOR's generic
// Go types (uint64 or int64 for integers, float64, string, []byte, bool,
// []any, map[string]any), not necessarily the types that were stored.
func decodeEvent(seq uint64, b []byte) (Event, error) {
	var r record
	if err := decMode.Unmarshal(b, &r); err != nil {
		return Event{}, &CorruptEventError{Seq: seq, Err: err}
	}
	ev := Event{Seq: seq, Boot: r.Boot, HLC: hlc.Timestamp(r.HLC), Class: r.Class, Device: r.Device, Type: r.Type, Data: r.Data}
	if r.Time != 0 {
		ev.Time = time.Unix(0, r.Time).UTC()
	}
	if ev.HLC == 0 {
		ev.HLC = hlc.FromTime(ev.Time) // a record from before the HLC was stored
	}
	return ev, nil
}

// seqOf parses an events key. Every key this package writes is 8 bytes; any
// other length is damage, reported rather than left to panic in the decoder.
func seqOf(k []byte) (uint64, error) {
	if len(k) != 8 {
		return 0, &CorruptEventError{Err: fmt.Errorf("key %x is not an 8-byte seq", k)}
	}
	return binary.BigEndian.Uint64(k), nil
}

// AppendEvent appends ev inside tx, filling Seq (bucket sequence), Boot, HLC and Time (if zero). Other
// packages (localauth audit, sync) call it inside their own Update so that a state change and its
// event commit together.
//
// The filled-in Seq is only real if the Update returns nil: a rolled-back
// transaction gives its sequence numbers back.
func (s *Store) AppendEvent(tx *Tx, ev *Event) error {
	if !ev.Class.valid() {
		return fmt.Errorf("%w: unknown class %q (type %q)", ErrInvalidEvent, ev.Class, ev.Type)
	}
	if ev.Type == "" {
		return fmt.Errorf("%w: empty type (class %q, device %q)", ErrInvalidEvent, ev.Class, ev.Device)
	}
	if tx.w != nil && tx.w.telemetry && ev.Class != ClassTelemetry {
		return fmt.Errorf("%w: a %s event (%s) in an UpdateTelemetry, which a crash may lose", ErrInvalidEvent, ev.Class, ev.Type)
	}
	b := tx.Bucket(eventsBucket)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("store: appending event: %w", err)
	}
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	// Stamped inside the write transaction: bbolt runs one at a time, so
	// HLCs rise with seqs. A rolled-back transaction only skips values.
	ts, err := s.hlc.Now()
	if err != nil {
		return fmt.Errorf("store: appending event %d (%s): %w", seq, ev.Type, err)
	}
	ev.Seq, ev.Boot, ev.HLC = seq, s.boot, ts
	val, err := encodeEvent(ev)
	if err != nil {
		return err
	}
	if err := b.Put(u64key(seq), val); err != nil {
		return fmt.Errorf("store: appending event %d: %w", seq, err)
	}
	if o, class := s.observer.Load(), ev.Class; o != nil {
		tx.OnCommit(func() { (*o).Recorded(class) }) // a rolled-back event was never recorded
	}
	size := getLogSize(tx)
	size.count++
	size.bytes += recordBytes(val)
	if err := putLogSize(tx, size); err != nil {
		return fmt.Errorf("store: appending event %d: %w", seq, err)
	}
	if size.bytes > s.ret.MaxBytes {
		select {
		case s.overBound <- struct{}{}:
		default:
		}
	}
	// Kept in the file too, for when every event has been acknowledged and
	// deleted (no extra fsync: same transaction).
	if err := tx.Bucket(metaBucket).Put(hlcKey, u64key(uint64(ts))); err != nil {
		return fmt.Errorf("store: appending event %d: %w", seq, err)
	}
	return nil
}

// Events returns up to limit events with Seq > after, in Seq order; limit <= 0
// means all of them. A record that cannot be decoded stops the read with a
// *CorruptEventError carrying its Seq: call Events(thatSeq, limit) to go on
// past it, or DeleteEvents it.
func (s *Store) Events(after uint64, limit int) ([]Event, error) {
	var out []Event
	err := s.View(func(tx *Tx) error {
		c := tx.Bucket(eventsBucket).Cursor()
		for k, v := c.Seek(u64key(after + 1)); k != nil; k, v = c.Next() {
			if limit > 0 && len(out) == limit {
				break
			}
			seq, err := seqOf(k)
			if err != nil {
				return err
			}
			if seq <= after { // after+1 wrapped to 0 at the largest seq
				continue
			}
			ev, err := decodeEvent(seq, v)
			if err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ForEachEvent calls fn for every event with Seq > after, in Seq order,
// inside tx (a caller's View or Update), until fn returns false. A record
// that cannot be decoded stops it with a *CorruptEventError.
func (s *Store) ForEachEvent(tx *Tx, after uint64, fn func(Event) bool) error {
	c := tx.Bucket(eventsBucket).Cursor()
	for k, v := c.Seek(u64key(after + 1)); k != nil; k, v = c.Next() {
		seq, err := seqOf(k)
		if err != nil {
			return err
		}
		if seq <= after {
			continue
		}
		ev, err := decodeEvent(seq, v)
		if err != nil {
			return err
		}
		if !fn(ev) {
			return nil
		}
	}
	return nil
}

// ForEachSeq calls fn for the seq of every event after after, in order,
// inside tx, until fn returns false. Nothing is decoded.
func (s *Store) ForEachSeq(tx *Tx, after uint64, fn func(seq uint64) bool) error {
	c := tx.Bucket(eventsBucket).Cursor()
	for k, _ := c.Seek(u64key(after + 1)); k != nil; k, _ = c.Next() {
		seq, err := seqOf(k)
		if err != nil {
			return err
		}
		if seq <= after {
			continue
		}
		if !fn(seq) {
			return nil
		}
	}
	return nil
}

// FirstSeqIn is the Seq of the oldest event still held, inside tx (0: the
// log is empty). It reads one key: nothing is decoded.
func (s *Store) FirstSeqIn(tx *Tx) uint64 {
	k, _ := tx.Bucket(eventsBucket).Cursor().First()
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

// LastSeq is the highest Seq ever assigned (0 if none), whether or not that
// event has since been deleted.
func (s *Store) LastSeq() (uint64, error) {
	var seq uint64
	err := s.View(func(tx *Tx) error {
		seq = tx.Bucket(eventsBucket).Sequence()
		return nil
	})
	return seq, err
}

// DeleteEvents removes events ahead of the retention, in one transaction:
// what the outbox's class bounds shed, and records nobody can decode.
// Seqs that are not present are ignored, so deleting twice is harmless.
func (s *Store) DeleteEvents(seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	return s.Update(func(tx *Tx) error {
		b := tx.Bucket(eventsBucket)
		size := getLogSize(tx)
		for _, seq := range seqs {
			v := b.Get(u64key(seq))
			if v == nil {
				continue
			}
			size.count--
			size.bytes -= recordBytes(v)
			if err := b.Delete(u64key(seq)); err != nil {
				return fmt.Errorf("store: deleting event %d: %w", seq, err)
			}
		}
		return putLogSize(tx, size)
	})
}

// HasEvent reports whether the log still holds seq, inside tx.
func (s *Store) HasEvent(tx *Tx, seq uint64) bool {
	return tx.Bucket(eventsBucket).Get(u64key(seq)) != nil
}

// CountEvents counts the stored events, in total and by class. It decodes
// every record, so it is for the status page, not for a hot path.
func (s *Store) CountEvents() (total int, byClass map[Class]int, err error) {
	byClass = make(map[Class]int)
	err = s.View(func(tx *Tx) error {
		return tx.Bucket(eventsBucket).ForEach(func(k, v []byte) error {
			seq, err := seqOf(k)
			if err != nil {
				return err
			}
			ev, err := decodeEvent(seq, v)
			if err != nil {
				return err
			}
			total++
			byClass[ev.Class]++
			return nil
		})
	})
	if err != nil {
		return 0, nil, err
	}
	return total, byClass, nil
}
