package hap

import (
	"github.com/brutella/hap/hkdf"
	"github.com/tadglines/go-pkgs/crypto/srp"

	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"math/big"
)

type pairSetupSession struct {
	Identifier    []byte
	Salt          []byte   // s
	PublicKey     []byte   // B, padded to the group's size
	PrivateKey    []byte   // K = H(PAD(S))
	EncryptionKey [32]byte // from K

	// The server side of SRP-6a is computed here (edgeagent's fork,
	// third_party/README.md): go-pkgs/crypto/srp hashes A as its big.Int
	// bytes and S unpadded, while HomeKit controllers (and HAP-NodeJS's
	// fast-srp-hap) hash A as sent and PAD(S). Whenever A or S began with
	// a zero byte (about 2 pairings in 256) the right setup code was
	// refused. go-pkgs still provides the group.
	n, g, k, v, b, bPub *big.Int
	a                   []byte // A as the controller sent it
}

// newPairSetupSession return a new setup server session.
func newPairSetupSession(id, pin string) (*pairSetupSession, error) {
	grp, err := srp.GetGroup(srpGroup)
	if err != nil {
		return nil, err
	}
	p := &pairSetupSession{Identifier: []byte(id), Salt: make([]byte, 16), n: grp.Prime, g: grp.Generator}
	if _, err := rand.Read(p.Salt); err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	x := new(big.Int).SetBytes(keyDerivativeFuncRFC2945(sha512.New, []byte("Pair-Setup"))(p.Salt, []byte(pin)))
	p.v = new(big.Int).Exp(p.g, x, p.n)
	p.k = new(big.Int).SetBytes(hashOf(p.n.Bytes(), p.pad(p.g)))
	p.b = new(big.Int).SetBytes(secret)
	// B = (k*v + g^b) mod N
	p.bPub = new(big.Int).Mul(p.k, p.v)
	p.bPub.Add(p.bPub, new(big.Int).Exp(p.g, p.b, p.n)).Mod(p.bPub, p.n)
	p.PublicKey = p.pad(p.bPub)
	return p, nil
}

// pad is n as big-endian bytes of the group's size.
func (p *pairSetupSession) pad(n *big.Int) []byte {
	return n.FillBytes(make([]byte, (p.n.BitLen()+7)/8))
}

func hashOf(parts ...[]byte) []byte {
	h := sha512.New()
	for _, b := range parts {
		h.Write(b)
	}
	return h.Sum(nil)
}

// ProofFromClientProof validates client proof (`M1`) and returns authenticator or error if proof is not valid.
func (p *pairSetupSession) ProofFromClientProof(clientProof []byte) ([]byte, error) {
	if p.PrivateKey == nil {
		return nil, errors.New("no client public key")
	}
	// M1 = H(H(N) xor H(g), H(I), s, A, B, K)
	hn, hg := hashOf(p.n.Bytes()), hashOf(p.g.Bytes())
	for i := range hn {
		hn[i] ^= hg[i]
	}
	m1 := hashOf(hn, hashOf([]byte("Pair-Setup")), p.Salt, p.a, p.PublicKey, p.PrivateKey)
	if subtle.ConstantTimeCompare(m1, clientProof) != 1 {
		return nil, errors.New("client proof is invalid")
	}
	// M2 = H(A, M1, K)
	return hashOf(p.a, m1, p.PrivateKey), nil
}

// SetupPrivateKeyFromClientPublicKey calculates and internally sets secret key `S` based on client public key `A`
func (p *pairSetupSession) SetupPrivateKeyFromClientPublicKey(key []byte) error {
	a := new(big.Int).SetBytes(key)
	if new(big.Int).Mod(a, p.n).Sign() == 0 {
		return errors.New("A mod N == 0")
	}
	u := new(big.Int).SetBytes(hashOf(p.pad(a), p.PublicKey))
	if u.Sign() == 0 {
		return errors.New("H(A, B) == 0")
	}
	// S = (A * v^u)^b mod N
	s := new(big.Int).Exp(p.v, u, p.n)
	s.Mul(s, a).Mod(s, p.n)
	if s.Cmp(big.NewInt(1)) <= 0 || new(big.Int).Add(s, big.NewInt(1)).Cmp(p.n) == 0 {
		return errors.New("A * v^u mod N is 0, 1 or -1")
	}
	s.Exp(s, p.b, p.n)
	p.a = append([]byte(nil), key...)
	p.PrivateKey = hashOf(p.pad(s))
	return nil
}

// SetupEncryptionKey calculates and internally sets encryption key `K` based on salt and info
//
// Only 32 bytes are used from HKDF-SHA512
func (p *pairSetupSession) SetupEncryptionKey(salt []byte, info []byte) error {
	hash, err := hkdf.Sha512(p.PrivateKey, salt, info)
	if err == nil {
		p.EncryptionKey = hash
	}

	return err
}

// Main SRP algorithm is described in http://srp.stanford.edu/design.html
// The HAP uses the SRP-6a Stanford implementation with the following characteristics
//
//	x = H(s | H(I | ":" | P)) -> called the key derivative function
//	M1 = H(H(N) xor H(g), H(I), s, A, B, K)
const (
	srpGroup = "rfc5054.3072" // N (modulo) => 384 byte
)

// keyDerivativeFuncRFC2945 returns the SRP-6a key derivative function which does
//
//	x = H(s | H(I | ":" | P))
func keyDerivativeFuncRFC2945(h srp.HashFunc, id []byte) srp.KeyDerivationFunc {
	return func(salt, pin []byte) []byte {
		h := h()
		h.Write(id)
		h.Write([]byte(":"))
		h.Write(pin)
		t2 := h.Sum(nil)
		h.Reset()
		h.Write(salt)
		h.Write(t2)
		return h.Sum(nil)
	}
}
