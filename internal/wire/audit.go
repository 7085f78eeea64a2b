package wire

import (
	"crypto/sha256"
	"fmt"
)

// AuditEntry is one record of the hub's hash-chained audit log. It is a
// local record, not a claims set, so its keys are small positive integers
// of its own. Prev is the hash of the previous entry's encoding, which makes
// any change to a recorded entry visible to a walk of the chain.
type AuditEntry struct {
	Seq     uint64 `cbor:"1,keyasint"`
	Prev    []byte `cbor:"2,keyasint"` // SHA-256 of the previous entry's bytes; zeros for the first
	Time    int64  `cbor:"3,keyasint"` // trusted time (the floor), Unix milliseconds
	Wall    int64  `cbor:"4,keyasint"` // the wall clock as it claimed to be, Unix milliseconds
	Kind    string `cbor:"5,keyasint"` // decision, import, pin
	OK      bool   `cbor:"6,keyasint"` // granted / accepted
	Reason  string `cbor:"7,keyasint"` // a localauth reason code
	Grant   []byte `cbor:"8,keyasint,omitempty"`
	Key     []byte `cbor:"9,keyasint,omitempty"` // holder key id
	Device  string `cbor:"10,keyasint,omitempty"`
	Action  string `cbor:"11,keyasint,omitempty"`
	User    string `cbor:"12,keyasint,omitempty"`
	Detail  string `cbor:"13,keyasint,omitempty"` // e.g. snapshot serial, the delegator
	Boot    uint64 `cbor:"14,keyasint,omitempty"`
	Serial  uint64 `cbor:"15,keyasint,omitempty"`
	Role    string `cbor:"16,keyasint,omitempty"`
	Subject string `cbor:"17,keyasint,omitempty"` // the holder's name
	// Transport is what carried a decision's request: "lan" or "ble". A new
	// key, omitted when empty, so that entries written before it existed
	// encode (and hash) exactly as they did.
	Transport string `cbor:"18,keyasint,omitempty"`
}

// Validate checks the form.
func (e *AuditEntry) Validate() error {
	if e.Seq == 0 {
		return fmt.Errorf("%w: audit entry seq 0", ErrMalformed)
	}
	if err := checkLen("prev hash", e.Prev, HashSize); err != nil {
		return err
	}
	if e.Kind == "" || e.Reason == "" {
		return fmt.Errorf("%w: audit entry without kind or reason", ErrMalformed)
	}
	if e.Grant != nil {
		if err := checkLen("grant id", e.Grant, IDSize); err != nil {
			return err
		}
	}
	if e.Key != nil {
		if err := checkLen("key id", e.Key, IDSize); err != nil {
			return err
		}
	}
	return nil
}

// EncodeAuditEntry validates e and returns its deterministic encoding and
// that encoding's SHA-256, the next entry's Prev.
func EncodeAuditEntry(e *AuditEntry) ([]byte, [HashSize]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, [HashSize]byte{}, err
	}
	b, err := Marshal(e)
	if err != nil {
		return nil, [HashSize]byte{}, err
	}
	return b, sha256.Sum256(b), nil
}

// DecodeAuditEntry decodes and validates stored entry bytes (which a stolen
// or damaged SD card may have changed).
func DecodeAuditEntry(b []byte) (*AuditEntry, error) {
	if len(b) > MaxAuditEntrySize {
		return nil, fmt.Errorf("%w: audit entry of %d bytes", ErrTooLarge, len(b))
	}
	var e AuditEntry
	if err := Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("audit entry: %w", err)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("audit entry: %w", err)
	}
	return &e, nil
}
