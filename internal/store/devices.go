package store

import (
	"bytes"
	"fmt"
	"slices"
)

// Record stores a device's state bytes and appends its events in one Update, so
// that a state change is never durable without the events that report it.
// When every event is telemetry, the record is made durable within the
// telemetry delay rather than before Record returns (UpdateTelemetry).
// A nil state leaves the stored state unchanged (events only). An event with
// no Device gets device. Record fills Seq, Boot and Time of the elements of
// events in place; they are real only if Record returns nil.
func (s *Store) Record(device string, state []byte, events []Event) error {
	if device == "" {
		return ErrInvalidDevice
	}
	// Validate before the transaction so a bad event is refused with a clear
	// error without costing the rest of the group a rerun.
	for i := range events {
		if !events[i].Class.valid() || events[i].Type == "" {
			return fmt.Errorf("%w: device %q event %d: class %q, type %q", ErrInvalidEvent, device, i, events[i].Class, events[i].Type)
		}
	}
	update := s.Update
	if len(events) > 0 && !slices.ContainsFunc(events, func(e Event) bool { return e.Class != ClassTelemetry }) {
		// Readings only (a motion sensor, a temperature): they may wait for
		// the next flush, at most the telemetry delay, so that a sensor
		// changing 100 times a second costs a few flushes, not 100.
		update = s.UpdateTelemetry
	}
	return update(func(tx *Tx) error {
		if state != nil {
			if err := tx.Bucket(devicesBucket).Put([]byte(device), state); err != nil {
				return fmt.Errorf("store: device %q: %w", device, err)
			}
		}
		for i := range events {
			if events[i].Device == "" {
				events[i].Device = device
			}
			if err := s.AppendEvent(tx, &events[i]); err != nil {
				return fmt.Errorf("store: device %q: %w", device, err)
			}
		}
		return nil
	})
}

// DeviceStates returns every device's stored state, copied out of the file.
func (s *Store) DeviceStates() (map[string][]byte, error) {
	states := make(map[string][]byte)
	err := s.View(func(tx *Tx) error {
		return tx.Bucket(devicesBucket).ForEach(func(k, v []byte) error {
			// bbolt's slices point into the mmap and die with the transaction.
			states[string(k)] = bytes.Clone(v)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return states, nil
}
