package wire

import (
	"crypto"
	"fmt"
)

// RevocationSnapshot is the complete list of revoked grant ids and holder
// key ids of a site at one serial. A newer snapshot replaces an older one
// (it is a snapshot, not a delta), so the cloud may drop ids of grants that
// have expired since.
type RevocationSnapshot struct {
	Site     string   `cbor:"3,keyasint"`
	IssuedAt int64    `cbor:"6,keyasint"`
	Serial   uint64   `cbor:"-65545,keyasint"`
	Grants   [][]byte `cbor:"-65546,keyasint,omitempty"`
	Keys     [][]byte `cbor:"-65547,keyasint,omitempty"`
}

// Validate checks the form.
func (r *RevocationSnapshot) Validate() error {
	if err := CheckName("site", r.Site); err != nil {
		return err
	}
	if err := checkTime("issued-at", r.IssuedAt, true); err != nil {
		return err
	}
	if r.Serial == 0 {
		return fmt.Errorf("%w: serial 0 (serials start at 1)", ErrMalformed)
	}
	for i, id := range r.Grants {
		if err := checkLen(fmt.Sprintf("revoked grant id %d", i+1), id, IDSize); err != nil {
			return err
		}
	}
	for i, id := range r.Keys {
		if err := checkLen(fmt.Sprintf("revoked key id %d", i+1), id, IDSize); err != nil {
			return err
		}
	}
	return nil
}

// SignRevocation validates r and signs it as a COSE_Sign1 of type
// TypeRevocation.
func SignRevocation(key crypto.Signer, r *RevocationSnapshot) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	payload, err := Marshal(r)
	if err != nil {
		return nil, err
	}
	return Sign(key, TypeRevocation, payload)
}

// ParseRevocation parses a signed snapshot and validates its payload,
// without verifying the signature.
func ParseRevocation(b []byte) (*RevocationSnapshot, *Signed, error) {
	s, err := ParseSigned(b, TypeRevocation, MaxRevocationSize)
	if err != nil {
		return nil, nil, err
	}
	r, err := DecodeRevocation(s.Payload)
	if err != nil {
		return nil, nil, err
	}
	return r, s, nil
}

// DecodeRevocation decodes and validates a snapshot payload.
func DecodeRevocation(payload []byte) (*RevocationSnapshot, error) {
	var r RevocationSnapshot
	if err := Unmarshal(payload, &r); err != nil {
		return nil, fmt.Errorf("revocation snapshot: %w", err)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("revocation snapshot: %w", err)
	}
	return &r, nil
}
