package localapi

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/homekit"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// CloudStatus is what the cloud link reports for the residents' banner.
type CloudStatus struct {
	// Reachable: the link to the broker is up now.
	Reachable bool `json:"reachable"`
	// Since is when the link last went up or down; zero when it has not
	// been up since the agent started.
	Since time.Time `json:"since,omitzero"`
	// Waiting is how many recorded events wait to reach the cloud.
	Waiting int `json:"waiting"`
}

// LANKeeper is what the LAN API needs of localauth: every login, session
// and action is decided there, and the mailbox imports credentials.
type LANKeeper interface {
	Importer
	CheckPIN(user, pin, client string) (localauth.PINResult, error)
	CheckGrant(id wire.ID) (localauth.GrantScope, localauth.Reason, error)
	Challenge(device, action string) ([]byte, error)
	HubPublicKey() ed25519.PublicKey
	Decide(req localauth.Request) (localauth.Decision, error)
	DecideSession(id wire.ID, device, action string) (localauth.Decision, error)
	TimeStatus() localauth.TimeStatus
}

// LANStore is what the LAN API keeps in and reads from the store: its own
// buckets (sessions, and a certificate an older version kept there) and
// the event log for the residents' recent events.
type LANStore interface {
	buckets
	Events(after uint64, limit int) ([]store.Event, error)
	LastSeq() (uint64, error)
}

// LANOptions configure the residents' LAN API. Zero values get the
// defaults documented on each field.
type LANOptions struct {
	Hub   Devices  // required
	Store LANStore // required: sessions (and a certificate kept there before SecState)
	// SecState is the security-state directory (config.SecStatePath): the
	// certificate lives there, so that a recovered store keeps it. Required.
	SecState *secstate.Dir
	Keeper   LANKeeper // required: every login and action is decided there
	Site     string
	// Cloud reports the cloud link for the banner; nil means no cloud link
	// is configured (no banner).
	Cloud func() CloudStatus
	// HomeKit reports the Apple Home bridge; nil when it is off. Its setup
	// code lets anyone on the LAN pair a controller that may then do what
	// the bridge's principal may: only an owner's session sees it, and only
	// until a controller has paired (new ones are added from a paired one).
	HomeKit func() homekit.Status

	// Listen is the configured address; with Hostnames it names what the
	// certificate is made for on first start.
	Listen    string
	Hostnames []string

	SessionTTL  time.Duration // default 12h
	MaxSessions int           // default 100
	// RequestsPerSecond per client address and per logged-in user, with
	// bursts of twice as many; default 20, negative: no limit (benchmarks).
	RequestsPerSecond int
	// LoginsPerMinute per client address, on top of the Keeper's PIN
	// lockouts; default 10, negative: no limit.
	LoginsPerMinute int

	Clock clock.Clock  // default clock.Real{}
	Log   *slog.Logger // default: silent
}

// Limits of the LAN server. An action with a grant chain carries up to two
// grants of 16 KiB as base64; everything else is a few hundred bytes.
const (
	maxActionBody  = 64 << 10
	maxHeaderBytes = 16 << 10
	maxRateKeys    = 4096
)

// LAN serves the residents' HTTPS API and web app on the home network.
type LAN struct {
	opts     LANOptions
	hub      Devices
	keeper   LANKeeper
	st       LANStore
	log      *slog.Logger
	clk      clock.Clock
	cert     tls.Certificate
	fp       Fingerprint
	sessions *sessions
	web      *webAssets
	// Limits: every request per address, logged-in requests per user,
	// login attempts per address. Not login attempts per user name from
	// every address: a stranger could spend a resident's share and keep her
	// out (the Keeper's lockouts are per address, with a per-user backstop).
	perAddr, perUser, loginAddr *rateLimiter

	mu     sync.Mutex
	listen string // the address served, once Listen or Serve has it
}

// NewLAN loads (or, on first start, makes) the certificate and the
// sessions kept in the store.
func NewLAN(opts LANOptions) (*LAN, error) {
	if opts.Hub == nil || opts.Store == nil || opts.Keeper == nil || opts.SecState == nil {
		return nil, errors.New("localapi: LAN needs a hub, a store, a keeper and a security-state directory")
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = 100
	}
	if opts.RequestsPerSecond == 0 {
		opts.RequestsPerSecond = 20
	}
	if opts.LoginsPerMinute == 0 {
		opts.LoginsPerMinute = 10
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	l := &LAN{opts: opts, hub: opts.Hub, keeper: opts.Keeper, st: opts.Store, log: opts.Log, clk: opts.Clock}
	names, ips := certNames(opts.Listen, opts.Hostnames)
	var err error
	if l.cert, l.fp, err = loadCert(opts.SecState, opts.Store, names, ips, l.log); err != nil {
		return nil, err
	}
	if l.sessions, err = newSessions(opts.Store, opts.Clock, opts.SessionTTL, opts.MaxSessions); err != nil {
		return nil, err
	}
	if l.web, err = newWebAssets(); err != nil {
		return nil, err
	}
	rps := float64(opts.RequestsPerSecond)
	l.perAddr = newRateLimiter(opts.Clock, rps, 2*opts.RequestsPerSecond, maxRateKeys)
	l.perUser = newRateLimiter(opts.Clock, rps, 2*opts.RequestsPerSecond, maxRateKeys)
	lpm := float64(opts.LoginsPerMinute) / 60
	l.loginAddr = newRateLimiter(opts.Clock, lpm, opts.LoginsPerMinute, maxRateKeys)
	return l, nil
}

// Fingerprint is the SHA-256 fingerprint of the LAN certificate.
func (l *LAN) Fingerprint() Fingerprint { return l.fp }

// LANInfo is the LAN API's part of the admin status ("lan").
type LANInfo struct {
	Listen      string `json:"listen"`      // the address served, e.g. "0.0.0.0:8443"
	Fingerprint string `json:"fingerprint"` // SHA-256 of the certificate
	Sessions    int    `json:"sessions"`
}

// Info reports the address, the certificate fingerprint and the sessions.
func (l *LAN) Info() LANInfo {
	l.mu.Lock()
	listen := l.listen
	l.mu.Unlock()
	return LANInfo{Listen: listen, Fingerprint: l.fp.String(), Sessions: l.sessions.count()}
}

// TLSConfig is the server side of the LAN API's TLS.
func (l *LAN) TLSConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{l.cert}, MinVersion: tls.VersionTLS12}
}

// Listen opens the TCP listener for addr and records its address at once,
// so that Info shows it from the moment the port is open, before Serve runs.
func (l *LAN) Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lan: %w", err)
	}
	l.mu.Lock()
	l.listen = ln.Addr().String()
	l.mu.Unlock()
	return ln, nil
}

// Serve serves HTTPS on ln until ctx ends, then shuts down within a
// second (a resident's request in flight may finish; a slow client may
// not hold up the agent's exit).
func (l *LAN) Serve(ctx context.Context, ln net.Listener) error {
	l.mu.Lock()
	l.listen = ln.Addr().String()
	l.mu.Unlock()
	srv := l.server()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(tls.NewListener(ln, srv.TLSConfig)) }()
	select {
	case err := <-errc:
		return fmt.Errorf("lan: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return nil
}

// server is the HTTP server of Serve, with its limits.
func (l *LAN) server() *http.Server {
	return &http.Server{
		Handler:           l.Handler(),
		TLSConfig:         l.TLSConfig(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// An action may wait for its record (devices: up to 3 s) after the
		// decision's own commit.
		WriteTimeout:   15 * time.Second,
		IdleTimeout:    60 * time.Second,
		MaxHeaderBytes: maxHeaderBytes,
		// Browsers that have not accepted the self-signed certificate yet
		// end every handshake with an error: not worth a log line each.
		ErrorLog: slog.NewLogLogger(l.log.Handler(), slog.LevelDebug),
	}
}

// route is one API path: its method's handler, and a JSON 405 for the
// others (the mux's own 405 is plain text).
type route struct {
	method, path string
	h            http.HandlerFunc
}

// Handler returns the LAN API and the web app, behind the security headers
// and the per-address rate limit.
//
//	GET  /healthz
//	POST /api/v1/login                 {"user", "pin"} → session cookie + CSRF token
//	POST /api/v1/logout                (session, X-CSRF-Token)
//	GET  /api/v1/session               (session) who, what, the CSRF token
//	POST /api/v1/challenge             {"device", "action"} → signed challenge
//	POST /api/v1/devices/{id}/action   {"action", "value"} with a session and X-CSRF-Token,
//	                                   or {"action", "value", "chain", "proof"} with a phone key
//	GET  /api/v1/devices               (session) the devices the grant allows
//	GET  /api/v1/status                (session) cloud link, trusted time
//	GET  /api/v1/hub                   certificate fingerprint, hub key, device catalogue (public)
//	GET  /api/v1/events?limit=N        (session) recent events the role may see
//	POST /api/v1/credentials           a signed grant or revocation snapshot (mailbox)
//	GET  /, /app.js, /key.js, ...       the web app (every file of web/), its
//	                                   manifest and service worker
func (l *LAN) Handler() http.Handler {
	mux := http.NewServeMux()
	routes := []route{
		{"GET", "/healthz", l.healthz},
		{"POST", "/api/v1/login", l.login},
		{"POST", "/api/v1/logout", l.logout},
		{"GET", "/api/v1/session", l.sessionInfo},
		{"POST", "/api/v1/challenge", l.challenge},
		{"POST", "/api/v1/devices/{id}/action", l.action},
		{"GET", "/api/v1/devices", l.devices},
		{"GET", "/api/v1/status", l.status},
		{"GET", "/api/v1/hub", l.hubInfo},
		{"GET", "/api/v1/events", l.events},
		{"POST", "/api/v1/credentials", l.credentials},
	}
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+rt.path, rt.h)
		mux.HandleFunc(rt.path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", rt.method)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, rt.method))
		})
	}
	mux.HandleFunc("GET /{$}", l.web.serve)
	for name := range l.web.files {
		mux.HandleFunc("GET /"+name, l.web.serve)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	return l.guard(mux)
}

// contentSecurityPolicy allows only the hub's own files: no inline script,
// no CDN, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// guard sets the security headers and applies the per-address limit.
func (l *LAN) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if !l.allow(w, l.perAddr, clientAddr(r), "too many requests from this address") {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allow takes a token from lim for key, or answers 429 with Retry-After.
func (l *LAN) allow(w http.ResponseWriter, lim *rateLimiter, key, why string) bool {
	ok, wait := lim.allow(key)
	if ok {
		return true
	}
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, http.StatusTooManyRequests, retryBody{
		Error:       Error{Code: "rate_limited", Message: fmt.Sprintf("%s: try again in %d s", why, secs)},
		RetryAfterS: secs,
	})
	return false
}

type retryBody struct {
	Error       Error `json:"error"`
	RetryAfterS int   `json:"retry_after_s"`
}

// clientAddr is the client's IP. Headers such as X-Forwarded-For are not
// read: nothing stands between a phone and the hub on the home network,
// and a header is whatever the client says.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
