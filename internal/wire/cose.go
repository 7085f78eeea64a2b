package wire

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/veraison/go-cose"
)

// Message types, carried in the protected "typ" header (RFC 9596). Binding
// the type into the signature means that no signature can be replayed as
// another kind of message: a holder's proof is never mistaken for a grant,
// nor a hub's challenge for a proof.
const (
	TypeGrant      = "application/edgeagent-grant+cbor"
	TypeRevocation = "application/edgeagent-revocation+cbor"
	TypeChallenge  = "application/edgeagent-challenge+cbor"
	TypeProof      = "application/edgeagent-proof+cbor"
)

// Signed is a parsed, not yet verified, COSE_Sign1_Tagged message (RFC 9052
// §4.2). Its protected header holds exactly alg, kid and typ; the
// unprotected header is empty.
type Signed struct {
	Type    string
	KeyID   ID
	Alg     Alg
	Payload []byte

	msg cose.Sign1Message
}

// Sign makes a COSE_Sign1_Tagged message of payload with alg, kid (the key
// id of key's public key) and typ in the protected header.
func Sign(key crypto.Signer, typ string, payload []byte) ([]byte, error) {
	alg, err := KeyAlg(key.Public())
	if err != nil {
		return nil, err
	}
	kid, err := KeyIDOf(key.Public())
	if err != nil {
		return nil, err
	}
	signer, err := cose.NewSigner(coseAlg(alg), key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	hdr := cose.Headers{
		Protected: cose.ProtectedHeader{
			cose.HeaderLabelAlgorithm: coseAlg(alg),
			cose.HeaderLabelKeyID:     kid[:],
			cose.HeaderLabelType:      typ,
		},
		Unprotected: cose.UnprotectedHeader{},
	}
	b, err := cose.Sign1(rand.Reader, signer, hdr, payload, nil)
	if err != nil {
		return nil, fmt.Errorf("wire: signing %s: %w", typ, err)
	}
	return b, nil
}

// ParseSigned parses a COSE_Sign1_Tagged message of at most maxSize bytes
// and of type typ, without verifying its signature.
func ParseSigned(b []byte, typ string, maxSize int) (*Signed, error) {
	if len(b) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d for %s", ErrTooLarge, len(b), maxSize, typ)
	}
	// go-cose's own decoder allows deeper nesting and longer arrays than we
	// do; check the whole envelope under our limits first.
	if err := envelopeMode.Wellformed(b); err != nil {
		return nil, fmt.Errorf("%w: COSE_Sign1: %v", ErrMalformed, err)
	}
	s := &Signed{}
	if err := s.msg.UnmarshalCBOR(b); err != nil {
		return nil, fmt.Errorf("%w: COSE_Sign1: %v", ErrMalformed, err)
	}
	if len(s.msg.Headers.Unprotected) != 0 {
		return nil, fmt.Errorf("%w: COSE_Sign1: unexpected unprotected header", ErrMalformed)
	}
	if s.msg.Payload == nil {
		return nil, fmt.Errorf("%w: COSE_Sign1: detached payload", ErrMalformed)
	}
	var haveAlg, haveKid, haveTyp bool
	for label, v := range s.msg.Headers.Protected {
		l, ok := label.(int64)
		if !ok {
			return nil, fmt.Errorf("%w: COSE_Sign1: unexpected header %v", ErrMalformed, label)
		}
		switch l {
		case cose.HeaderLabelAlgorithm:
			a, _ := v.(cose.Algorithm)
			switch a {
			case cose.AlgorithmEdDSA:
				s.Alg = Ed25519
			case cose.AlgorithmES256:
				s.Alg = P256
			default:
				return nil, fmt.Errorf("%w: COSE_Sign1: algorithm %v (want EdDSA or ES256)", ErrMalformed, v)
			}
			haveAlg = true
		case cose.HeaderLabelKeyID:
			kid, _ := v.([]byte)
			if len(kid) != len(s.KeyID) {
				return nil, fmt.Errorf("%w: COSE_Sign1: kid must be %d bytes", ErrMalformed, len(s.KeyID))
			}
			copy(s.KeyID[:], kid)
			haveKid = true
		case cose.HeaderLabelType:
			t, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%w: COSE_Sign1: typ must be a text string", ErrMalformed)
			}
			s.Type = t
			haveTyp = true
		default:
			// Including crit (2): we understand no extensions, so a message
			// that declares one critical must be refused, and one that does
			// not is still something we did not make.
			return nil, fmt.Errorf("%w: COSE_Sign1: unexpected header %d", ErrMalformed, l)
		}
	}
	if !haveAlg || !haveKid || !haveTyp {
		return nil, fmt.Errorf("%w: COSE_Sign1: protected header needs alg, kid and typ", ErrMalformed)
	}
	if s.Type != typ {
		return nil, fmt.Errorf("%w: %q, want %q", ErrWrongType, s.Type, typ)
	}
	s.Payload = s.msg.Payload
	return s, nil
}

// PeekType returns the protected "typ" of a COSE_Sign1_Tagged message,
// unverified, so that a mailbox can tell a grant from a snapshot.
func PeekType(b []byte, maxSize int) (string, error) {
	if len(b) > maxSize {
		return "", fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(b), maxSize)
	}
	if err := envelopeMode.Wellformed(b); err != nil {
		return "", fmt.Errorf("%w: COSE_Sign1: %v", ErrMalformed, err)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(b); err != nil {
		return "", fmt.Errorf("%w: COSE_Sign1: %v", ErrMalformed, err)
	}
	t, ok := msg.Headers.Protected[cose.HeaderLabelType].(string)
	if !ok {
		return "", fmt.Errorf("%w: COSE_Sign1: no typ", ErrMalformed)
	}
	return t, nil
}

// Verifier checks signatures of one public key. Make it once per key and
// reuse it: for P-256, building one validates the point, which costs as much
// as a good part of a verification.
type Verifier struct {
	KeyID ID
	Alg   Alg
	Key   crypto.PublicKey
	v     cose.Verifier
}

// NewVerifier prepares a Verifier for pub.
func NewVerifier(pub crypto.PublicKey) (*Verifier, error) {
	alg, err := KeyAlg(pub)
	if err != nil {
		return nil, err
	}
	kid, err := KeyIDOf(pub)
	if err != nil {
		return nil, err
	}
	v, err := cose.NewVerifier(coseAlg(alg), pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return &Verifier{KeyID: kid, Alg: alg, Key: pub, v: v}, nil
}

// Verify checks that s names v's key (kid and alg) and that its signature
// verifies with it.
func (s *Signed) Verify(v *Verifier) error {
	if s.KeyID != v.KeyID || s.Alg != v.Alg {
		return fmt.Errorf("%w: message kid %s (%s), key %s (%s)", ErrKeyMismatch, s.KeyID, s.Alg, v.KeyID, v.Alg)
	}
	if err := s.msg.Verify(nil, v.v); err != nil {
		if errors.Is(err, cose.ErrVerification) {
			return fmt.Errorf("%w: %s signed by %s", ErrBadSignature, s.Type, s.KeyID)
		}
		return fmt.Errorf("%w: %s signed by %s: %v", ErrBadSignature, s.Type, s.KeyID, err)
	}
	return nil
}

func coseAlg(a Alg) cose.Algorithm {
	if a == P256 {
		return cose.AlgorithmES256
	}
	return cose.AlgorithmEdDSA
}
