package homeassistant

import "errors"

// Sentinel errors.
var (
	// ErrBadOptions: a required option is missing or invalid.
	ErrBadOptions = errors.New("homeassistant: bad options")
	// ErrBadCommand: a command payload Home Assistant sent does not parse
	// for its topic (a setpoint that is not a number, LOCK on a switch).
	ErrBadCommand = errors.New("homeassistant: bad command")
)
