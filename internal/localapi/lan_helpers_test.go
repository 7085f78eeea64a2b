package localapi

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
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

// The LAN tests run the real thing on a loopback port: HTTPS with the
// certificate from the store, a hub of simulated devices, a Keeper on a
// real bbolt file, all on one fake clock (sessions, lockouts, rate limits
// and relocks move only when a test says so).

const lanSite = "t"

const lanSiteConfig = `site = "t"
[[lock]]
id = "door"
relay = "GPIO1"
fail = "secure"
relock_after = "5s"
[[switch]]
id = "light"
relay = "GPIO2"
[[boiler]]
id = "boiler"
relay = "GPIO3"
sensor = "28-00000a1b2c3d"
[[cover]]
id = "curtain"
up = "GPIO5"
down = "GPIO6"
travel = "10s"
[[input]]
id = "bell"
pin = "GPIO4"
type = "button"
`

// lanStart is the fake clock's start: the real time, because the HTTP
// client's cookie jar drops cookies by the real clock.
var lanStart = time.Now().UTC().Truncate(time.Second)

// cheapPIN keeps argon2 fast in tests.
var cheapPIN = localauth.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}

type lanEnv struct {
	t         testing.TB
	clk       *clocktest.Fake
	hub       *devices.Hub
	st        *store.Store
	sec       *secstate.Dir
	keeper    *localauth.Keeper
	lan       *LAN
	url       string
	authority crypto.Signer

	mu    sync.Mutex
	cloud *CloudStatus // what the fake cloud link reports; nil: not configured
}

type lanEnvOptions struct {
	cloud  bool // a fake cloud link reports to the LAN (setCloud)
	lan    func(*LANOptions)
	keeper func(*localauth.Options)
}

// newLANEnv serves a LAN API on 127.0.0.1. Rate limits are high unless a
// test lowers them: the fake clock does not refill buckets by itself.
func newLANEnv(t testing.TB, o lanEnvOptions) *lanEnv {
	t.Helper()
	e := &lanEnv{t: t, clk: clocktest.New(lanStart)}
	cfg, err := config.Parse("t.toml", []byte(lanSiteConfig))
	if err != nil {
		t.Fatal(err)
	}
	sim := devices.NewSim(e.clk)
	if e.hub, err = devices.New(cfg.Devices(), devices.Options{Clock: e.clk, Pin: sim.Pin, Thermometer: sim.Thermometer}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if e.st, _, err = store.Open(filepath.Join(dir, "state.db"), store.Options{Now: e.clk.Now}); err != nil {
		t.Fatal(err)
	}
	if e.sec, err = secstate.Open(filepath.Join(dir, "security")); err != nil {
		t.Fatal(err)
	}
	e.hub.Start(e.st, nil)
	if e.authority, err = wire.GenerateKey(wire.Ed25519); err != nil {
		t.Fatal(err)
	}
	ko := localauth.Options{
		Site: lanSite, Store: e.st, SecState: e.sec, Clock: e.clk,
		Authorities: []crypto.PublicKey{e.authority.Public()},
		NTPSynced:   func() bool { return true },
		PIN:         localauth.PINPolicy{Attempts: 3, Lockout: time.Minute},
	}
	if o.keeper != nil {
		o.keeper(&ko)
	}
	if e.keeper, err = localauth.New(ko); err != nil {
		t.Fatal(err)
	}
	lo := LANOptions{
		Hub: e.hub, Store: e.st, SecState: e.sec, Keeper: e.keeper, Site: lanSite, Listen: "127.0.0.1:0",
		Clock: e.clk, RequestsPerSecond: 1000, LoginsPerMinute: 1000,
	}
	if o.cloud {
		lo.Cloud = e.cloudStatus
	}
	if o.lan != nil {
		o.lan(&lo)
	}
	if e.lan, err = NewLAN(lo); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "https://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.lan.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		e.hub.Shutdown()
		e.keeper.Close()
		e.st.Close()
	})
	return e
}

// setCloud makes the fake cloud link report c (nil: reachable). The LAN
// reads it through LANOptions.Cloud when the env was made with cloud.
func (e *lanEnv) setCloud(c *CloudStatus) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cloud = c
}

func (e *lanEnv) cloudStatus() CloudStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cloud == nil {
		return CloudStatus{Reachable: true}
	}
	return *e.cloud
}

// grant issues a grant with the test authority (issued now on the fake
// clock) and imports it; it returns the signed grant and the holder key.
func (e *lanEnv) grant(spec localauth.GrantSpec) ([]byte, crypto.Signer) {
	e.t.Helper()
	b, key := e.issue(spec)
	if _, err := e.keeper.Import(b); err != nil {
		e.t.Fatalf("importing %s's grant: %v", spec.Name, err)
	}
	return b, key
}

// issue signs a grant without importing it.
func (e *lanEnv) issue(spec localauth.GrantSpec) ([]byte, crypto.Signer) {
	e.t.Helper()
	key, err := wire.GenerateKey(wire.Ed25519)
	if err != nil {
		e.t.Fatal(err)
	}
	if spec.Site == "" {
		spec.Site = lanSite
	}
	spec.Holder = key.Public()
	if spec.IssuedAt.IsZero() {
		spec.IssuedAt = e.clk.Now()
	}
	if spec.PIN != "" {
		spec.PINParams = cheapPIN
	}
	b, err := localauth.IssueGrant(e.authority, spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return b, key
}

// residentAndGuest imports the usual two PIN users: alice, a resident with
// every device, and gus, a guest with the light only (on and off).
func (e *lanEnv) residentAndGuest() {
	e.grant(localauth.GrantSpec{Name: "alice", Role: wire.RoleResident, Devices: []string{"*"}, PIN: "1234"})
	e.grant(localauth.GrantSpec{Name: "gus", Role: wire.RoleGuest, Devices: []string{"light"}, Actions: []string{"on", "off"},
		PIN: "5678", NotAfter: e.clk.Now().Add(24 * time.Hour)})
}

func (e *lanEnv) state(id string) string {
	e.t.Helper()
	s, err := e.hub.Get(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.State
}

// browser is an HTTPS client with a cookie jar: what a phone's browser
// keeps between requests. It trusts the hub's certificate by its pin.
type browser struct {
	e    *lanEnv
	c    *http.Client
	csrf string
}

func (e *lanEnv) browser() *browser { return e.browserFrom("") }

// browserFrom makes requests from a given loopback address (127.0.0.2 ...),
// to test per-address limits.
func (e *lanEnv) browserFrom(local string) *browser {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	tr := &http.Transport{
		DialContext:     d.DialContext,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
	e.t.Cleanup(tr.CloseIdleConnections)
	return &browser{e: e, c: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}}
}

// reply is a decoded answer.
type reply struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// code is the error code of an error answer ("" for none).
func (r reply) code() string {
	if e, ok := r.json["error"].(map[string]any); ok {
		c, _ := e["code"].(string)
		return c
	}
	return ""
}

// do sends body (JSON unless []byte) with the session's CSRF token, if any.
func (b *browser) do(method, path string, body any, hdr ...string) reply {
	b.e.t.Helper()
	var rd io.Reader
	ct := ""
	switch v := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(v), "application/cose"
	case string:
		rd, ct = bytes.NewReader([]byte(v)), "application/json"
	default:
		j, err := json.Marshal(v)
		if err != nil {
			b.e.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, b.e.url+path, rd)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if b.csrf != "" {
		req.Header.Set(csrfHeader, b.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	if r.body, err = io.ReadAll(resp.Body); err != nil {
		b.e.t.Fatal(err)
	}
	_ = json.Unmarshal(r.body, &r.json)
	return r
}

// login logs in and keeps the CSRF token; it fails the test on refusal.
func (b *browser) login(user, pin string) SessionInfo {
	b.e.t.Helper()
	r := b.do("POST", "/api/v1/login", LoginRequest{User: user, PIN: pin})
	if r.status != http.StatusOK {
		b.e.t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	var info SessionInfo
	if err := json.Unmarshal(r.body, &info); err != nil {
		b.e.t.Fatal(err)
	}
	b.csrf = info.CSRF
	return info
}

// act runs an action with the session.
func (b *browser) act(device, action, value string) reply {
	b.e.t.Helper()
	return b.do("POST", "/api/v1/devices/"+device+"/action", LANActionRequest{Action: action, Value: value})
}

// want checks an answer's status and error code ("" for a success).
func want(t testing.TB, what string, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Errorf("%s: %d %q, want %d %q\n%s", what, r.status, r.code(), status, code, r.body)
	}
}

// keyClient is a KeyClient pinned to the env's certificate.
func (e *lanEnv) keyClient() *KeyClient {
	e.t.Helper()
	c, err := NewKeyClient(e.url, e.lan.Fingerprint())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func apiCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}
