package wire

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
)

// Alg names a key algorithm as users type it (the issuer CLI's --alg).
type Alg string

const (
	// Ed25519 keys sign with COSE alg EdDSA (-8). Small and fast: the
	// default for authorities, hubs and software phone keys.
	Ed25519 Alg = "ed25519"
	// P256 keys (ECDSA on NIST P-256) sign with COSE alg ES256 (-7): what
	// phone secure hardware (Secure Enclave, StrongBox) can hold.
	P256 Alg = "p256"
)

// ParseAlg accepts "ed25519" and "p256" (case-insensitive; "" means ed25519).
func ParseAlg(s string) (Alg, error) {
	switch strings.ToLower(s) {
	case "", "ed25519":
		return Ed25519, nil
	case "p256", "p-256", "es256":
		return P256, nil
	}
	return "", fmt.Errorf("%w: algorithm %q (want ed25519 or p256)", ErrUnsupportedKey, s)
}

// GenerateKey makes a new private key.
func GenerateKey(alg Alg) (crypto.Signer, error) {
	switch alg {
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case P256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return nil, fmt.Errorf("%w: algorithm %q", ErrUnsupportedKey, alg)
}

// KeyAlg says which algorithm a public key is for, and refuses every other
// kind of key (RSA, other curves).
func KeyAlg(pub crypto.PublicKey) (Alg, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			return Ed25519, nil
		}
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return P256, nil
		}
	}
	return "", fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// ID is a 16-byte identifier: a grant id (random), or a key id.
//
// A key id names a public key: the first 16 bytes of SHA-256 of its PKIX
// (DER SubjectPublicKeyInfo) encoding. It is the COSE "kid" of everything
// the key signs and the key id in revocation snapshots. 128 bits make an
// accidental collision impossible in practice; a deliberate one would still
// not verify.
type ID [IDSize]byte

// KeyIDOf computes the key id of pub.
func KeyIDOf(pub crypto.PublicKey) (ID, error) {
	der, err := pkix(pub)
	if err != nil {
		return ID{}, err
	}
	sum := sha256.Sum256(der)
	var id ID
	copy(id[:], sum[:])
	return id, nil
}

// The PKIX encodings of the two key kinds are a fixed header and the key's
// bytes (RFC 8410 for Ed25519, RFC 5480 for P-256's uncompressed point).
// Writing them out is what x509.MarshalPKIXPublicKey does, without its
// ASN.1 reflection: a key id is taken on every decision, and at start.
// TestKeyIDOfMatchesX509 holds the two to the same bytes.
var (
	ed25519PKIX = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}
	p256PKIX    = []byte{0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00}
)

// pkix is pub's DER SubjectPublicKeyInfo, for a key KeyAlg accepts: what
// a key id hashes and what a PEM file holds, so that the two agree.
func pkix(pub crypto.PublicKey) ([]byte, error) {
	if _, err := KeyAlg(pub); err != nil {
		return nil, err
	}
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return append(ed25519PKIX[:len(ed25519PKIX):len(ed25519PKIX)], k...), nil
	case *ecdsa.PublicKey:
		point, err := k.Bytes() // uncompressed: 0x04, X, Y
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
		}
		return append(p256PKIX[:len(p256PKIX):len(p256PKIX)], point...), nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// String is the lower-case hex form used in files, logs and the CLI.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is unset.
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText gives the hex form, so that ids read well in JSON.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads the hex form.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// IDFrom copies a 16-byte slice (as found in a validated message) into an ID.
func IDFrom(b []byte) ID {
	var id ID
	copy(id[:], b)
	return id
}

// ParseID reads the hex form of an id.
func ParseID(s string) (ID, error) {
	var id ID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("%w: %q is not a 32-digit hex id", ErrMalformed, s)
	}
	copy(id[:], b)
	return id, nil
}

// EncodePrivateKeyPEM encodes a private key as PKCS#8 in a "PRIVATE KEY"
// PEM block, the form openssl and most tools read.
func EncodePrivateKeyPEM(key crypto.Signer) ([]byte, error) {
	if _, err := KeyAlg(key.Public()); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKeyPEM reads the first "PRIVATE KEY" (PKCS#8) block of b.
func ParsePrivateKeyPEM(b []byte) (crypto.Signer, error) {
	der, err := pemBlock(b, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, k)
	}
	if _, err := KeyAlg(signer.Public()); err != nil {
		return nil, err
	}
	return signer, nil
}

// EncodePublicKeyPEM encodes a public key as PKIX in a "PUBLIC KEY" block.
func EncodePublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := pkix(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKeyPEM reads the first "PUBLIC KEY" (PKIX) block of b.
func ParsePublicKeyPEM(b []byte) (crypto.PublicKey, error) {
	der, err := pemBlock(b, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	if _, err := KeyAlg(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

func pemBlock(b []byte, typ string) ([]byte, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("%w: no %q PEM block", ErrUnsupportedKey, typ)
		}
		if blk.Type == typ {
			return blk.Bytes, nil
		}
	}
}

// COSE key parameters (RFC 9053 §7, IANA "COSE Key Types" and "COSE Elliptic
// Curves").
const (
	KtyOKP      = 1 // octet key pair: Ed25519
	KtyEC2      = 2 // elliptic curve with x and y: P-256
	CrvP256     = 1
	CrvEd25519  = 6
	coordLength = 32
)

// COSEKey is a public key as a COSE_Key map (RFC 9052 §7), the form the
// "cnf" claim carries (RFC 8747). Only the parameters this protocol uses are
// accepted; a "kid" or private "d" inside is an unknown field, hence an error.
type COSEKey struct {
	Kty int64  `cbor:"1,keyasint"`
	Crv int64  `cbor:"-1,keyasint"`
	X   []byte `cbor:"-2,keyasint"`
	Y   []byte `cbor:"-3,keyasint,omitempty"`
}

// COSEKeyOf converts an Ed25519 or P-256 public key.
func COSEKeyOf(pub crypto.PublicKey) (COSEKey, error) {
	alg, err := KeyAlg(pub)
	if err != nil {
		return COSEKey{}, err
	}
	if alg == Ed25519 {
		return COSEKey{Kty: KtyOKP, Crv: CrvEd25519, X: append([]byte(nil), pub.(ed25519.PublicKey)...)}, nil
	}
	k := pub.(*ecdsa.PublicKey)
	raw, err := k.Bytes() // 0x04 || x || y
	if err != nil {
		return COSEKey{}, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return COSEKey{Kty: KtyEC2, Crv: CrvP256, X: raw[1 : 1+coordLength], Y: raw[1+coordLength:]}, nil
}

// PublicKey converts back, checking that the point is a valid key (on the
// curve, not the identity) so that a hostile grant cannot smuggle in a
// degenerate key.
func (k COSEKey) PublicKey() (crypto.PublicKey, error) {
	switch {
	case k.Kty == KtyOKP && k.Crv == CrvEd25519:
		if len(k.X) != ed25519.PublicKeySize || len(k.Y) != 0 {
			return nil, fmt.Errorf("%w: Ed25519 key: x must be 32 bytes and y absent", ErrMalformed)
		}
		return ed25519.PublicKey(append([]byte(nil), k.X...)), nil
	case k.Kty == KtyEC2 && k.Crv == CrvP256:
		if len(k.X) != coordLength || len(k.Y) != coordLength {
			return nil, fmt.Errorf("%w: P-256 key: x and y must be 32 bytes each", ErrMalformed)
		}
		raw := make([]byte, 0, 1+2*coordLength)
		raw = append(append(append(raw, 4), k.X...), k.Y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
		if err != nil {
			return nil, fmt.Errorf("%w: P-256 key: %v", ErrMalformed, err)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("%w: COSE key type %d curve %d (want OKP/Ed25519 or EC2/P-256)", ErrUnsupportedKey, k.Kty, k.Crv)
}
