package wire

import (
	"crypto"
	"fmt"
	"unicode/utf8"
)

// Message types of the cloud's signed messages to a hub (see docs/protocol.md,
// "Cloud sync").
const (
	TypeCommand  = "application/edgeagent-command+cbor"
	TypeSettings = "application/edgeagent-settings+cbor"
)

// Claim keys of commands and settings, private-use like the others in
// claims.go, continuing their numbering. One key has one meaning in every
// message.
const (
	ClaimValue   = -65552 // tstr: a command's value ("21.5")
	ClaimVersion = -65553 // uint: a settings document's version
	ClaimBoilers = -65554 // [+ boiler-settings]: desired boiler settings
)

// Size caps and bounds of commands.
const (
	// MaxCommandSize: a command is a few names and times.
	MaxCommandSize = 1 << 10
	// MaxValueLength bounds a command's value (a number, a position).
	MaxValueLength = 64
	// MaxCommandLifetime bounds expires-at − issued-at. A hub remembers the
	// id of every command it executed until the command has expired, so
	// the bound is also what keeps that memory small; and a command meant
	// for "now" has no business living for days in a broker's queue.
	MaxCommandLifetime = 24 * 60 * 60 // seconds
)

// Command is an instruction from the cloud to act on one device, as a
// resident would through the admin socket: id, device, action, value,
// issued-at and expires-at. A pinned authority signs it. The hub executes
// it at most once (it remembers the id) and never after expires-at.
type Command struct {
	ID        []byte `cbor:"7,keyasint"` // cti: 16 random bytes
	Site      string `cbor:"3,keyasint"` // aud
	IssuedAt  int64  `cbor:"6,keyasint"` // Unix seconds
	ExpiresAt int64  `cbor:"4,keyasint"` // Unix seconds, exclusive
	Device    string `cbor:"-65550,keyasint"`
	Action    string `cbor:"-65551,keyasint"`
	Value     string `cbor:"-65552,keyasint,omitempty"`
}

// Validate checks the form.
func (c *Command) Validate() error {
	if err := checkLen("command id", c.ID, IDSize); err != nil {
		return err
	}
	if err := CheckName("site", c.Site); err != nil {
		return err
	}
	if err := CheckName("device", c.Device); err != nil {
		return err
	}
	if err := CheckName("action", c.Action); err != nil {
		return err
	}
	if err := checkValue(c.Value); err != nil {
		return err
	}
	if err := checkTime("issued-at", c.IssuedAt, true); err != nil {
		return err
	}
	if err := checkTime("expires-at", c.ExpiresAt, true); err != nil {
		return err
	}
	if c.ExpiresAt <= c.IssuedAt {
		return fmt.Errorf("%w: command expires-at %d is not after issued-at %d", ErrMalformed, c.ExpiresAt, c.IssuedAt)
	}
	if c.ExpiresAt-c.IssuedAt > MaxCommandLifetime {
		return fmt.Errorf("%w: command lives %d s, at most %d", ErrMalformed, c.ExpiresAt-c.IssuedAt, MaxCommandLifetime)
	}
	return nil
}

// checkValue accepts an empty value or up to MaxValueLength bytes of UTF-8
// without control characters.
func checkValue(v string) error {
	if v == "" {
		return nil
	}
	if len(v) > MaxValueLength || !utf8.ValidString(v) {
		return fmt.Errorf("%w: value is not 1..%d bytes of UTF-8", ErrMalformed, MaxValueLength)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("%w: value %q has a control character", ErrMalformed, v)
		}
	}
	return nil
}

// SignCommand validates c and signs it as a COSE_Sign1 of type TypeCommand.
func SignCommand(key crypto.Signer, c *Command) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	payload, err := Marshal(c)
	if err != nil {
		return nil, err
	}
	return Sign(key, TypeCommand, payload)
}

// ParseCommand parses a signed command and validates its payload. The
// signature is NOT verified: call Signed.Verify with the right key.
func ParseCommand(b []byte) (*Command, *Signed, error) {
	s, err := ParseSigned(b, TypeCommand, MaxCommandSize)
	if err != nil {
		return nil, nil, err
	}
	c, err := DecodeCommand(s.Payload)
	if err != nil {
		return nil, nil, err
	}
	return c, s, nil
}

// DecodeCommand decodes and validates a command payload.
func DecodeCommand(payload []byte) (*Command, error) {
	var c Command
	if err := Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	return &c, nil
}
