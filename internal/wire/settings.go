package wire

import (
	"crypto"
	"fmt"
	"math"
)

// MaxSettingsSize caps a settings document: 256 boilers of about 80 bytes.
const MaxSettingsSize = 32 << 10

// Boiler modes and setpoint range: the cloud's contract, and the one place
// they are written. The devices package applies them (to the config's
// setpoint, to set-setpoint and to restored state), so a setpoint the cloud
// may send is always one the hub accepts.
const (
	ModeHeat    = "heat"
	ModeOff     = "off"
	MinSetpoint = 5.0
	MaxSetpoint = 35.0
)

// Settings is the cloud's desired settings of a site, with a version: the
// hub applies a document only if its version is above the one it holds, and
// a change a resident made locally since stands until a version above the
// one it overrode arrives. A document is complete: a device it does not name
// has no desired settings.
type Settings struct {
	Site     string           `cbor:"3,keyasint"` // aud
	IssuedAt int64            `cbor:"6,keyasint"` // Unix seconds
	Version  uint64           `cbor:"-65553,keyasint"`
	Boilers  []BoilerSettings `cbor:"-65554,keyasint,omitempty"`
}

// BoilerSettings are one boiler's desired mode and setpoint; at least one
// of them is set.
type BoilerSettings struct {
	Device   string   `cbor:"1,keyasint"`
	Mode     string   `cbor:"2,keyasint,omitempty"` // ModeHeat or ModeOff
	Setpoint *float64 `cbor:"3,keyasint,omitempty"` // °C, MinSetpoint..MaxSetpoint
}

// Validate checks the form.
func (s *Settings) Validate() error {
	if err := CheckName("site", s.Site); err != nil {
		return err
	}
	if err := checkTime("issued-at", s.IssuedAt, true); err != nil {
		return err
	}
	if s.Version == 0 {
		return fmt.Errorf("%w: settings version 0 (versions start at 1)", ErrMalformed)
	}
	if len(s.Boilers) > MaxDevices {
		return fmt.Errorf("%w: %d boilers, at most %d", ErrMalformed, len(s.Boilers), MaxDevices)
	}
	seen := make(map[string]bool, len(s.Boilers))
	for i, b := range s.Boilers {
		if err := CheckName("boiler device", b.Device); err != nil {
			return fmt.Errorf("boiler %d: %w", i+1, err)
		}
		if seen[b.Device] {
			return fmt.Errorf("%w: boiler %q listed twice", ErrMalformed, b.Device)
		}
		seen[b.Device] = true
		if b.Mode == "" && b.Setpoint == nil {
			return fmt.Errorf("%w: boiler %q has neither mode nor setpoint", ErrMalformed, b.Device)
		}
		if b.Mode != "" && b.Mode != ModeHeat && b.Mode != ModeOff {
			return fmt.Errorf("%w: boiler %q mode %q (want %q or %q)", ErrMalformed, b.Device, b.Mode, ModeHeat, ModeOff)
		}
		if sp := b.Setpoint; sp != nil && (math.IsNaN(*sp) || *sp < MinSetpoint || *sp > MaxSetpoint) {
			return fmt.Errorf("%w: boiler %q setpoint %g (want %g..%g °C)", ErrMalformed, b.Device, *sp, MinSetpoint, MaxSetpoint)
		}
	}
	return nil
}

// SignSettings validates s and signs it as a COSE_Sign1 of type
// TypeSettings.
func SignSettings(key crypto.Signer, s *Settings) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	payload, err := Marshal(s)
	if err != nil {
		return nil, err
	}
	return Sign(key, TypeSettings, payload)
}

// ParseSettings parses a signed settings document and validates its
// payload, without verifying the signature.
func ParseSettings(b []byte) (*Settings, *Signed, error) {
	sg, err := ParseSigned(b, TypeSettings, MaxSettingsSize)
	if err != nil {
		return nil, nil, err
	}
	s, err := DecodeSettings(sg.Payload)
	if err != nil {
		return nil, nil, err
	}
	return s, sg, nil
}

// DecodeSettings decodes and validates a settings payload.
func DecodeSettings(payload []byte) (*Settings, error) {
	var s Settings
	if err := Unmarshal(payload, &s); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	return &s, nil
}
