package ble

import "errors"

// Errors returned by this package. Match them with errors.Is; they are
// wrapped with what was wrong.
var (
	// ErrBadFrame: bytes from a central that are not a frame of this
	// protocol (bad length prefix, bad CBOR, unknown type, a body that is not
	// the type's). The connection that sent them is dropped.
	ErrBadFrame = errors.New("ble: bad frame")

	// ErrFrameTooLarge: a frame longer than the connection's limit, known
	// from its length prefix before the rest arrives.
	ErrFrameTooLarge = errors.New("ble: frame too large")

	// ErrRateLimited: a central sent fragments faster than its limit.
	ErrRateLimited = errors.New("ble: too many fragments")

	// ErrTooManyConnections: the hub already serves MaxConnections centrals.
	ErrTooManyConnections = errors.New("ble: too many connections")

	// ErrClosed: the connection or server is closed.
	ErrClosed = errors.New("ble: connection closed")

	// ErrNoBlueZ: no BlueZ on the system bus, or not the adapter asked for.
	// BLE is then off and the agent runs without it.
	ErrNoBlueZ = errors.New("ble: no BlueZ adapter")
)
