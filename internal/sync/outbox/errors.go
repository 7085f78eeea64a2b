package outbox

import "errors"

// Errors returned by this package. Match them with errors.Is.
var (
	// ErrBadOptions: Open was given no store or a negative limit.
	ErrBadOptions = errors.New("outbox: invalid options")

	// ErrMalformed: DecodeEnvelope was given bytes that are not a
	// well-formed envelope (bad CBOR, a missing or out-of-range field, an id
	// that does not match its instance and seq).
	ErrMalformed = errors.New("outbox: malformed envelope")

	// ErrTooLarge: an envelope longer than MaxPayload.
	ErrTooLarge = errors.New("outbox: envelope too large")
)
