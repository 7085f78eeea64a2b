package homekit

import "errors"

// Sentinel errors.
var (
	// ErrBadOptions: a required option is missing or invalid.
	ErrBadOptions = errors.New("homekit: bad options")
	// ErrFull: the pairing record holds MaxKeys keys already (HomeKit
	// allows 16 controllers; the bridge keeps a few keys of its own).
	ErrFull = errors.New("homekit: pairing record full")
	// ErrNoKey: the store has no value for the key (hap.Store's Get).
	ErrNoKey = errors.New("homekit: no such key")
	// ErrDamaged: the pairing record exists but no copy reads back whole,
	// or it does not decode. The bridge does not start: starting with new
	// keys would silently unpair every controller and show a new code.
	ErrDamaged = errors.New("homekit: pairing record damaged")
)
