package localauth

import (
	"bytes"
	"container/list"
	"time"

	"github.com/edgeagent/edgeagent/internal/store"
)

// Wrong-PIN accounting (CheckPIN). Each name has a total over every client
// address, and one record per address it was tried from:
//
//   - Attempts wrong entries from one address lock the name out from that
//     address: a stranger guessing at a resident's name locks himself out,
//     not her phone.
//   - totalAttemptsFactor×Attempts wrong entries from all addresses together
//     lock the name out from every address that has guessed wrong since its
//     last right entry: the backstop that bounds guesses by an attacker with
//     many addresses (on a home LAN anyone may take another free address,
//     and IPv6 offers plenty). An address with a clean slate is not held
//     back, so that one attacker, however patient, cannot reach the
//     resident's phone; a fresh address gets one guess before the backstop
//     holds it too.
//   - A name keeps at most maxPINAddrs address records; the addresses
//     beyond share one (pinOverflowAddr), so that a flood of addresses
//     cannot grow the store, nor buy more than maxPINAddrs clean slates. The
//     price: an attacker with that many addresses holds the shared one
//     dirty, and a resident coming from a new address then shares its
//     lockout (never her phone key's).
//
// Records of names that have a PIN grant are kept in the store (bucket
// auth_pin, one pinRecord per key: the user's total under the user name,
// each address under user ‖ 0 ‖ address; names have no NUL), so that a
// reboot resets nothing. Names without one are counted the same way, so
// that their answers are the same, but in memory only and for at most
// maxUnknownNames of them (the least recently tried are forgotten): a store
// that anyone could fill with made-up names would be a worse hole than a
// lockout of a name nobody has that a reboot forgets.
const (
	totalAttemptsFactor = 4
	maxPINAddrs         = 16
	maxUnknownNames     = 1024
	pinOverflowAddr     = "*"
)

// pinUser is one name's wrong-PIN records.
type pinUser struct {
	name  string
	total pinRecord
	addrs map[string]pinRecord // client address → record; only nonzero ones
}

// addrKey is the record key for client: its own, or the shared overflow
// once the name has maxPINAddrs records.
func (u *pinUser) addrKey(client string) string {
	if _, ok := u.addrs[client]; ok || len(u.addrs) < maxPINAddrs-1 {
		return client
	}
	return pinOverflowAddr
}

// set stores the records after an attempt; zero records are dropped.
func (u *pinUser) set(addrKey string, addr, total pinRecord) {
	u.total = total
	if addr == (pinRecord{}) {
		delete(u.addrs, addrKey)
	} else {
		u.addrs[addrKey] = addr
	}
}

// fail counts a wrong entry against a record whose lockout starts after
// attempts of them: Lockout, doubling with each further one up to
// MaxLockout, from floor.
func (r pinRecord) fail(p PINPolicy, attempts int, floor time.Time) pinRecord {
	r.failures++
	if over := int(r.failures) - attempts; over >= 0 {
		lock := p.Lockout << min(over, 30)
		if lock > p.MaxLockout || lock <= 0 {
			lock = p.MaxLockout
		}
		r.lockedUntil = floor.Add(lock).UnixNano()
	}
	return r
}

// pinLockouts holds the records of names without a PIN grant, least
// recently tried first out. Guarded by Keeper.pinMu.
type pinLockouts struct {
	names map[string]*list.Element // of *pinUser
	lru   *list.List               // front: most recently tried
}

func newPINLockouts() pinLockouts {
	return pinLockouts{names: make(map[string]*list.Element), lru: list.New()}
}

// unknown returns the records of a name without a PIN grant, new ones for
// a name not seen (forgetting the least recently tried beyond
// maxUnknownNames).
func (p *pinLockouts) unknown(name string) *pinUser {
	if el, ok := p.names[name]; ok {
		p.lru.MoveToFront(el)
		return el.Value.(*pinUser)
	}
	for p.lru.Len() >= maxUnknownNames {
		old := p.lru.Remove(p.lru.Back()).(*pinUser)
		delete(p.names, old.name)
	}
	u := &pinUser{name: name, addrs: make(map[string]pinRecord)}
	p.names[name] = p.lru.PushFront(u)
	return u
}

// storedPINUser reads the records of a name that has a PIN grant. A
// damaged record must not unlock anyone: it reads as a lockout's worth of
// failures (the next wrong entry locks).
func (k *Keeper) storedPINUser(name string) (*pinUser, error) {
	u := &pinUser{name: name, addrs: make(map[string]pinRecord)}
	damaged := pinRecord{failures: uint32(totalAttemptsFactor * k.opts.PIN.Attempts)}
	read := func(v []byte) pinRecord {
		r, err := unmarshalPINRecord(v)
		if err != nil {
			return damaged
		}
		return r
	}
	err := k.st.View(func(tx *store.Tx) error {
		b := tx.Bucket(bucketPIN)
		if v := b.Get([]byte(name)); v != nil {
			u.total = read(v)
		}
		prefix := []byte(name + "\x00")
		c := b.Cursor()
		for key, v := c.Seek(prefix); key != nil && bytes.HasPrefix(key, prefix); key, v = c.Next() {
			u.addrs[string(key[len(prefix):])] = read(v)
		}
		return nil
	})
	return u, err
}

// putPINRecord writes r under key, or deletes it when r is zero.
func putPINRecord(b *store.Bucket, key []byte, r pinRecord) error {
	if r == (pinRecord{}) {
		return b.Delete(key)
	}
	return b.Put(key, r.marshal())
}
