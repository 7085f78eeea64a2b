package homekit

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/brutella/hap"

	"github.com/edgeagent/edgeagent/internal/secstate"
)

// RecordName is the secstate record that holds the bridge's pairing state.
const RecordName = "homekit"

// MaxKeys bounds the record: hap keeps uuid, version, configHash, schema and
// keypair, one key per paired controller (HomeKit allows 16), and the bridge
// adds its setup code and accessory ids.
const MaxKeys = 32

// record is the secstate document. One record, not one per key: secstate
// has neither listing nor deletion, and one document changes the bridge's
// keys and its pairings together or not at all.
type record struct {
	V    int               `json:"v"`
	Keys map[string][]byte `json:"keys"`
	// AIDs are the accessory ids HomeKit knows each device by, assigned once:
	// the Home app keeps rooms and names by aid, so a device must keep its
	// aid when the config's order changes.
	AIDs map[string]uint64 `json:"aids"`
}

// Store is the bridge's long-term state (its Ed25519 key pair, the
// controllers' pairings, the setup code, the accessory ids) kept in the
// security directory beside the store file, so that a store recovery keeps
// every pairing (DESIGN.md principle 7's files, secstate). It implements
// hap.Store; each change is written durably (fsync, two copies) before
// it returns. Safe for concurrent use.
type Store struct {
	dir *secstate.Dir

	mu  sync.Mutex
	rec record
}

// OpenStore loads the record, or starts an empty one when there is none.
// A damaged record is ErrDamaged, naming the files: the caller stops.
func OpenStore(dir *secstate.Dir) (*Store, error) {
	s := &Store{dir: dir, rec: record{V: 1, Keys: map[string][]byte{}, AIDs: map[string]uint64{}}}
	b, err := dir.Load(RecordName)
	switch {
	case errors.Is(err, secstate.ErrNotFound):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("%w: %v (remove %s/%s.* to start over: every controller must pair again)", ErrDamaged, err, dir.Path(), RecordName)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil || r.V != 1 || len(r.Keys) > MaxKeys {
		return nil, fmt.Errorf("%w: %s/%s: not a version 1 record of at most %d keys (remove %s/%s.* to start over)", ErrDamaged, dir.Path(), RecordName, MaxKeys, dir.Path(), RecordName)
	}
	if r.Keys == nil {
		r.Keys = map[string][]byte{}
	}
	if r.AIDs == nil {
		r.AIDs = map[string]uint64{}
	}
	s.rec = r
	return s, nil
}

// saveLocked writes next and makes it current only once it is durable.
func (s *Store) saveLocked(next record) error {
	b, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if err := s.dir.Save(RecordName, b); err != nil {
		return fmt.Errorf("homekit: saving pairing state: %w", err)
	}
	s.rec = next
	return nil
}

func (s *Store) cloneLocked() record {
	return record{V: 1, Keys: maps.Clone(s.rec.Keys), AIDs: maps.Clone(s.rec.AIDs)}
}

// Set stores value under key, durably.
func (s *Store) Set(key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.rec.Keys[key]; ok && string(old) == string(value) {
		return nil // hap rewrites "schema" and "version" at every start
	}
	if _, ok := s.rec.Keys[key]; !ok && len(s.rec.Keys) >= MaxKeys {
		return fmt.Errorf("%w: %d keys, %q refused", ErrFull, len(s.rec.Keys), key)
	}
	next := s.cloneLocked()
	next.Keys[key] = slices.Clone(value)
	return s.saveLocked(next)
}

// Get returns the value of key, or ErrNoKey.
func (s *Store) Get(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.rec.Keys[key]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoKey, key)
	}
	return slices.Clone(v), nil
}

// Delete removes key, durably (a removed pairing stays removed).
func (s *Store) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.rec.Keys[key]; !ok {
		return nil
	}
	next := s.cloneLocked()
	delete(next.Keys, key)
	return s.saveLocked(next)
}

// KeysWithSuffix lists the keys that end with suffix, sorted.
func (s *Store) KeysWithSuffix(suffix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.rec.Keys {
		if strings.HasSuffix(k, suffix) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Pairings counts the paired controllers.
func (s *Store) Pairings() int {
	n, _ := s.KeysWithSuffix(".pairing")
	return len(n)
}

// firstAID is the first bridged accessory's id: aid 1 is the bridge.
const firstAID = 2

// AIDs returns an accessory id for each device id, keeping the ids given
// before and assigning new ones above the highest, durably.
func (s *Store) AIDs(ids []string) (map[string]uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.cloneLocked()
	top := uint64(firstAID - 1)
	for _, a := range next.AIDs {
		top = max(top, a)
	}
	changed := false
	for _, id := range ids {
		if _, ok := next.AIDs[id]; !ok {
			top++
			next.AIDs[id] = top
			changed = true
		}
	}
	if changed {
		if err := s.saveLocked(next); err != nil {
			return nil, err
		}
	}
	out := make(map[string]uint64, len(ids))
	for _, id := range ids {
		out[id] = s.rec.AIDs[id]
	}
	return out, nil
}

// Forget removes every controller's pairing (and, with newCode, the setup
// code and setup id, so that the next start draws new ones) in one durable
// write. Run it with the agent stopped: a running bridge keeps its own
// copy until it restarts.
func (s *Store) Forget(newCode bool) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.cloneLocked()
	n := 0
	for k := range next.Keys {
		if strings.HasSuffix(k, ".pairing") {
			delete(next.Keys, k)
			n++
		}
	}
	if newCode {
		// A new code makes the wrong guesses at the old one worthless:
		// pair-setup opens again (hap refuses it after 100).
		delete(next.Keys, keySetupCode)
		delete(next.Keys, keySetupID)
		delete(next.Keys, hap.KeyPairSetupFailures)
	}
	return n, s.saveLocked(next)
}

// Stored is the part of Status the record alone tells (the agent may be
// stopped): the setup code and payload, the device id, the pairings.
// Empty fields: the bridge has not started yet.
func (s *Store) Stored() Status {
	code, _ := s.Get(keySetupCode)
	id, _ := s.Get(keySetupID)
	uuid, _ := s.Get("uuid")
	n := s.Pairings()
	st := Status{DeviceID: string(uuid), Paired: n > 0, Pairings: n}
	if ValidSetupCode(string(code)) {
		st.SetupCode = FormatSetupCode(string(code))
		st.SetupURI = SetupURI(string(code), string(id), categoryBridge)
	}
	return st
}
