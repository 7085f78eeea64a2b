package wire

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Decoding limits for untrusted bytes. They bound the work and memory a
// hostile message can cost before its signature is even checked; the size
// caps per message kind (MaxGrantSize, ...) bound it further.
const (
	// MaxNesting is deeper than any message of this protocol needs (a grant's
	// schedule is map → array → array: 3 levels).
	MaxNesting = 8
	// MaxArrayElements allows a revocation snapshot of 65 536 ids per list;
	// localauth's capacity limit (10 000 by default) is checked after decoding.
	MaxArrayElements = 65536
	// MaxMapPairs is far above the number of claims any message has.
	MaxMapPairs = 64
)

var (
	// encMode is CBOR core deterministic encoding (RFC 8949 §4.2.1): shortest
	// integer and length forms, sorted map keys, no indefinite lengths.
	encMode = mustMode(cbor.CoreDetEncOptions().EncMode())

	// decMode decodes payloads: strict, and no tags at all (no claim of this
	// protocol is tagged, and tags are where decoders hide surprises).
	decMode = mustMode(cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   MaxNesting,
		MaxArrayElements:  MaxArrayElements,
		MaxMapPairs:       MaxMapPairs,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
	}.DecMode())

	// envelopeMode only checks a COSE_Sign1 envelope for well-formedness under
	// the same limits before go-cose (whose own limits are laxer) parses it.
	// It allows tags: COSE_Sign1_Tagged is tag 18.
	envelopeMode = mustMode(cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		MaxNestedLevels:  MaxNesting,
		MaxArrayElements: MaxArrayElements,
		MaxMapPairs:      MaxMapPairs,
		UTF8:             cbor.UTF8RejectInvalid,
	}.DecMode())
)

func mustMode[T any](m T, err error) T {
	if err != nil {
		// The options above are constants: an error is a programming error
		// caught by any test run.
		panic(err)
	}
	return m
}

// Marshal encodes v with core deterministic encoding.
func Marshal(v any) ([]byte, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("wire: encoding %T: %w", v, err)
	}
	return b, nil
}

// Unmarshal decodes untrusted bytes into v strictly: duplicate map keys,
// indefinite lengths, tags, unknown struct fields, trailing bytes and the
// limits above are errors matching ErrMalformed.
func Unmarshal(b []byte, v any) error {
	if err := decMode.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}
