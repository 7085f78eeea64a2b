package localapi

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// bucketSessions holds the LAN sessions: SHA-256 of the cookie's token →
// JSON session. Only the hash is kept, so that a copy of the store file
// opens no session; the token itself lives only in the resident's browser.
var bucketSessions = []byte("lan_sessions")

// session is one PIN login. What it may do is not copied here: every
// request asks the Keeper about the grant as it is now (revoked, expired,
// narrowed by a later issue).
type session struct {
	hash    [sha256.Size]byte
	User    string    `json:"user"`
	Grant   wire.ID   `json:"grant"`
	Role    wire.Role `json:"role"`
	CSRF    string    `json:"csrf"` // sent back on every change (X-CSRF-Token)
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// buckets is the store's transactions, for the LAN API's own buckets.
type buckets interface {
	View(fn func(tx *store.Tx) error) error
	Update(fn func(tx *store.Tx) error) error
}

// sessions keeps the LAN sessions in memory and in the store. Expiry is on
// the wall clock, which a hub without a real-time clock may have wrong
// after a boot; that is acceptable because a session grants nothing by
// itself: the grant behind it is checked against trusted time at every
// request.
type sessions struct {
	st  buckets
	clk clock.Clock
	ttl time.Duration
	max int

	mu     sync.Mutex
	byHash map[[sha256.Size]byte]*session
}

// newSessions loads the sessions kept in st, forgetting expired ones.
func newSessions(st buckets, clk clock.Clock, ttl time.Duration, max int) (*sessions, error) {
	s := &sessions{st: st, clk: clk, ttl: ttl, max: max, byHash: map[[sha256.Size]byte]*session{}}
	now := clk.Now()
	err := st.Update(func(tx *store.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSessions)
		if err != nil {
			return err
		}
		clear(s.byHash) // Update may run this function again
		var drop [][]byte
		err = b.ForEach(func(k, v []byte) error {
			var x session
			if len(k) != sha256.Size || json.Unmarshal(v, &x) != nil || !now.Before(x.Expires) {
				drop = append(drop, bytes.Clone(k))
				return nil
			}
			copy(x.hash[:], k)
			s.byHash[x.hash] = &x
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("localapi: loading sessions: %w", err)
	}
	return s, nil
}

// create starts a session for user on grant and returns the cookie's
// token. The session ends at the TTL or at the grant's end, whichever
// comes first. Beyond max sessions the oldest ends.
func (s *sessions) create(user string, grant wire.ID, role wire.Role, grantEnd time.Time) (string, *session, error) {
	var tok, csrf [32]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return "", nil, err
	}
	if _, err := rand.Read(csrf[:]); err != nil {
		return "", nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(tok[:])
	now := s.clk.Now()
	x := &session{
		hash: sha256.Sum256([]byte(token)), User: user, Grant: grant, Role: role,
		CSRF: base64.RawURLEncoding.EncodeToString(csrf[:]), Created: now, Expires: now.Add(s.ttl),
	}
	if !grantEnd.IsZero() && grantEnd.Before(x.Expires) {
		x.Expires = grantEnd
	}
	val, err := json.Marshal(x)
	if err != nil {
		return "", nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var drop []*session
	live := 0
	for _, o := range s.byHash {
		if !now.Before(o.Expires) {
			drop = append(drop, o)
		} else {
			live++
		}
	}
	if over := live + 1 - s.max; over > 0 {
		var old []*session
		for _, o := range s.byHash {
			if now.Before(o.Expires) {
				old = append(old, o)
			}
		}
		sort.Slice(old, func(i, j int) bool { return old[i].Created.Before(old[j].Created) })
		drop = append(drop, old[:over]...)
	}
	err = s.st.Update(func(tx *store.Tx) error {
		b := tx.Bucket(bucketSessions)
		for _, o := range drop {
			if err := b.Delete(o.hash[:]); err != nil {
				return err
			}
		}
		return b.Put(x.hash[:], val)
	})
	if err != nil {
		return "", nil, fmt.Errorf("localapi: recording a session: %w", err)
	}
	for _, o := range drop {
		delete(s.byHash, o.hash)
	}
	s.byHash[x.hash] = x
	return token, x, nil
}

// lookup finds the session of a cookie's token. expired is true for a
// session that ended by time (it is forgotten).
func (s *sessions) lookup(token string) (x *session, expired bool) {
	h := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	x = s.byHash[h]
	if x == nil {
		return nil, false
	}
	if !s.clk.Now().Before(x.Expires) {
		// Forgotten in memory now; the store's copy goes at the next
		// login or start (a read should not write to the SD card).
		delete(s.byHash, h)
		return nil, true
	}
	return x, false
}

// end removes a session (logout, or its grant is gone for good).
func (s *sessions) end(x *session) error {
	s.mu.Lock()
	delete(s.byHash, x.hash) // refused from now on, before the disk has it
	s.mu.Unlock()
	err := s.st.Update(func(tx *store.Tx) error { return tx.Bucket(bucketSessions).Delete(x.hash[:]) })
	if err != nil {
		return fmt.Errorf("localapi: ending a session: %w", err)
	}
	return nil
}

// count is the number of sessions held (some may have expired unseen).
func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byHash)
}

// csrfOK compares a request's CSRF token with the session's in constant
// time.
func (x *session) csrfOK(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(x.CSRF)) == 1
}
