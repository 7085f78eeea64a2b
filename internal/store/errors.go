package store

import (
	"errors"
	"fmt"
)

// Errors returned by the store. Match them with errors.Is; they are wrapped with
// the path, seq or device they concern.
var (
	// ErrLocked is returned by Open when another process (or another *bbolt.DB in
	// this one) holds the file's lock for longer than Options.LockTimeout. The
	// file is left alone: its owner is alive and may be writing to it.
	ErrLocked = errors.New("store: file is locked by another process")

	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("store: closed")

	// ErrCorruptEvent is matched by a *CorruptEventError: a stored event record
	// that cannot be decoded.
	ErrCorruptEvent = errors.New("store: corrupt event record")

	// ErrInvalidEvent is returned by AppendEvent and Record for an event that
	// must not be stored (unknown class, empty type, time out of range). Nothing
	// is written.
	ErrInvalidEvent = errors.New("store: invalid event")

	// ErrInvalidDevice is returned by Record for an empty device id.
	ErrInvalidDevice = errors.New("store: invalid device id")
)

// CorruptEventError reports a stored event that cannot be decoded, with its
// Seq so that a reader can skip past it (Events(Seq, n)) or delete it rather
// than stall on it. errors.Is(err, ErrCorruptEvent) reports true for it.
type CorruptEventError struct {
	Seq uint64
	Err error // the decoder's error
}

func (e *CorruptEventError) Error() string {
	return fmt.Sprintf("store: event %d is corrupt: %v", e.Seq, e.Err)
}

// Is makes errors.Is(err, ErrCorruptEvent) match.
func (e *CorruptEventError) Is(target error) bool { return target == ErrCorruptEvent }

func (e *CorruptEventError) Unwrap() error { return e.Err }

// corruptError is what the boot check returns for a file that must be moved
// aside; reason is shown to a person (Report.Reason, the log, the audit event).
type corruptError struct{ reason string }

func (e *corruptError) Error() string { return "store: file is unusable: " + e.reason }

// errNoInstance: a file not yet given its instance id (a new one), to
// which no record of the write-ahead log applies. It never leaves the
// package.
var errNoInstance = errors.New("store: the file has no instance id")
