package nodelink

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// NewPINEntry computes a keypad verifier the node checks: PBKDF2-HMAC-SHA256
// of the PIN with salt and iterations, 32 bytes. A Cortex-M3 cannot run the
// hub's argon2id (19 MiB of memory); docs/security.md says what this
// verifier does and does not protect.
func NewPINEntry(user uint32, pin string, salt [SaltLen]byte, iterations uint32) (PINEntry, error) {
	if iterations < 1 || iterations > MaxIterations {
		return PINEntry{}, fmt.Errorf("nodelink: iterations %d outside 1..%d", iterations, MaxIterations)
	}
	if len(pin) < 4 || len(pin) > 8 {
		return PINEntry{}, fmt.Errorf("nodelink: PIN of %d digits, the keypad takes 4 to 8", len(pin))
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return PINEntry{}, fmt.Errorf("nodelink: PIN has %q, the keypad has digits only", c)
		}
	}
	dk, err := pbkdf2.Key(sha256.New, pin, salt[:], int(iterations), HashLen)
	if err != nil {
		return PINEntry{}, fmt.Errorf("nodelink: PBKDF2: %w", err)
	}
	e := PINEntry{User: user, Salt: salt}
	copy(e.Hash[:], dk)
	return e, nil
}

// verifierAlg starts a keypad verifier line: the one algorithm the node has.
const verifierAlg = "pbkdf2-sha256"

// Line is the entry as one line for a config file, "USER:pbkdf2-sha256:
// ITERATIONS:SALT:HASH" (salt and hash in hex): what `edgeagent node pin`
// prints, so that the PIN itself is written nowhere.
func (e PINEntry) Line(iterations uint32) string {
	return fmt.Sprintf("%d:%s:%d:%x:%x", e.User, verifierAlg, iterations, e.Salt, e.Hash)
}

// ParsePINLine reads a line of Line, with its iterations, saying which part
// is wrong.
func ParsePINLine(s string) (PINEntry, uint32, error) {
	var e PINEntry
	parts := strings.Split(s, ":")
	if len(parts) != 5 {
		return e, 0, fmt.Errorf("%q is not USER:%s:ITERATIONS:SALT:HASH (edgeagent node pin prints one)", s, verifierAlg)
	}
	user, err := strconv.ParseUint(parts[0], 10, 32)
	if err != nil {
		return e, 0, fmt.Errorf("user %q is not a number 0..%d", parts[0], uint32(math.MaxUint32))
	}
	if parts[1] != verifierAlg {
		return e, 0, fmt.Errorf("algorithm %q is not %q", parts[1], verifierAlg)
	}
	it, err := strconv.ParseUint(parts[2], 10, 32)
	if err != nil || it < 1 || it > MaxIterations {
		return e, 0, fmt.Errorf("iterations %q outside 1..%d", parts[2], MaxIterations)
	}
	salt, err := hex.DecodeString(parts[3])
	if err != nil || len(salt) != SaltLen {
		return e, 0, fmt.Errorf("salt is not %d bytes in hex", SaltLen)
	}
	hash, err := hex.DecodeString(parts[4])
	if err != nil || len(hash) != HashLen {
		return e, 0, fmt.Errorf("hash is not %d bytes in hex", HashLen)
	}
	e.User = uint32(user)
	copy(e.Salt[:], salt)
	copy(e.Hash[:], hash)
	return e, uint32(it), nil
}
