package localauth

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// Challenge issues a single-use nonce for acting on device with action,
// signed with the hub's identity key (a wire.Challenge). Issued nonces live
// in memory only: after a restart an unanswered one is unknown and refused
// (the phone asks again), so nothing is lost by not writing it, and a key
// action costs one fsync less (a flood of challenges costs none). A nonce
// once used is written with the decision's audit entry and refused as a
// replay across restarts until it expires. Beyond MaxPendingChallenges live
// nonces it returns ErrFull: whoever asks that fast is not a person at a door.
func (k *Keeper) Challenge(device, action string) ([]byte, error) {
	if err := wire.CheckName("device", device); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSpec, err)
	}
	if err := wire.CheckName("action", action); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSpec, err)
	}
	var nk nonceKey
	if _, err := rand.Read(nk[:]); err != nil {
		return nil, err
	}

	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil, ErrClosed
	}
	now := k.nonceNowLocked()
	for key, n := range k.nonces {
		if now > n.expires {
			delete(k.nonces, key)
			if n.stored {
				// Dropped from the store with the next decision.
				k.staleNonces = append(k.staleNonces, key)
			}
		}
	}
	if len(k.nonces) >= k.opts.MaxPendingChallenges {
		k.mu.Unlock()
		return nil, fmt.Errorf("%w: %d challenges pending", ErrFull, k.opts.MaxPendingChallenges)
	}
	n := &nonceEntry{issued: now, expires: now + int64(k.opts.ChallengeTTL), device: device, action: action}
	k.nonces[nk] = n
	k.mu.Unlock()

	// Rounded down to whole seconds on the wire, so the phone never believes
	// in a later expiry than the hub's.
	return wire.SignChallenge(k.hubKey, &wire.Challenge{
		Nonce: nk[:], Hub: k.hubID[:], Device: device, Action: action,
		IssuedAt:  time.Unix(0, n.issued).Unix(),
		ExpiresAt: time.Unix(0, n.expires).Unix(),
	})
}

// nonceNowLocked is the clock nonces live by: the later of the trusted floor
// and the wall clock. The floor alone never goes back, so setting the clock
// back cannot stretch a nonce's life; the wall clock alone is what a
// restart cannot rewind (the floor restarts from its last saved value).
// Setting the clock forward only ends nonces early. k.mu must be held.
func (k *Keeper) nonceNowLocked() int64 {
	k.advanceLocked()
	return max(k.tt.floor.UnixNano(), k.clk.Now().UnixNano())
}

// takeNonce checks a nonce and, if it is live and meant for this device and
// action, marks it used (in memory at once, so that a concurrent replay is
// refused; in the store with the decision's audit entry). It returns the
// deny reason, or "" and the entry to persist.
func (k *Keeper) takeNonce(nk nonceKey, device, action string) (Reason, *nonceEntry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := k.nonces[nk]
	switch {
	case n == nil:
		return ReasonNonceUnknown, nil
	case n.used:
		return ReasonNonceReplayed, nil
	case k.nonceNowLocked() > n.expires:
		return ReasonNonceExpired, nil
	}
	used := *n
	used.used, used.stored = true, true
	k.nonces[nk] = &used
	if n.device != device || n.action != action {
		// Burnt all the same: one answer per challenge.
		return ReasonChallengeMismatch, &used
	}
	return "", &used
}
