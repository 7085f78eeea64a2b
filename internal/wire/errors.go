package wire

import "errors"

// Errors returned by this package. Match them with errors.Is; they are wrapped
// with what was wrong and where.
var (
	// ErrMalformed: the bytes are not a well-formed message of the expected
	// kind (bad CBOR, a missing or out-of-range field, an unknown claim).
	ErrMalformed = errors.New("wire: malformed message")

	// ErrTooLarge: the message is longer than its kind allows. Checked before
	// any decoding so that a hostile peer cannot make us parse megabytes.
	ErrTooLarge = errors.New("wire: message too large")

	// ErrWrongType: a well-formed COSE_Sign1 whose protected "typ" is not the
	// kind of message expected (a proof offered as a grant, say).
	ErrWrongType = errors.New("wire: wrong message type")

	// ErrBadSignature: the signature does not verify with the given key.
	ErrBadSignature = errors.New("wire: bad signature")

	// ErrKeyMismatch: the message names (kid) another key than the one it is
	// being verified with, or its alg does not fit that key.
	ErrKeyMismatch = errors.New("wire: message is not signed by this key")

	// ErrUnsupportedKey: a key of a type or curve other than Ed25519 or ECDSA
	// P-256, or a key file that is not PEM of the expected block type.
	ErrUnsupportedKey = errors.New("wire: unsupported key")
)
