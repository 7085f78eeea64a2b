package wire

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func mustKey(t testing.TB, alg Alg) crypto.Signer {
	t.Helper()
	k, err := GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testGrant(t testing.TB, holder crypto.PublicKey) *Grant {
	t.Helper()
	ck, err := COSEKeyOf(holder)
	if err != nil {
		t.Fatal(err)
	}
	return &Grant{
		ID:        bytes.Repeat([]byte{1}, IDSize),
		Site:      "home-1",
		NotBefore: 1767225600, // 2026-01-01
		NotAfter:  1798761600, // 2027-01-01
		IssuedAt:  1767225600,
		Holder:    Confirmation{Key: ck},
		Role:      RoleResident,
		Name:      "alice",
		Devices:   []string{"front-door"},
		Actions:   []string{"unlock"},
		Schedule:  []Window{{Days: 0x3e, Start: 8 * 60, End: 18 * 60}},
	}
}

func TestSignParseVerify(t *testing.T) {
	for _, alg := range []Alg{Ed25519, P256} {
		t.Run(string(alg), func(t *testing.T) {
			authority := mustKey(t, alg)
			holder := mustKey(t, alg)
			g := testGrant(t, holder.Public())
			b, err := SignGrant(authority, g)
			if err != nil {
				t.Fatal(err)
			}
			got, s, err := ParseGrant(b)
			if err != nil {
				t.Fatal(err)
			}
			v, err := NewVerifier(authority.Public())
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(v); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if s.Alg != alg || s.KeyID != v.KeyID {
				t.Errorf("header alg %s kid %s, want %s %s", s.Alg, s.KeyID, alg, v.KeyID)
			}
			hk, err := got.HolderKey()
			if err != nil {
				t.Fatal(err)
			}
			if kid1, _ := KeyIDOf(hk); kid1 != mustKID(t, holder.Public()) {
				t.Error("holder key did not survive the round trip")
			}
			if got.Name != g.Name || got.Schedule[0] != g.Schedule[0] || got.NotAfter != g.NotAfter {
				t.Errorf("round trip: got %+v", got)
			}

			// Another key with the same alg: kid mismatch.
			other, _ := NewVerifier(mustKey(t, alg).Public())
			if err := s.Verify(other); !errors.Is(err, ErrKeyMismatch) {
				t.Errorf("verify with another key: %v, want ErrKeyMismatch", err)
			}
			// A flipped bit in the signature (the last bytes of the message).
			bad := bytes.Clone(b)
			bad[len(bad)-1] ^= 1
			_, s2, err := ParseGrant(bad)
			if err != nil {
				t.Fatal(err)
			}
			if err := s2.Verify(v); !errors.Is(err, ErrBadSignature) {
				t.Errorf("verify tampered: %v, want ErrBadSignature", err)
			}
		})
	}
}

func mustKID(t testing.TB, pub crypto.PublicKey) ID {
	t.Helper()
	id, err := KeyIDOf(pub)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestWrongTypeRefused(t *testing.T) {
	holder := mustKey(t, Ed25519)
	p := &Proof{Nonce: make([]byte, 32), Hub: make([]byte, 16), Device: "d", Action: "a"}
	b, err := SignProof(holder, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ParseGrant(b); !errors.Is(err, ErrWrongType) {
		t.Errorf("proof parsed as a grant: %v, want ErrWrongType", err)
	}
	if typ, err := PeekType(b, MaxProofSize); err != nil || typ != TypeProof {
		t.Errorf("PeekType = %q, %v", typ, err)
	}
}

// TestStrictDecoding feeds hand-made CBOR that a lax decoder would accept.
func TestStrictDecoding(t *testing.T) {
	cases := []struct {
		name string
		hex  string
	}{
		{"duplicate key", "a2 01 01 01 02"},       // {1:1, 1:2}
		{"indefinite map", "bf 01 01 ff"},         // {_ 1:1}
		{"indefinite bytes", "a1 01 5f 41 00 ff"}, // {1: (_ h'00')}
		{"tag inside", "a1 01 c1 1a 00 00 00 00"}, // {1: 1(0)}
		{"unknown claim", "a2 01 01 18 63 01"},    // {1:1, 99:1}
		{"trailing bytes", "a1 01 01 00"},         // {1:1} 0
		{"wrong type", "a1 01 61 78"},             // {1:"x"} into uint
	}
	for _, c := range cases {
		b, err := hex.DecodeString(strings.ReplaceAll(c.hex, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			A uint64 `cbor:"1,keyasint"`
			B []byte `cbor:"2,keyasint"`
		}
		if err := Unmarshal(b, &v); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", c.name, err)
		}
	}
}

func TestNestingLimit(t *testing.T) {
	deep, _ := hex.DecodeString(strings.Repeat("81", MaxNesting+1) + "01")
	var v any
	if err := Unmarshal(deep, &v); !errors.Is(err, ErrMalformed) {
		t.Errorf("%d nested arrays: %v, want ErrMalformed", MaxNesting+1, err)
	}
	ok, _ := hex.DecodeString(strings.Repeat("81", MaxNesting-1) + "01")
	if err := Unmarshal(ok, &v); err != nil {
		t.Errorf("%d nested arrays: %v", MaxNesting-1, err)
	}
}

func TestDeterministicEncoding(t *testing.T) {
	// Map keys in core deterministic order: 1, 2, ... then negatives by
	// encoded bytes; and the shortest integer forms.
	b, err := Marshal(map[int]int{-1: 0, 10: 1, 1: 500})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(b), "a3011901f40a012000"; got != want {
		t.Errorf("encoding %s, want %s", got, want)
	}
}

func TestGrantValidate(t *testing.T) {
	holder := mustKey(t, Ed25519)
	cases := map[string]func(g *Grant){
		"short id":          func(g *Grant) { g.ID = g.ID[:8] },
		"empty site":        func(g *Grant) { g.Site = "" },
		"no issued-at":      func(g *Grant) { g.IssuedAt = 0 },
		"end before start":  func(g *Grant) { g.NotAfter = g.NotBefore },
		"bad role":          func(g *Grant) { g.Role = "admin" },
		"no devices":        func(g *Grant) { g.Devices = nil },
		"wildcard mixed":    func(g *Grant) { g.Actions = []string{"*", "unlock"} },
		"duplicate device":  func(g *Grant) { g.Devices = []string{"a", "a"} },
		"control char":      func(g *Grant) { g.Name = "a\nb" },
		"window backwards":  func(g *Grant) { g.Schedule = []Window{{Days: 1, Start: 600, End: 500}} },
		"window no days":    func(g *Grant) { g.Schedule = []Window{{Days: 0, Start: 0, End: 60}} },
		"delegation no end": func(g *Grant) { g.Delegator = g.ID; g.NotAfter = 0 },
		"bad holder key":    func(g *Grant) { g.Holder.Key.X = g.Holder.Key.X[:5] },
		"pin huge memory": func(g *Grant) {
			g.PIN = &PINVerifier{Alg: PINAlg, Version: PINVersion, Time: 1, MemoryKiB: 1 << 30, Threads: 1, Salt: make([]byte, 16), Hash: make([]byte, 32)}
		},
		"ec2 point off curve": func(g *Grant) {
			g.Holder.Key = COSEKey{Kty: KtyEC2, Crv: CrvP256, X: make([]byte, 32), Y: make([]byte, 32)}
		},
	}
	for name, mutate := range cases {
		g := testGrant(t, holder.Public())
		if err := g.Validate(); err != nil {
			t.Fatalf("base grant invalid: %v", err)
		}
		mutate(g)
		if err := g.Validate(); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedKey) {
			t.Errorf("%s: Validate = %v, want an error", name, err)
		}
	}
}

func TestKeyPEM(t *testing.T) {
	for _, alg := range []Alg{Ed25519, P256} {
		k := mustKey(t, alg)
		privPEM, err := EncodePrivateKeyPEM(k)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(privPEM, []byte("-----BEGIN PRIVATE KEY-----")) {
			t.Errorf("%s: private PEM block type: %s", alg, privPEM)
		}
		k2, err := ParsePrivateKeyPEM(privPEM)
		if err != nil {
			t.Fatal(err)
		}
		pubPEM, err := EncodePublicKeyPEM(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ParsePublicKeyPEM(pubPEM)
		if err != nil {
			t.Fatal(err)
		}
		if mustKID(t, pub) != mustKID(t, k2.Public()) {
			t.Errorf("%s: key id changed through PEM", alg)
		}
		if _, err := ParsePublicKeyPEM(privPEM); !errors.Is(err, ErrUnsupportedKey) {
			t.Errorf("%s: private PEM read as public: %v", alg, err)
		}
	}
	id := mustKID(t, mustKey(t, Ed25519).Public())
	if back, err := ParseID(id.String()); err != nil || back != id {
		t.Errorf("ParseID(String()) = %v, %v", back, err)
	}
	if _, err := ParseID("abc"); err == nil {
		t.Error("ParseID accepted a short id")
	}
}

func TestAuditEntryHash(t *testing.T) {
	e := &AuditEntry{Seq: 1, Prev: make([]byte, 32), Kind: "decision", Reason: "granted", Time: 1, Wall: 1}
	b, h, err := EncodeAuditEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	e.Reason = "revoked"
	_, h2, err := EncodeAuditEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	if h == h2 {
		t.Error("changing an entry did not change its hash")
	}
	got, err := DecodeAuditEntry(b)
	if err != nil || got.Reason != "granted" {
		t.Errorf("DecodeAuditEntry = %+v, %v", got, err)
	}
}

// Key ids hash the same bytes x509.MarshalPKIXPublicKey gives, for keys of
// both kinds: ids already in grants, snapshots and phones stay valid.
func TestKeyIDOfMatchesX509(t *testing.T) {
	for _, alg := range []Alg{Ed25519, P256} {
		for range 200 {
			key, err := GenerateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalPKIXPublicKey(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			got, err := pkix(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, der) {
				t.Fatalf("%s: PKIX %x, x509 gives %x", alg, got, der)
			}
			sum := sha256.Sum256(der)
			if id, err := KeyIDOf(key.Public()); err != nil || !bytes.Equal(id[:], sum[:IDSize]) {
				t.Fatalf("%s: KeyIDOf = %x, %v", alg, id, err)
			}
			// A key's PEM file holds the bytes its id hashes.
			b, err := EncodePublicKeyPEM(key.Public())
			if blk, _ := pem.Decode(b); err != nil || blk == nil || blk.Type != "PUBLIC KEY" || !bytes.Equal(blk.Bytes, der) {
				t.Fatalf("%s: EncodePublicKeyPEM = %q, %v", alg, b, err)
			}
		}
	}
	// Keys of no other kind get an id: not another curve, not RSA, not a
	// short Ed25519 key.
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, pub := range []crypto.PublicKey{&p384.PublicKey, &rsaKey.PublicKey, ed25519.PublicKey(make([]byte, 31)), nil} {
		if id, err := KeyIDOf(pub); !errors.Is(err, ErrUnsupportedKey) || !id.IsZero() {
			t.Errorf("KeyIDOf(%T) = %x, %v; want ErrUnsupportedKey", pub, id, err)
		}
		if b, err := EncodePublicKeyPEM(pub); !errors.Is(err, ErrUnsupportedKey) || b != nil {
			t.Errorf("EncodePublicKeyPEM(%T) = %q, %v; want ErrUnsupportedKey", pub, b, err)
		}
	}
}
