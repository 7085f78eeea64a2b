package nodelink

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
)

// Port is the serial line: a tty from OpenSerial, or any connection in tests.
// SetReadDeadline lets Run stop its reader when it returns.
type Port interface {
	io.ReadWriter
	SetReadDeadline(t time.Time) error
}

// Options of a Conn; zero fields take the defaults in DefaultOptions.
type Options struct {
	// Heartbeat: the hub's heartbeat period (the node expects one within
	// its NODE_HUB_TIMEOUT_MS, 5 s, or falls back to local mode).
	Heartbeat time.Duration
	// NodeTimeout: a node silent this long is reported down in Health.
	NodeTimeout time.Duration
	// Retransmit: a command not acknowledged is resent this often ...
	Retransmit time.Duration
	// ... at most this many times, then it fails with ErrNoAck.
	Retries int
	// Version: sent in the hub's hello.
	Version string
	// Logger: nil is silent.
	Logger *slog.Logger
}

// DefaultOptions: a heartbeat a second, a node down after 5 s of silence,
// a command resent every 300 ms up to 10 times (3 s).
var DefaultOptions = Options{
	Heartbeat:   time.Second,
	NodeTimeout: 5 * time.Second,
	Retransmit:  300 * time.Millisecond,
	Retries:     10,
	Version:     "edgeagent",
}

// Health is what the hub knows of the node, for status.
type Health struct {
	Up         bool      // heard from within NodeTimeout
	LastHeard  time.Time // zero: never
	Kind       uint32    // from the node's hello
	Version    string
	ResetCause uint32 // 1: the node's last reset was its watchdog
	Mode       uint32 // ModeHub or ModeLocal, from its last state report
	State      Msg    // the last state report
	UptimeMS   uint32 // the node's clock, from its last heartbeat
	BadFrames  uint64 // frames refused (noise, a wrong baud rate, a bad cable)
	Retries    uint64 // commands resent
}

type request struct {
	m    Msg
	done chan error
}

// Conn is the hub's end of one node link. Run owns the session; Do, Reports
// and Health may be called from any goroutine.
type Conn struct {
	port    Port
	clk     clock.Clock
	opts    Options
	reqs    chan *request
	reports chan Msg

	mu     sync.Mutex
	health Health
}

// New returns a Conn over port; Run starts it.
func New(port Port, clk clock.Clock, opts Options) *Conn {
	d := DefaultOptions
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = d.Heartbeat
	}
	if opts.NodeTimeout <= 0 {
		opts.NodeTimeout = d.NodeTimeout
	}
	if opts.Retransmit <= 0 {
		opts.Retransmit = d.Retransmit
	}
	if opts.Retries <= 0 {
		opts.Retries = d.Retries
	}
	if opts.Version == "" {
		opts.Version = d.Version
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Conn{port: port, clk: clk, opts: opts, reqs: make(chan *request), reports: make(chan Msg, 64)}
}

// Reports delivers the node's reports (State, Door, Keypad, Alarm), each
// once, in the node's order. A report is acknowledged to the node only once
// it is in this channel: when the reader falls behind, the node keeps it.
func (c *Conn) Reports() <-chan Msg { return c.reports }

// Health returns a copy of the node's health.
func (c *Conn) Health() Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.health
	h.Up = !h.LastHeard.IsZero() && c.clk.Now().Sub(h.LastHeard) < c.opts.NodeTimeout
	return h
}

// Do sends a command (Lock, Relay, PINs, StateRequest) and waits for the
// node's answer: nil, ErrUnsupported, ErrBadRequest, ErrRefused, ErrNoAck,
// ErrNodeRestarted, ErrClosed or ctx's error.
func (c *Conn) Do(ctx context.Context, m Msg) error {
	switch m.Type {
	case Lock, Relay, PINs, StateRequest:
	default:
		return fmt.Errorf("nodelink: %d is not a command", m.Type)
	}
	if _, err := m.Encode(); err != nil {
		return err
	}
	r := &request{m: m, done: make(chan error, 1)}
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		// Run still finishes the command; its answer is dropped.
		return ctx.Err()
	}
}

type rxItem struct {
	m   Msg
	err error
}

// session is Run's state; only Run's goroutine touches it.
type session struct {
	seq      uint8
	pending  *request
	frame    []byte
	sentAt   time.Time
	tries    int
	queue    []*request
	lastBeat time.Time
	rxSeq    uint8
	rxAny    bool
	// token: this session's, in our hello; helloed: the node has echoed
	// it. Commands wait for that, so every command goes to a node whose
	// session is ours.
	token   uint32
	helloed bool
	// out: frames to write once the timer is set for what is due next, so
	// that whoever sees a frame arrive knows the timer is already armed.
	out [][]byte
}

// Run keeps the session until ctx ends (it returns ctx's error) or the port
// fails. The hub says hello first, so the node starts a fresh session.
func (c *Conn) Run(ctx context.Context) error {
	rx := make(chan rxItem, 16)
	readerDone := make(chan struct{})
	stop := make(chan struct{})
	go c.read(stop, rx, readerDone)
	defer func() {
		// Unblock the reader and wait for it: the port may be reused.
		close(stop)
		_ = c.port.SetReadDeadline(time.Unix(1, 0))
		<-readerDone
		_ = c.port.SetReadDeadline(time.Time{})
	}()

	// One timer, set for whatever is due next (a heartbeat, a resend):
	// no polling, and a fake clock moved to that instant sees it happen.
	tick := make(chan struct{}, 1)
	var timer clock.Timer
	arm := func(at time.Time) {
		if timer != nil {
			timer.Stop()
		}
		timer = c.clk.AfterFunc(at.Sub(c.clk.Now()), func() {
			select {
			case tick <- struct{}{}:
			default:
			}
		})
	}
	defer func() { timer.Stop() }()

	s := session{token: rand.Uint32() | 1}
	s.lastBeat = c.clk.Now()
	s.send(c.hello(&s))
	for {
		arm(s.due(c.opts))
		if err := c.flush(&s); err != nil {
			c.failAll(&s, ErrClosed)
			return err
		}
		select {
		case <-ctx.Done():
			c.failAll(&s, ErrClosed)
			return ctx.Err()
		case r := <-c.reqs:
			s.queue = append(s.queue, r)
		case it := <-rx:
			if it.err != nil {
				c.failAll(&s, ErrClosed)
				return it.err
			}
			c.handle(&s, it.m)
		case <-tick:
		}
		c.step(&s)
	}
}

// send queues m for the next flush.
func (s *session) send(m Msg) {
	f, err := m.Encode()
	if err != nil {
		panic(fmt.Sprintf("nodelink: the hub's own %d message does not encode: %v", m.Type, err))
	}
	s.out = append(s.out, f)
}

func (c *Conn) flush(s *session) error {
	for _, f := range s.out {
		if _, err := c.port.Write(f); err != nil {
			return fmt.Errorf("nodelink: write: %w", err)
		}
	}
	s.out = s.out[:0]
	return nil
}

// due is when the next heartbeat or resend is.
func (s *session) due(o Options) time.Time {
	d := s.lastBeat.Add(o.Heartbeat)
	if s.pending != nil {
		if r := s.sentAt.Add(o.Retransmit); r.Before(d) {
			d = r
		}
	}
	return d
}

// step queues what is due: the next command, a resend, a heartbeat.
func (c *Conn) step(s *session) {
	now := c.clk.Now()
	if s.pending != nil && now.Sub(s.sentAt) >= c.opts.Retransmit {
		if s.tries >= c.opts.Retries {
			s.pending.done <- ErrNoAck
			s.pending = nil
		} else {
			s.tries++
			s.sentAt = now
			c.mu.Lock()
			c.health.Retries++
			c.mu.Unlock()
			s.out = append(s.out, s.frame)
		}
	}
	if s.helloed && s.pending == nil && len(s.queue) > 0 {
		r := s.queue[0]
		s.queue = s.queue[1:]
		s.seq = s.seq%255 + 1
		r.m.Seq = s.seq
		r.m.Ack = 0
		f, err := r.m.Encode()
		if err != nil {
			r.done <- err // Do checked it; kept for safety
			return
		}
		s.pending, s.frame, s.sentAt, s.tries = r, f, now, 0
		s.out = append(s.out, f)
	}
	if now.Sub(s.lastBeat) >= c.opts.Heartbeat {
		s.lastBeat = now
		ack := uint8(0)
		if s.rxAny {
			ack = s.rxSeq
		}
		m := Msg{Type: HubHeartbeat, Ack: ack, UptimeMS: uint32(now.UnixMilli())}
		if !s.helloed {
			m = c.hello(s) // until the node answers one
		}
		s.send(m)
	}
}

func (c *Conn) hello(s *session) Msg {
	return Msg{Type: HubHello, Proto: Proto, Kind: KindHub, Version: c.opts.Version, Token: s.token}
}

func (c *Conn) failAll(s *session, err error) {
	if s.pending != nil {
		s.pending.done <- err
		s.pending = nil
	}
	for _, r := range s.queue {
		r.done <- err
	}
	s.queue = nil
}

var statusErr = map[uint32]error{StatusOK: nil, StatusUnsupported: ErrUnsupported, StatusBad: ErrBadRequest, StatusRefused: ErrRefused}

func (c *Conn) handle(s *session, m Msg) {
	if !m.Type.FromNode() {
		c.badFrame("a hub message on the node's line (looped back?)")
		return
	}
	c.mu.Lock()
	c.health.LastHeard = c.clk.Now()
	c.mu.Unlock()
	switch m.Type {
	case NodeHello:
		c.mu.Lock()
		c.health.Kind, c.health.Version, c.health.ResetCause = m.Kind, m.Version, m.ResetCause
		c.mu.Unlock()
		if m.Token == s.token {
			// The answer to our hello: the node's numbering starts afresh.
			if !s.helloed {
				s.helloed, s.rxAny = true, false
			}
			return
		}
		// A hello that is not the answer to ours: the node restarted. A
		// command in flight may or may not have run before it: report
		// that, do not repeat it; say hello again before the next.
		s.helloed, s.rxAny = false, false
		if s.pending != nil {
			s.pending.done <- ErrNodeRestarted
			s.pending = nil
		}
		s.send(c.hello(s))
		return
	case NodeHeartbeat:
		c.mu.Lock()
		c.health.UptimeMS = m.UptimeMS
		c.mu.Unlock()
		return
	case NodeAck:
		if s.pending != nil && m.Ack == s.pending.m.Seq {
			err, known := statusErr[m.Status]
			if !known {
				err = fmt.Errorf("%w: status %d", ErrRefused, m.Status)
			}
			s.pending.done <- err
			s.pending = nil
		}
		return
	}
	if m.Seq == 0 {
		return // reports are reliable or nothing
	}
	if !(s.rxAny && m.Seq == s.rxSeq) {
		select {
		case c.reports <- m:
		default:
			return // no room: no ack, the node sends it again
		}
		s.rxSeq, s.rxAny = m.Seq, true
		if m.Type == State {
			c.mu.Lock()
			c.health.State, c.health.Mode = m, m.Mode
			c.mu.Unlock()
		}
	}
	s.send(Msg{Type: HubAck, Ack: m.Seq})
}

func (c *Conn) badFrame(why string) {
	c.mu.Lock()
	c.health.BadFrames++
	n := c.health.BadFrames
	c.mu.Unlock()
	// Rate-limited: a noisy line must not fill an SD card.
	if n&(n-1) == 0 {
		c.opts.Logger.Warn("node link: frames refused", "count", n, "last", why)
	}
}

// read turns the port's bytes into messages until the port fails or Run
// ends (Run closes stop and sets a past read deadline).
func (c *Conn) read(stop <-chan struct{}, rx chan<- rxItem, done chan<- struct{}) {
	defer close(done)
	var sp Splitter
	buf := make([]byte, 256)
	for {
		n, err := c.port.Read(buf)
		sp.Feed(buf[:n], func(f []byte, tooLong bool) {
			if tooLong {
				c.badFrame("over the maximum length")
				return
			}
			m, err := DecodeFrame(f)
			if err != nil {
				c.badFrame(err.Error())
				return
			}
			select {
			case rx <- rxItem{m: m}:
			case <-stop:
			}
		})
		if err != nil {
			select {
			case rx <- rxItem{err: fmt.Errorf("nodelink: read: %w", err)}:
			case <-stop:
			}
			return
		}
	}
}
