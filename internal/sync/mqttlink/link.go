// Package mqttlink owns the hub's MQTT session with the cloud's broker:
// dialling (TCP or TLS with a client certificate), the CONNECT with its
// credentials, keepalive and last will, the subscriptions, and the
// reconnect loop (exponential backoff with full jitter, a random delay
// after power-on, a slow retry when the broker refuses the credentials).
//
// paho's own reconnect is off: the loop here decides when to try again, and
// every connection gets a fresh paho client, so that nothing paho keeps
// from an old connection (its in-memory store, its tokens) leaks into a new
// one. What to send is the caller's business: Run calls a session function
// for each live connection and cancels its context when the connection is
// lost.
//
// Inbound is bounded twice: a packet whose header announces more than
// PacketLimit(MaxPayload) bytes drops the connection before its body is
// read (guard.go), and a message is handed to a buffered channel that, when
// full, makes paho stop reading, so that the broker holds what the hub has
// not handled yet. Nothing is acknowledged before the consumer calls Ack.
package mqttlink

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/edgeagent/edgeagent/internal/clock"
)

// Options configure a Link.
type Options struct {
	// Broker is tcp://host:port or mqtt://… (plain), ssl://, tls:// or
	// mqtts://… (TLS). Default ports 1883 and 8883.
	Broker   string
	ClientID string // required
	Username string
	Password string
	// TLS is used for the TLS schemes (CA pool, client certificate); nil
	// means the system roots and no client certificate.
	TLS *tls.Config
	// KeepAlive is the MQTT keepalive; a connection that answers nothing
	// (not even a PINGREQ) for about twice this long is dropped. Default 30 s.
	KeepAlive time.Duration
	// ConnectTimeout bounds the dial, TLS handshake and CONNACK. Default 10 s.
	ConnectTimeout time.Duration
	// CleanSession false (the default here: PersistentSession true) asks
	// the broker to keep the subscriptions and queue QoS 1 messages for the
	// hub while it is away.
	PersistentSession bool
	// StatusTopic gets Online (retained) on every connect and is the last
	// will with Offline (retained), published by the broker when the
	// connection dies without a DISCONNECT. Empty: neither.
	StatusTopic     string
	Online, Offline []byte
	// Subscriptions are topic filters subscribed with QoS 1 on every
	// connect.
	Subscriptions []string
	Backoff       Backoff
	// StartDelay: the first attempt waits a random time in [0, StartDelay),
	// so that hubs powered on together (after a power cut) do not connect
	// together.
	StartDelay time.Duration
	// MaxPayload: inbound messages larger than this are handed over with
	// Payload nil and Size set, so that their bytes are not kept; a packet
	// over PacketLimit(MaxPayload) drops the connection from its header.
	// Default 128 KiB.
	MaxPayload int
	// OnTooLarge is told when the link dropped the connection because the
	// broker began a packet over the limit: for a topic other than the last
	// one told, else at most once per 10 minutes (a retained one comes back
	// at every reconnect). It runs on paho's reader goroutine: it may write
	// a record, not wait on the network.
	OnTooLarge func(TooLarge)
	// InboundDepth is the inbound channel's buffer; when it is full paho
	// stops reading until there is room (the broker keeps the rest).
	// Default 64.
	InboundDepth int
	// Dial opens the TCP connection; default a net.Dialer. Benchmarks and
	// tests wrap it.
	Dial  func(ctx context.Context, network, addr string) (net.Conn, error)
	Clock clock.Clock  // default clock.Real{}
	Log   *slog.Logger // default: silent
}

// Defaults.
const (
	DefaultKeepAlive      = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultMaxPayload     = 128 << 10
	DefaultInboundDepth   = 64
)

// Message is one inbound publish. Call Ack once it has been handled: with a
// persistent session the broker sends it again after a reconnect until then.
// A consumer that could not handle it (its store failed) calls Retry
// instead, which drops the connection: the broker sends the message again
// on the next one, after the link's backoff.
type Message struct {
	Topic   string
	Payload []byte // nil when Size > MaxPayload
	Size    int
	Ack     func()
	Retry   func(why error)
}

// Status is the link's state for the status page.
type Status struct {
	Broker      string    `json:"broker"`
	Connected   bool      `json:"connected"`
	Since       time.Time `json:"since,omitzero"` // when the link last went up or down (down: since Run started)
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Refused     bool      `json:"refused,omitempty"` // the last attempt was refused by the broker (credentials, ACL)
	Attempts    uint64    `json:"attempts"`          // connection attempts since start
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	TooLarge    *TooLarge `json:"too_large,omitempty"` // the last packet over the limit, if any since start
}

// TooLarge is a connection dropped because of an oversized packet.
type TooLarge struct {
	Topic string    `json:"topic,omitempty"` // of a PUBLISH, when its header let it be read
	Size  int       `json:"size"`            // the remaining length announced
	Limit int       `json:"limit"`
	At    time.Time `json:"at"`
	Count uint64    `json:"count"` // connections dropped so since start
}

// Link is one broker connection, kept up by Run.
type Link struct {
	opts    Options
	addr    string // host:port
	useTLS  bool
	clk     clock.Clock
	log     *slog.Logger
	inbound chan Message

	mu      sync.Mutex
	status  Status
	lastLog time.Time
	// streak: failures since the last connection that lasted Backoff.Reset
	// (a broker that drops every connection at once, e.g. for a retained
	// oversized message, is one streak, logged as such).
	streak int
	short  bool      // the last connection lasted less than Backoff.Reset
	upLog  time.Time // when "connected" was last logged at Info
	// tooLargeAt, tooLargeTopic: when OnTooLarge was last called, and for
	// which topic.
	tooLargeAt    time.Time
	tooLargeTopic string
	// resetSession: the next connection starts a clean session (below).
	resetSession bool
}

// New checks the options.
func New(opts Options) (*Link, error) {
	addr, useTLS, err := ParseBroker(opts.Broker)
	if err != nil {
		return nil, err
	}
	if opts.ClientID == "" {
		return nil, fmt.Errorf("%w: no client id", ErrBadOptions)
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = DefaultKeepAlive
	}
	if opts.KeepAlive < time.Second {
		return nil, fmt.Errorf("%w: keepalive %s is below 1s", ErrBadOptions, opts.KeepAlive)
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = DefaultMaxPayload
	}
	if opts.InboundDepth <= 0 {
		opts.InboundDepth = DefaultInboundDepth
	}
	if opts.Dial == nil {
		d := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 15 * time.Second}
		opts.Dial = d.DialContext
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	opts.Backoff = opts.Backoff.withDefaults()
	l := &Link{opts: opts, addr: addr, useTLS: useTLS, clk: opts.Clock, log: opts.Log,
		inbound: make(chan Message, opts.InboundDepth)}
	l.status.Broker = opts.Broker
	return l, nil
}

// ParseBroker checks a broker URL and returns its host:port and whether it
// is TLS.
func ParseBroker(s string) (addr string, useTLS bool, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", false, fmt.Errorf("%w: broker %q is not a URL like tcp://host:1883 or ssl://host:8883", ErrBadOptions, s)
	}
	port := "1883"
	switch u.Scheme {
	case "tcp", "mqtt":
	case "ssl", "tls", "mqtts":
		useTLS, port = true, "8883"
	default:
		return "", false, fmt.Errorf("%w: broker %q: scheme %q (want tcp, mqtt, ssl, tls or mqtts)", ErrBadOptions, s, u.Scheme)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false, fmt.Errorf("%w: broker %q: no path, query or user info (credentials go in username/password)", ErrBadOptions, s)
	}
	if u.Port() != "" {
		port = u.Port()
	}
	return net.JoinHostPort(u.Hostname(), port), useTLS, nil
}

// Inbound delivers the messages received on the subscriptions (and any the
// broker had queued for a persistent session).
func (l *Link) Inbound() <-chan Message { return l.inbound }

// Status reports the link's state.
func (l *Link) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.status
	if s.TooLarge != nil {
		tl := *s.TooLarge
		s.TooLarge = &tl
	}
	return s
}

// Session is one live connection.
type Session struct {
	c    mqtt.Client
	conn func() net.Conn
	lost chan struct{}
	once sync.Once
	why  error
}

// Publish sends payload with QoS 1. The token completes when the broker's
// PUBACK arrives on this connection (or with an error); if the connection
// is lost first it may never complete, so wait on it together with the
// session's context.
func (s *Session) Publish(topic string, retained bool, payload []byte) mqtt.Token {
	return s.c.Publish(topic, 1, retained, payload)
}

// Drop closes the connection at once (no DISCONNECT, so the broker
// publishes the last will): for a caller that has seen acknowledgements stop
// while paho has not yet noticed.
func (s *Session) Drop(why error) {
	s.markLost(why)
	if c := s.conn(); c != nil {
		c.Close()
	}
}

func (s *Session) markLost(why error) {
	s.once.Do(func() {
		s.why = why
		close(s.lost)
	})
}

// Run keeps the link up until ctx ends, calling session for every live
// connection with a context that ends when the connection is lost. It
// returns ctx's error.
func (l *Link) Run(ctx context.Context, session func(ctx context.Context, s *Session)) error {
	r := &retry{b: l.opts.Backoff}
	l.mu.Lock()
	l.status.Since = l.clk.Now() // down since start
	l.mu.Unlock()
	delay := time.Duration(0)
	if l.opts.StartDelay > 0 {
		delay = time.Duration(r.b.Rand() * float64(l.opts.StartDelay))
	}
	for {
		if !l.sleep(ctx, delay) {
			return ctx.Err()
		}
		s, err := l.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, ErrRefused) {
				delay = r.refused()
			} else {
				delay = r.failed()
			}
			l.noteError(err, delay)
			continue
		}
		up := l.clk.Now()
		l.setConnected(true, up)
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); session(sctx, s) }()
		select {
		case <-s.lost:
		case <-ctx.Done():
		}
		cancel()
		<-done
		if ctx.Err() != nil {
			l.disconnect(s)
			l.setConnected(false, l.clk.Now())
			return ctx.Err()
		}
		lasted := l.clk.Now().Sub(up)
		delay = r.lost(lasted)
		l.mu.Lock()
		l.short = lasted < l.opts.Backoff.Reset
		if !l.short {
			l.streak = 0
		}
		l.mu.Unlock()
		l.setConnected(false, l.clk.Now())
		l.noteError(fmt.Errorf("connection lost: %v", s.why), delay, "lasted", lasted.Round(time.Millisecond))
		s.c.Disconnect(0) // frees paho's goroutines; the connection is gone already
	}
}

// connect makes one attempt: a fresh paho client, CONNECT, the online
// status and the subscriptions.
func (l *Link) connect(ctx context.Context) (*Session, error) {
	l.mu.Lock()
	l.status.Attempts++
	l.status.NextAttempt = time.Time{}
	l.mu.Unlock()

	s := &Session{lost: make(chan struct{})}
	var connMu sync.Mutex
	var conn *guardedConn
	s.conn = func() net.Conn {
		connMu.Lock()
		defer connMu.Unlock()
		if conn == nil {
			return nil
		}
		return conn
	}

	o := mqtt.NewClientOptions()
	o.AddBroker("tcp://" + l.addr) // the scheme only routes paho to our dialer
	o.SetClientID(l.opts.ClientID)
	o.SetUsername(l.opts.Username)
	o.SetPassword(l.opts.Password)
	l.mu.Lock()
	// After a refused packet the broker would send the same one first on
	// every reconnect of a persistent session (an unacknowledged QoS 1
	// PUBLISH is resent): one clean session discards it, and with it what
	// else was queued. Retained credentials and settings come back with
	// the subscriptions; a queued command is lost (the cloud sees it
	// unexecuted; it would have expired waiting anyway).
	clean := !l.opts.PersistentSession || l.resetSession
	l.resetSession = false
	l.mu.Unlock()
	o.SetCleanSession(clean)
	o.SetAutoReconnect(false)
	o.SetConnectRetry(false)
	o.SetKeepAlive(l.opts.KeepAlive)
	// paho checks the keepalive every KeepAlive/4 (5 s above 10 s) and gives
	// a ping this long to be answered: a half-open connection is dropped
	// within about 1.75 × KeepAlive (KeepAlive + 15 s above 10 s).
	o.SetPingTimeout(min(max(l.opts.KeepAlive/2, time.Second), 10*time.Second))
	o.SetWriteTimeout(l.opts.KeepAlive)
	o.SetConnectTimeout(l.opts.ConnectTimeout)
	o.SetAutoAckDisabled(true)
	o.SetOrderMatters(true) // the handler only queues; order keeps PUBACKs in order
	if l.opts.StatusTopic != "" {
		o.SetBinaryWill(l.opts.StatusTopic, l.opts.Offline, 1, true)
	}
	o.SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) {
		connMu.Lock()
		c := conn // the one paho read m from: it dials again only after a failed CONNECT
		connMu.Unlock()
		l.deliver(m, c)
	})
	o.SetConnectionLostHandler(func(_ mqtt.Client, err error) { s.markLost(err) })
	o.SetCustomOpenConnectionFn(func(*url.URL, mqtt.ClientOptions) (net.Conn, error) {
		c, err := l.dial(ctx)
		if err != nil {
			return nil, err
		}
		connMu.Lock()
		conn = c
		connMu.Unlock()
		return c, nil
	})
	s.c = mqtt.NewClient(o)

	tok := s.c.Connect()
	if err := l.wait(ctx, tok, l.opts.ConnectTimeout+time.Second); err != nil {
		s.c.Disconnect(0)
		if c := s.conn(); c != nil {
			c.Close()
		}
		if ct, ok := tok.(*mqtt.ConnectToken); ok && Done(tok) {
			if why, ok := refusals[ct.ReturnCode()]; ok {
				return nil, fmt.Errorf("%w: %s (CONNACK %d)", ErrRefused, why, ct.ReturnCode())
			}
		}
		return nil, fmt.Errorf("connecting to %s: %w", l.opts.Broker, err)
	}
	var toks []mqtt.Token
	if l.opts.StatusTopic != "" {
		toks = append(toks, s.c.Publish(l.opts.StatusTopic, 1, true, l.opts.Online))
	}
	if len(l.opts.Subscriptions) > 0 {
		filters := make(map[string]byte, len(l.opts.Subscriptions))
		for _, f := range l.opts.Subscriptions {
			filters[f] = 1
		}
		toks = append(toks, s.c.SubscribeMultiple(filters, nil))
	}
	for _, t := range toks {
		if err := l.wait(ctx, t, l.opts.ConnectTimeout); err != nil {
			s.Drop(err)
			s.c.Disconnect(0)
			return nil, fmt.Errorf("subscribing at %s: %w", l.opts.Broker, err)
		}
	}
	for _, t := range toks {
		st, ok := t.(*mqtt.SubscribeToken)
		if !ok {
			continue
		}
		for topic, code := range st.Result() {
			if code == 0x80 {
				s.Drop(nil)
				s.c.Disconnect(0)
				return nil, fmt.Errorf("%w: subscription to %s refused (check the broker's ACL)", ErrRefused, topic)
			}
		}
	}
	return s, nil
}

// refusals are the CONNACK codes that another attempt in a few seconds
// will not change, in words an installer can act on.
var refusals = map[byte]string{
	packets.ErrRefusedBadUsernameOrPassword: "bad username or password",
	packets.ErrRefusedNotAuthorised:         "not authorised: check the username, password or client certificate, and the broker's ACL",
	packets.ErrRefusedIDRejected:            "client id rejected",
	packets.ErrRefusedBadProtocolVersion:    "the broker does not speak MQTT 3.1.1",
}

// dial opens the TCP connection and, for TLS, completes the handshake
// within ConnectTimeout.
func (l *Link) dial(ctx context.Context) (*guardedConn, error) {
	dctx, cancel := context.WithTimeout(ctx, l.opts.ConnectTimeout)
	defer cancel()
	c, err := l.opts.Dial(dctx, "tcp", l.addr)
	if err != nil {
		return nil, err
	}
	if !l.useTLS {
		return l.guarded(c), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if l.opts.TLS != nil {
		cfg = l.opts.TLS.Clone()
	}
	if cfg.ServerName == "" {
		host, _, _ := net.SplitHostPort(l.addr)
		cfg.ServerName = host
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(dctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w", l.addr, err)
	}
	return l.guarded(tc), nil
}

// guardedConn is what paho reads from: the MQTT stream (inside TLS),
// buffered (paho reads a packet a few bytes at a time: a PUBACK costs it
// three read calls, most of the link's system calls on a busy drain) and
// checked packet by packet by the frame guard. Only paho's one reader
// goroutine reads.
type guardedConn struct {
	net.Conn
	g       frameGuard
	refused func(error)
	once    sync.Once
	closed  chan struct{}
	why     atomic.Pointer[error] // set by drop: what Read reports after the close
}

func (l *Link) guarded(c net.Conn) *guardedConn {
	return &guardedConn{Conn: c, closed: make(chan struct{}), refused: l.refusedPacket,
		g: frameGuard{r: bufio.NewReaderSize(c, 16<<10), limit: PacketLimit(l.opts.MaxPayload)}}
}

func (c *guardedConn) Read(p []byte) (int, error) {
	n, err := c.g.Read(p)
	if err != nil && (errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed)) {
		// paho sees the error and drops the connection; closing it here
		// as well leaves the broker nothing more to push at us.
		c.refused(err)
		c.Close()
	}
	if w := c.why.Load(); err != nil && w != nil {
		err = *w // paho reports this as the reason the connection was lost
	}
	return n, err
}

// drop closes the connection with a reason.
func (c *guardedConn) drop(why error) {
	c.why.CompareAndSwap(nil, &why)
	c.Close()
}

func (c *guardedConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// refusedPacket records a packet the guard refused: the next session
// starts clean, and an oversized one goes in Status.TooLarge, the log and
// OnTooLarge (these two rate-limited).
func (l *Link) refusedPacket(err error) {
	l.mu.Lock()
	l.resetSession = true
	l.mu.Unlock()
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		return // malformed: Run logs the lost connection, rate-limited
	}
	now := l.clk.Now()
	l.mu.Lock()
	n := uint64(1)
	if l.status.TooLarge != nil {
		n = l.status.TooLarge.Count + 1
	}
	rec := TooLarge{Topic: tl.Topic, Size: tl.Size, Limit: tl.Limit, At: now, Count: n}
	l.status.TooLarge = &rec
	report := n == 1 || rec.Topic != l.tooLargeTopic || now.Sub(l.tooLargeAt) >= logEvery
	if report {
		l.tooLargeAt, l.tooLargeTopic = now, rec.Topic
	}
	l.mu.Unlock()
	if !report {
		l.log.Debug("mqtt: dropped the connection", "broker", l.opts.Broker, "err", err, "times", n)
		return
	}
	l.log.Warn("mqtt: dropped the connection", "broker", l.opts.Broker, "err", err, "times", n)
	if l.opts.OnTooLarge != nil {
		l.opts.OnTooLarge(rec)
	}
}

// deliver runs on paho's goroutine and waits for room in Inbound. While it
// waits paho reads nothing more, so TCP pushes back on the broker, which
// keeps the rest: nothing is acknowledged before the consumer handled it
// (a revocation must not be acknowledged and lost). PUBACKs for the hub's
// own publishes wait too; the consumer never waits on the network, so the
// wait is short, and a wait longer than the keepalive ends the connection.
// If the connection closes first, the message stays unacknowledged and the
// broker sends it again on the next one (persistent session).
func (l *Link) deliver(m mqtt.Message, c *guardedConn) {
	closed := c.closed
	msg := Message{Topic: m.Topic(), Size: len(m.Payload()), Ack: m.Ack,
		Retry: func(why error) { c.drop(fmt.Errorf("handing a message on %s back to the broker: %w", m.Topic(), why)) }}
	if msg.Size <= l.opts.MaxPayload {
		msg.Payload = m.Payload()
	}
	select {
	case l.inbound <- msg: // room: delivered even if the connection is closing
		return
	default:
	}
	select {
	case l.inbound <- msg:
	case <-closed:
	}
}

// disconnect ends a session cleanly: "offline" first (a DISCONNECT
// suppresses the will), then DISCONNECT, each bounded.
func (l *Link) disconnect(s *Session) {
	if l.opts.StatusTopic != "" && s.c.IsConnectionOpen() {
		t := s.c.Publish(l.opts.StatusTopic, 1, true, l.opts.Offline)
		t.WaitTimeout(250 * time.Millisecond)
	}
	s.c.Disconnect(100)
}

// Done reports whether t (a Session's publish, say) has completed; its
// fields are then safe to read.
func Done(t mqtt.Token) bool {
	select {
	case <-t.Done():
		return true
	default:
		return false
	}
}

// wait waits for a token, ctx or timeout.
func (l *Link) wait(ctx context.Context, t mqtt.Token, timeout time.Duration) error {
	timer := time.NewTimer(timeout) // real time: a bound on network I/O, as paho's own timeouts
	defer timer.Stop()
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("no answer within %s", timeout)
	}
}

// sleep waits d on the link's clock; false if ctx ended first.
func (l *Link) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	l.mu.Lock()
	l.status.NextAttempt = l.clk.Now().Add(d)
	l.mu.Unlock()
	ch := make(chan struct{})
	t := l.clk.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		t.Stop()
		return false
	}
}

func (l *Link) setConnected(up bool, at time.Time) {
	l.mu.Lock()
	l.status.Connected, l.status.Since = up, at
	// After a short connection, "connected" is news once per logEvery.
	info := up && (!l.short || at.Sub(l.upLog) >= logEvery)
	if info {
		l.upLog = at
	}
	l.mu.Unlock()
	if info {
		l.log.Info("mqtt: connected", "broker", l.opts.Broker, "client_id", l.opts.ClientID)
	} else if up {
		l.log.Debug("mqtt: connected", "broker", l.opts.Broker, "client_id", l.opts.ClientID)
	}
}

// logEvery rate-limits failures in the log: the first of a streak is a
// warning, the rest (the same broker still down, with a new port in every
// message, or dropping every connection at once) at most one per logEvery;
// a broker down for a day must not write a line per attempt to the SD card.
const logEvery = 10 * time.Minute

func (l *Link) noteError(err error, retryIn time.Duration, args ...any) {
	now := l.clk.Now()
	msg := err.Error()
	l.mu.Lock()
	l.status.LastError, l.status.LastErrorAt = msg, now
	l.status.Refused = errors.Is(err, ErrRefused)
	log := l.streak == 0 || now.Sub(l.lastLog) >= logEvery
	l.streak++
	streak := l.streak
	if log {
		l.lastLog = now
	}
	l.mu.Unlock()
	args = append([]any{"broker", l.opts.Broker, "err", msg, "retry_in", retryIn.Round(time.Millisecond), "failures", streak}, args...)
	if log {
		l.log.Warn("mqtt: not connected", args...)
	} else {
		l.log.Debug("mqtt: not connected", args...)
	}
}
