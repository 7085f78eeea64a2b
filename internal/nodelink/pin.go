package nodelink

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"fmt"
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
