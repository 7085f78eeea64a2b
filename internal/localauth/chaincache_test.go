package localauth

import (
	"testing"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// A chain that verified once is taken from the cache, but the cache never
// lets through what the checks after the signature refuse: a revocation
// after the first unlock, a delegator revoked, a tampered copy of the same
// grant, another holder's proof.
func TestCachedChainIsStillJudgedEveryTime(t *testing.T) {
	for _, alg := range []wire.Alg{wire.Ed25519, wire.P256} {
		t.Run(string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			resident := f.issue(f.spec(f.alice))
			chain := [][]byte{resident}
			for i := range 2 {
				if d := f.try(chain, f.alice, "garage", "open"); !d.Granted {
					t.Fatalf("unlock %d: %s", i, d.Reason)
				}
			}
			if len(f.k.chains.m) != 1 {
				t.Fatalf("%d chains cached after two unlocks with one grant, want 1", len(f.k.chains.m))
			}

			// Another holder presenting the cached chain: the proof is
			// checked every time.
			if d := f.try(chain, f.guest, "garage", "open"); d.Reason != ReasonBadProof {
				t.Errorf("the cached chain with another key's proof: %s, want bad_proof", d.Reason)
			}
			// The same grant with one signature byte flipped is another
			// chain: verified afresh, refused, not cached.
			tampered := append([]byte(nil), resident...)
			tampered[len(tampered)-3] ^= 1
			if d := f.try([][]byte{tampered}, f.alice, "garage", "open"); d.Reason != ReasonBadSignature {
				t.Errorf("tampered copy of a cached grant: %s, want bad_signature", d.Reason)
			}
			if len(f.k.chains.m) != 1 {
				t.Errorf("%d chains cached; a refused chain was cached", len(f.k.chains.m))
			}

			// Delegation cached, then its owner revoked.
			guestChain := [][]byte{f.delegated, f.ownerGrant}
			if d := f.try(guestChain, f.guest, "front-door", "unlock"); !d.Granted {
				t.Fatalf("delegated guest: %s", d.Reason)
			}
			f.mustImport(f.revoke(1, [][]byte{resident, f.ownerGrant}, nil))
			if d := f.try(chain, f.alice, "garage", "open"); d.Reason != ReasonRevoked {
				t.Errorf("cached chain after its grant was revoked: %s, want revoked", d.Reason)
			}
			if d := f.try(guestChain, f.guest, "front-door", "unlock"); d.Reason != ReasonDelegatorRevoked {
				t.Errorf("cached delegation after its owner grant was revoked: %s, want delegator_revoked", d.Reason)
			}
		})
	}
}

// The cache holds at most chainCacheSize chains, the oldest going first.
func TestChainCacheBound(t *testing.T) {
	var c chainCache
	key := func(i int) [32]byte { return chainKey([][]byte{{byte(i), byte(i >> 8)}}) }
	for i := range chainCacheSize + 10 {
		c.put(key(i), &chain{})
	}
	if len(c.m) != chainCacheSize {
		t.Fatalf("%d chains held, bound %d", len(c.m), chainCacheSize)
	}
	if c.get(key(0)) != nil || c.get(key(chainCacheSize+9)) == nil {
		t.Fatal("the oldest chain is still held or the newest is not")
	}
	// Length prefixes: {a, bc} and {ab, c} are different chains.
	if chainKey([][]byte{[]byte("a"), []byte("bc")}) == chainKey([][]byte{[]byte("ab"), []byte("c")}) {
		t.Fatal("two different chains share a key")
	}
}
