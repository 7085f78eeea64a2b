package localauth

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"golang.org/x/crypto/argon2"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// PINParams are argon2id's cost parameters for a new PIN verifier.
type PINParams struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32
	Threads   uint8
}

// DefaultPINParams are argon2id with 19 MiB, 2 passes, 1 lane: the OWASP
// Password Storage Cheat Sheet's baseline for argon2id. Why not more:
//   - Memory: the hub has a budget of a few tens of MB in all; 19 MiB for
//     the one PIN check at a time (checks are serialised) fits beside the
//     rest, 64 MiB would not.
//   - Time: a Raspberry Pi 4 has no argon2 assembly in Go (x/crypto's is
//     amd64 only), so each pass costs several times what it does on a
//     laptop; see docs/security.md for the figures. A login that takes a
//     few hundred ms is acceptable; seconds are not.
//
// What protects a 4–6 digit PIN is the hub's online lockout, not the hash:
// no affordable hash makes a 10^6 key space safe from someone holding the
// verifier. The hash only makes a stolen verifier cost hours of a GPU rather
// than milliseconds. docs/security.md says what follows from that.
func DefaultPINParams() PINParams { return PINParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1} }

// PIN length bounds. Four digits is the floor people accept; 64 keeps an
// attacker from feeding argon2 megabytes.
const (
	MinPINLength = 4
	MaxPINLength = 64
	pinSaltSize  = 16
	pinHashSize  = 32
)

// NewPINVerifier hashes pin with argon2id and a fresh random salt. The
// result holds the parameters, so they can be raised later without
// invalidating verifiers already issued. A zero p means DefaultPINParams.
func NewPINVerifier(pin string, p PINParams) (*wire.PINVerifier, error) {
	if len(pin) < MinPINLength || len(pin) > MaxPINLength {
		return nil, fmt.Errorf("%w: a PIN must have %d to %d characters", ErrBadSpec, MinPINLength, MaxPINLength)
	}
	if p == (PINParams{}) {
		p = DefaultPINParams()
	}
	salt := make([]byte, pinSaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	v := &wire.PINVerifier{
		Alg: wire.PINAlg, Version: wire.PINVersion,
		Time: p.Time, MemoryKiB: p.MemoryKiB, Threads: p.Threads,
		Salt: salt, Hash: make([]byte, pinHashSize),
	}
	if err := v.Validate(); err != nil { // parameter ranges, before the costly part
		return nil, fmt.Errorf("%w: PIN parameters: %v", ErrBadSpec, err)
	}
	v.Hash = argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, pinHashSize)
	return v, nil
}

// argon2Func is argon2.IDKey's signature: the seam where tests count the
// hashes CheckPIN computes.
type argon2Func func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte

// verifyPIN reports whether pin matches v, in constant time with respect to
// the hash. v must have passed Validate (its parameters are bounded).
func verifyPIN(v *wire.PINVerifier, pin string) bool { return verifyPINWith(argon2.IDKey, v, pin) }

func verifyPINWith(idKey argon2Func, v *wire.PINVerifier, pin string) bool {
	if len(pin) > MaxPINLength {
		return false
	}
	got := idKey([]byte(pin), v.Salt, v.Time, v.MemoryKiB, v.Threads, uint32(len(v.Hash)))
	return subtle.ConstantTimeCompare(got, v.Hash) == 1
}

// dummyVerifier is what a PIN for an unknown name is hashed against when
// the hub holds no PIN grant at all (there is then no name to find).
func dummyVerifier() *wire.PINVerifier {
	p := DefaultPINParams()
	return &wire.PINVerifier{Alg: wire.PINAlg, Version: wire.PINVersion, Time: p.Time, MemoryKiB: p.MemoryKiB, Threads: p.Threads,
		Salt: make([]byte, pinSaltSize), Hash: make([]byte, pinHashSize)}
}
