package localauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// Challenges are stateless: the hub keeps nothing for a challenge it
// issues, so a stranger asking for thousands takes no room from the owner
// at the door (a table of pending challenges, however large, is one a
// flood fills). The nonce carries what the hub needs to judge the answer:
//
//	nonce[0:8]   expiry, Unix ns on the nonce clock, big-endian
//	nonce[8:16]  random: two challenges issued in the same nanosecond differ
//	nonce[16:24] HMAC-SHA-256(key, "hub" ‖ nonce[0:16]), first 8 bytes:
//	             this hub issued it in this run
//	nonce[24:32] HMAC-SHA-256(key, "for" ‖ nonce[0:16] ‖ device ‖ 0 ‖ action),
//	             first 8 bytes: for this device and action
//
// Two tags rather than one so that a nonce answered for another device or
// action is told apart (challenge_mismatch, and burnt) from one the hub never
// issued (nonce_unknown). Forging a nonce means guessing 128 bits, moving one
// to another device 64, each guess an audited request: out of reach.
//
// The key is made at New and held only in memory: after a restart
// every earlier challenge, answered or not, fails its MAC (nonce_unknown),
// so no nonce is accepted twice across restarts and nothing about nonces is
// written to the store. Within a run, single use is enforced when a proof
// is decided: the nonces decided are remembered until they expire.
type challenges struct {
	key [32]byte // read-only after New
	// used holds the nonces decided in this run and their expiry (k.mu).
	// Its size is bounded by the decisions the hub can make in one TTL
	// (each is an audited, fsync'd, rate-limited request): it is pruned of
	// expired nonces whenever it doubles and once per TTL.
	used     map[nonceKey]int64
	pruneAt  int   // size that triggers the next pruning
	prunedAt int64 // nonce clock of the last pruning
}

// nonceKey is a challenge nonce.
type nonceKey [wire.NonceSize]byte

const (
	nonceHubTag = 16 // offset of the "hub" tag; the "for" tag follows
	nonceForTag = 24
	minPruneAt  = 1024
)

func newChallenges() challenges {
	c := challenges{used: make(map[nonceKey]int64), pruneAt: minPruneAt}
	rand.Read(c.key[:]) // never fails (it crashes the program instead)
	return c
}

// tag is the first 8 bytes of HMAC-SHA-256 under the key of the parts.
func (c *challenges) tag(parts ...string) []byte {
	m := hmac.New(sha256.New, c.key[:])
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0}) // names have no NUL (wire.CheckName): parts cannot shift
	}
	return m.Sum(nil)[:8]
}

func (c *challenges) hubTag(nk *nonceKey) []byte { return c.tag("hub", string(nk[:nonceHubTag])) }

func (c *challenges) forTag(nk *nonceKey, device, action string) []byte {
	return c.tag("for", string(nk[:nonceHubTag]), device, action)
}

// Challenge issues a single-use nonce for acting on device with action,
// signed with the hub's identity key (a wire.Challenge). It writes nothing
// and keeps nothing: see challenges.
func (k *Keeper) Challenge(device, action string) ([]byte, error) {
	if err := wire.CheckName("device", device); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSpec, err)
	}
	if err := wire.CheckName("action", action); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSpec, err)
	}
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil, ErrClosed
	}
	issued := k.nonceNowLocked()
	k.mu.Unlock()
	expires := issued + int64(k.opts.ChallengeTTL)

	var nk nonceKey
	binary.BigEndian.PutUint64(nk[:8], uint64(expires))
	rand.Read(nk[8:nonceHubTag])
	copy(nk[nonceHubTag:], k.ch.hubTag(&nk))
	copy(nk[nonceForTag:], k.ch.forTag(&nk, device, action))

	// Rounded down to whole seconds on the wire, so the phone never believes
	// in a later expiry than the hub's.
	return wire.SignChallenge(k.hubKey, &wire.Challenge{
		Nonce: nk[:], Hub: k.hubID[:], Device: device, Action: action,
		IssuedAt:  time.Unix(0, issued).Unix(),
		ExpiresAt: time.Unix(0, expires).Unix(),
	})
}

// nonceNowLocked is the clock nonces live by: the later of the trusted floor
// and the wall clock. The floor alone never goes back, so setting the clock
// back cannot stretch a nonce's life within a run (and a restart makes
// every earlier nonce unknown). Setting the clock forward only ends nonces
// early. k.mu must be held.
func (k *Keeper) nonceNowLocked() int64 {
	k.advanceLocked()
	return max(k.tt.floor.UnixNano(), k.clk.Now().UnixNano())
}

// takeNonce judges a proof's nonce for device and action and, if this run
// issued it and it is live, marks it used, whatever the rest of the
// decision (one answer per challenge; in memory at once, so that a
// concurrent replay is refused). A nonce issued for another device or
// action is a challenge_mismatch, and burnt all the same. It returns the
// deny reason, or "".
func (k *Keeper) takeNonce(nonce []byte, device, action string) Reason {
	var nk nonceKey
	if copy(nk[:], nonce) != wire.NonceSize || !hmac.Equal(nk[nonceHubTag:nonceForTag], k.ch.hubTag(&nk)) {
		return ReasonNonceUnknown
	}
	mismatch := !hmac.Equal(nk[nonceForTag:], k.ch.forTag(&nk, device, action))
	expires := int64(binary.BigEndian.Uint64(nk[:8]))

	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.nonceNowLocked()
	if _, ok := k.ch.used[nk]; ok {
		return ReasonNonceReplayed
	}
	if now > expires {
		return ReasonNonceExpired
	}
	if len(k.ch.used) >= k.ch.pruneAt || now-k.ch.prunedAt > int64(k.opts.ChallengeTTL) {
		for key, exp := range k.ch.used {
			if now > exp {
				delete(k.ch.used, key)
			}
		}
		k.ch.pruneAt, k.ch.prunedAt = max(minPruneAt, 2*len(k.ch.used)), now
	}
	k.ch.used[nk] = expires
	if mismatch {
		return ReasonChallengeMismatch
	}
	return ""
}
