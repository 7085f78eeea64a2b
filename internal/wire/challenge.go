package wire

import (
	"crypto"
	"fmt"
)

// Challenge is what the hub sends a phone that wants to act on a device: a
// fresh single-use nonce bound to the device and action, signed with the
// hub's identity key so that the phone can tell it is talking to its hub.
type Challenge struct {
	Nonce     []byte `cbor:"-65548,keyasint"`
	Hub       []byte `cbor:"-65549,keyasint"` // the hub's key id
	Device    string `cbor:"-65550,keyasint"`
	Action    string `cbor:"-65551,keyasint"`
	IssuedAt  int64  `cbor:"6,keyasint"` // Unix seconds
	ExpiresAt int64  `cbor:"4,keyasint"` // Unix seconds
}

// Validate checks the form.
func (c *Challenge) Validate() error {
	if err := checkLen("nonce", c.Nonce, NonceSize); err != nil {
		return err
	}
	if err := checkLen("hub id", c.Hub, IDSize); err != nil {
		return err
	}
	if err := CheckName("device", c.Device); err != nil {
		return err
	}
	if err := CheckName("action", c.Action); err != nil {
		return err
	}
	if err := checkTime("issued-at", c.IssuedAt, true); err != nil {
		return err
	}
	if err := checkTime("expires-at", c.ExpiresAt, true); err != nil {
		return err
	}
	if c.ExpiresAt < c.IssuedAt {
		return fmt.Errorf("%w: challenge expires before it is issued", ErrMalformed)
	}
	return nil
}

// SignChallenge validates and signs c with the hub key.
func SignChallenge(key crypto.Signer, c *Challenge) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	payload, err := Marshal(c)
	if err != nil {
		return nil, err
	}
	return Sign(key, TypeChallenge, payload)
}

// ParseChallenge parses a signed challenge without verifying it.
func ParseChallenge(b []byte) (*Challenge, *Signed, error) {
	s, err := ParseSigned(b, TypeChallenge, MaxChallengeSize)
	if err != nil {
		return nil, nil, err
	}
	var c Challenge
	if err := Unmarshal(s.Payload, &c); err != nil {
		return nil, nil, fmt.Errorf("challenge: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, nil, fmt.Errorf("challenge: %w", err)
	}
	return &c, s, nil
}

// Proof is the holder's answer to a challenge: the same nonce, hub, device
// and action, signed with the holder key named in the grant. Binding the hub
// id stops a proof made for one hub being relayed to another; binding the
// device and action stops a proof for "lights on" opening the door.
type Proof struct {
	Nonce  []byte `cbor:"-65548,keyasint"`
	Hub    []byte `cbor:"-65549,keyasint"`
	Device string `cbor:"-65550,keyasint"`
	Action string `cbor:"-65551,keyasint"`
}

// Validate checks the form.
func (p *Proof) Validate() error {
	if err := checkLen("nonce", p.Nonce, NonceSize); err != nil {
		return err
	}
	if err := checkLen("hub id", p.Hub, IDSize); err != nil {
		return err
	}
	if err := CheckName("device", p.Device); err != nil {
		return err
	}
	return CheckName("action", p.Action)
}

// SignProof validates and signs p with the holder key.
func SignProof(key crypto.Signer, p *Proof) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	payload, err := Marshal(p)
	if err != nil {
		return nil, err
	}
	return Sign(key, TypeProof, payload)
}

// ParseProof parses a signed proof without verifying it.
func ParseProof(b []byte) (*Proof, *Signed, error) {
	s, err := ParseSigned(b, TypeProof, MaxProofSize)
	if err != nil {
		return nil, nil, err
	}
	var p Proof
	if err := Unmarshal(s.Payload, &p); err != nil {
		return nil, nil, fmt.Errorf("proof: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, nil, fmt.Errorf("proof: %w", err)
	}
	return &p, s, nil
}
