package localauth

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// chainCacheSize bounds the verified chains kept: a household's keys, many
// times over, at about 2 KB each.
const chainCacheSize = 1024

// chainCache holds grant chains whose signatures verified, by the hash of
// their bytes, so that a phone's second unlock costs one signature check
// (its holder proof) instead of two or three. Oldest out first.
type chainCache struct {
	mu    sync.Mutex
	m     map[[sha256.Size]byte]*chain
	order [][sha256.Size]byte // ring of the keys in m, oldest at next
	next  int
}

// chainKey hashes the chain's grants, each prefixed by its length, so that
// no two different chains share a key.
func chainKey(grants [][]byte) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, g := range grants {
		binary.BigEndian.PutUint64(n[:], uint64(len(g)))
		h.Write(n[:])
		h.Write(g)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

func (c *chainCache) get(k [sha256.Size]byte) *chain {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *chainCache) put(k [sha256.Size]byte, ch *chain) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[[sha256.Size]byte]*chain, chainCacheSize)
		c.order = make([][sha256.Size]byte, 0, chainCacheSize)
	}
	if _, ok := c.m[k]; ok {
		return
	}
	if len(c.order) < chainCacheSize {
		c.order = append(c.order, k)
	} else {
		delete(c.m, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % chainCacheSize
	}
	c.m[k] = ch
}
