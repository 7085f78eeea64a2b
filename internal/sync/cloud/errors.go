package cloud

import "errors"

// Errors returned by this package. Match them with errors.Is.
var (
	// ErrBadOptions: New was given options it cannot use (no store, a bad
	// site id or topic prefix, an unusable authority key).
	ErrBadOptions = errors.New("cloud: invalid options")

	// errReplayed and errIDsFull stop the transaction that would remember a
	// command id; they never leave the package (the outcome is an audit
	// event).
	errReplayed = errors.New("cloud: command id already executed")
	errIDsFull  = errors.New("cloud: command id memory full")
)
