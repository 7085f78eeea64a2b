package localapi

import (
	"crypto/ed25519"
	"sync"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Fakes of the collaborators, for the tests that are about this package's
// own answers (status codes, error mapping, what is called when). The
// tests of security properties (CSRF, lockouts, replay, scopes) run
// against the real Keeper, store and hub (lan_helpers_test.go).

// fakeHub is a device hub of fixed states that records every Do.
type fakeHub struct {
	mu         sync.Mutex
	states     []devices.State
	doErr      error // what Do answers, when not nil
	journalErr error
	done       []string // "id action value" of every Do
}

var (
	_ AdminDevices = (*fakeHub)(nil)
	_ Devices      = (*fakeHub)(nil)
)

func (h *fakeHub) List() []devices.State {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]devices.State(nil), h.states...)
}

func (h *fakeHub) Get(id string) (devices.State, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.states {
		if s.ID == id {
			return s, nil
		}
	}
	return devices.State{}, devices.ErrUnknownDevice
}

func (h *fakeHub) Do(id, action, value string) (devices.State, error) {
	s, err := h.Get(id)
	if err != nil {
		return s, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = append(h.done, id+" "+action+" "+value)
	if h.doErr != nil {
		return devices.State{}, h.doErr
	}
	return s, nil
}

func (h *fakeHub) JournalError() error { return h.journalErr }

func (h *fakeHub) calls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.done...)
}

// fakeAdminStore answers Health and Events from its fields.
type fakeAdminStore struct {
	health    store.Health
	events    []store.Event
	eventsErr error
}

var _ AdminStore = (*fakeAdminStore)(nil)

func (s *fakeAdminStore) Health() store.Health { return s.health }

func (s *fakeAdminStore) Events(after uint64, limit int) ([]store.Event, error) {
	if s.eventsErr != nil {
		return nil, s.eventsErr
	}
	var out []store.Event
	for _, e := range s.events {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// fakeKeeper answers from its fields; a nil func panics, so a test names
// every call it expects.
type fakeKeeper struct {
	status    localauth.Status
	audit     localauth.AuditReport
	auditErr  error
	importRes localauth.ImportResult
	importErr error
	decide    func(localauth.Request) (localauth.Decision, error)
	time      localauth.TimeStatus
}

var (
	_ AdminKeeper = (*fakeKeeper)(nil)
	_ LANKeeper   = (*fakeKeeper)(nil)
)

func (k *fakeKeeper) Import([]byte) (localauth.ImportResult, error) { return k.importRes, k.importErr }
func (k *fakeKeeper) Status() localauth.Status                      { return k.status }
func (k *fakeKeeper) VerifyAudit() (localauth.AuditReport, error)   { return k.audit, k.auditErr }
func (k *fakeKeeper) TimeStatus() localauth.TimeStatus              { return k.time }
func (k *fakeKeeper) HubPublicKey() ed25519.PublicKey {
	return make(ed25519.PublicKey, ed25519.PublicKeySize)
}
func (k *fakeKeeper) Decide(r localauth.Request) (localauth.Decision, error) {
	return k.decide(r)
}

func (k *fakeKeeper) CheckPIN(user, pin, client string) (localauth.PINResult, error) {
	panic("fakeKeeper: CheckPIN not expected")
}

func (k *fakeKeeper) CheckGrant(wire.ID) (localauth.GrantScope, localauth.Reason, error) {
	panic("fakeKeeper: CheckGrant not expected")
}

func (k *fakeKeeper) Challenge(device, action string) ([]byte, error) {
	panic("fakeKeeper: Challenge not expected")
}

func (k *fakeKeeper) DecideSession(wire.ID, string, string) (localauth.Decision, error) {
	panic("fakeKeeper: DecideSession not expected")
}
