package localauth

import (
	"errors"
	"fmt"
)

// Errors returned by this package. Match them with errors.Is; they are
// wrapped with what was wrong and where.
var (
	// ErrFull: a capacity limit (grants, revoked ids)
	// would be exceeded. Nothing was changed.
	ErrFull = errors.New("localauth: full")

	// ErrRefused: Import refused a message. The error is a *RefusedError
	// carrying the reason code.
	ErrRefused = errors.New("localauth: refused")

	// ErrBadSpec: an issuing request (GrantSpec, schedule, PIN, ids), a
	// challenge's device or action, or Options given to New is invalid; the
	// message names the field.
	ErrBadSpec = errors.New("localauth: invalid request")

	// ErrTooWide: Delegate was asked for a grant wider than the owner's
	// (devices, actions, validity, schedule, role, trusted time).
	ErrTooWide = errors.New("localauth: delegation wider than the owner's grant")

	// ErrNotOwner: Delegate was given a grant that is not an owner's, or an
	// owner key that is not the grant's holder key.
	ErrNotOwner = errors.New("localauth: not an owner grant of this key")

	// ErrAlreadyDelegated: Delegate was given a delegated grant; delegation
	// is one level deep.
	ErrAlreadyDelegated = errors.New("localauth: grant is itself a delegation")

	// ErrExists: InitAuthority or NewKey would overwrite a key file.
	ErrExists = errors.New("localauth: key file exists")

	// ErrAuditBroken: VerifyAudit found a break in the hash chain. The error
	// is an *AuditBreakError naming the entry.
	ErrAuditBroken = errors.New("localauth: audit log chain is broken")

	// ErrClosed: the Keeper was closed.
	ErrClosed = errors.New("localauth: closed")
)

// RefusedError is Import's refusal of one message.
type RefusedError struct {
	Reason Reason
	Detail string
}

func (e *RefusedError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("localauth: refused: %s", e.Reason)
	}
	return fmt.Sprintf("localauth: refused: %s: %s", e.Reason, e.Detail)
}

// Is makes errors.Is(err, ErrRefused) true, and ErrFull for a full store.
func (e *RefusedError) Is(target error) bool {
	return target == ErrRefused || (target == ErrFull && e.Reason == ReasonFull)
}

// AuditBreakError names the first entry where the audit chain breaks.
type AuditBreakError struct {
	Index  int    // position in the log as kept (0 is the oldest kept entry)
	Seq    uint64 // the entry's sequence number
	Reason string
}

func (e *AuditBreakError) Error() string {
	return fmt.Sprintf("localauth: audit log broken at entry %d (seq %d): %s", e.Index, e.Seq, e.Reason)
}

// Is makes errors.Is(err, ErrAuditBroken) true.
func (e *AuditBreakError) Is(target error) bool { return target == ErrAuditBroken }
