package ble

import (
	"context"
	"crypto"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// The in-memory transport: a central and the server joined by function
// calls, fragment by fragment, at a chosen MTU. Everything above the
// fragments is the real thing: frames, reassembly, limits, a Keeper on a
// real bbolt file, simulated devices, one fake clock.

const testSite = "t"

const testConfig = `site = "t"
[[lock]]
id = "door"
relay = "GPIO1"
fail = "secure"
relock_after = "5s"
[[switch]]
id = "light"
relay = "GPIO2"
`

type env struct {
	t         testing.TB
	clk       *clocktest.Fake
	hub       *devices.Hub
	keeper    *localauth.Keeper
	authority crypto.Signer
	srv       *Server
}

func newEnv(t testing.TB, lim Limits) *env {
	t.Helper()
	// Now, not a fixed date: the trusted-time floor starts at the binary's
	// build time, which a fixed date would fall behind.
	e := &env{t: t, clk: clocktest.New(time.Now().UTC().Truncate(time.Second))}
	cfg, err := config.Parse("t.toml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	sim := devices.NewSim(e.clk)
	if e.hub, err = devices.New(cfg.Devices(), devices.Options{Clock: e.clk, Pin: sim.Pin, Thermometer: sim.Thermometer}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, _, err := store.Open(filepath.Join(dir, "state.db"), store.Options{Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secstate.Open(filepath.Join(dir, "security"))
	if err != nil {
		t.Fatal(err)
	}
	e.hub.Start(st, nil)
	if e.authority, err = wire.GenerateKey(wire.Ed25519); err != nil {
		t.Fatal(err)
	}
	e.keeper, err = localauth.New(localauth.Options{
		Site: testSite, Store: st, SecState: sec, Clock: e.clk,
		Authorities: []crypto.PublicKey{e.authority.Public()}, NTPSynced: func() bool { return true },
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.srv, err = NewServer(ServerOptions{Keeper: e.keeper, Hub: e.hub, Site: testSite, Limits: lim, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := e.keeper.VerifyAudit(); err != nil {
			t.Errorf("audit chain: %v", err)
		}
		e.hub.Shutdown()
		e.keeper.Close()
		st.Close()
	})
	return e
}

// grant issues a grant with the env's authority and imports it.
func (e *env) grant(alg wire.Alg, spec localauth.GrantSpec) ([][]byte, crypto.Signer) {
	e.t.Helper()
	key, err := wire.GenerateKey(alg)
	if err != nil {
		e.t.Fatal(err)
	}
	spec.Site, spec.Holder, spec.IssuedAt = testSite, key.Public(), e.clk.Now()
	g, err := localauth.IssueGrant(e.authority, spec)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.keeper.Import(g); err != nil {
		e.t.Fatal(err)
	}
	return [][]byte{g}, key
}

func (e *env) state(id string) string {
	e.t.Helper()
	s, err := e.hub.Get(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.State
}

// memLink is both ends of one in-memory connection.
type memLink struct {
	mtu  int
	conn *Conn
	// withResponse: the phone writes with response (each write a round
	// trip); default without, the protocol's way.
	withResponse bool

	mu     sync.Mutex
	closed bool
	notes  chan []byte
	// dropped is closed when the hub drops the central.
	dropped chan struct{}
}

// connect opens a connection at mtu; the error is the server's refusal.
func (e *env) connect(mtu int) (*memLink, error) {
	l := &memLink{mtu: mtu, notes: make(chan []byte, 4096), dropped: make(chan struct{})}
	c, err := e.srv.Open(l, "mem", mtu)
	if err != nil {
		return nil, err
	}
	l.conn = c
	return l, nil
}

func (e *env) mustConnect(mtu int) *memLink {
	e.t.Helper()
	l, err := e.connect(mtu)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// Hub side.
func (l *memLink) Notify(f []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.notes <- append([]byte(nil), f...)
	return nil
}

func (l *memLink) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.notes)
		close(l.dropped)
	}
}

// Central side.
func (l *memLink) Write(f []byte) error         { return l.conn.Receive(f) }
func (l *memLink) Notifications() <-chan []byte { return l.notes }
func (l *memLink) MTU() int                     { return l.mtu }
func (l *memLink) WithResponse() bool           { return l.withResponse }

func (l *memLink) isDropped() bool {
	select {
	case <-l.dropped:
		return true
	default:
		return false
	}
}

// bleTransport carries the shared key-path table over a memLink.
type bleTransport struct{ p *Phone }

func (bleTransport) Name() string { return localauth.TransportBLE }

func (b bleTransport) Challenge(device, action string) (*wire.Challenge, error) {
	return b.p.Challenge(context.Background(), device, action, nil)
}

func (b bleTransport) Send(device string, req wire.ActionRequest) (localauth.Decision, error) {
	d, err := b.p.Send(context.Background(), device, req)
	var re *RefusedError
	if errors.As(err, &re) && d.Error != nil {
		err = nil // a refusal: the decision says why
	}
	return d.Decision, err
}
