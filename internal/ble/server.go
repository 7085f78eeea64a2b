package ble

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Keeper is what the server needs of localauth: the same calls the LAN
// API's key path makes.
type Keeper interface {
	Challenge(device, action string) ([]byte, error)
	Decide(localauth.Request) (localauth.Decision, error)
	HubPublicKey() ed25519.PublicKey
	CheckGrant(id wire.ID) (localauth.GrantScope, localauth.Reason, error)
	TimeStatus() localauth.TimeStatus
}

// Devices is what the server needs of the device hub.
type Devices interface {
	Get(id string) (devices.State, error)
	Do(id, action, value string) (devices.State, error)
	List() []devices.State
}

// Decision is the body of a decision frame: the LAN API's answer to an
// action (localapi.LANActionResult when granted, its refusal body when
// refused), in one type.
type Decision struct {
	State    *devices.State     `json:"state,omitempty"` // granted: the device afterwards
	Error    *Error             `json:"error,omitempty"` // refused: the reason as the code
	Decision localauth.Decision `json:"decision"`
}

// Limits bound what one central may cost the hub. Zero values get the
// documented defaults (DefaultLimits).
type Limits struct {
	MaxConnections     int           // centrals served at once; default 3
	MaxFrame           int           // bytes of one frame; default 8192, at most 65535
	FramesPerSecond    float64       // requests per connection; default 4, bursts of 8
	FragmentsPerSecond float64       // writes per connection; default 400, bursts of 800; beyond: dropped
	IdleTimeout        time.Duration // a connection with no complete frame for this long is dropped; default 30 s
	FrameTimeout       time.Duration // a frame started must complete within; default 5 s
}

// DefaultLimits are the limits of a zero Limits.
var DefaultLimits = Limits{
	MaxConnections: 3, MaxFrame: 8192, FramesPerSecond: 4, FragmentsPerSecond: 400,
	IdleTimeout: 30 * time.Second, FrameTimeout: 5 * time.Second,
}

func (l *Limits) setDefaults() {
	d := DefaultLimits
	if l.MaxConnections <= 0 {
		l.MaxConnections = d.MaxConnections
	}
	if l.MaxFrame <= 0 {
		l.MaxFrame = d.MaxFrame
	}
	l.MaxFrame = min(l.MaxFrame, MaxFrameLimit)
	if l.FramesPerSecond <= 0 {
		l.FramesPerSecond = d.FramesPerSecond
	}
	if l.FragmentsPerSecond <= 0 {
		l.FragmentsPerSecond = d.FragmentsPerSecond
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.FrameTimeout <= 0 {
		l.FrameTimeout = d.FrameTimeout
	}
}

// ServerOptions configure a Server.
type ServerOptions struct {
	Keeper Keeper  // required
	Hub    Devices // required
	Site   string
	Limits Limits
	Clock  clock.Clock  // default clock.Real{}
	Log    *slog.Logger // default: silent
}

// Server is the hub's side of the BLE key protocol, above any transport:
// the BlueZ peripheral (Peripheral) and the tests' in-memory links feed it
// fragments per connection and carry its notifications. It owns the
// connections and their limits; the decisions are the Keeper's.
type Server struct {
	opts ServerOptions
	clk  clock.Clock
	log  *slog.Logger

	mu    sync.Mutex
	conns map[*Conn]struct{}
	stats Counters
}

// Counters count what the server did since it started.
type Counters struct {
	Connections int    `json:"connections"` // now
	Decisions   uint64 `json:"decisions"`   // audited decisions over BLE
	Granted     uint64 `json:"granted"`
	Refused     uint64 `json:"refused_connections"` // over MaxConnections
	Dropped     uint64 `json:"dropped_connections"` // bad frames, floods, timeouts
}

// NewServer returns a server; it starts nothing.
func NewServer(o ServerOptions) (*Server, error) {
	if o.Keeper == nil || o.Hub == nil {
		return nil, errors.New("ble: server needs a keeper and a device hub")
	}
	o.Limits.setDefaults()
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: o, clk: o.Clock, log: o.Log, conns: map[*Conn]struct{}{}}, nil
}

// Limits are the server's limits, defaults applied.
func (s *Server) Limits() Limits { return s.opts.Limits }

// Counters reports the connections now and what was decided.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stats
	c.Connections = len(s.conns)
	return c
}

// Link is a transport's connection to one central.
type Link interface {
	// Notify sends one notification fragment to the central.
	Notify(fragment []byte) error
	// Close drops the connection. The server calls it at most once, never
	// while holding its own locks on other connections.
	Close()
}

// Conn is one central's connection: its reassembler, limits and timer.
type Conn struct {
	s    *Server
	link Link
	name string // for logs: the transport's name of the central

	done chan struct{} // closed when the connection ends

	mu        sync.Mutex
	closed    bool
	mtu       int
	re        *Reassembler
	frames    bucket
	fragments bucket
	timer     clock.Timer
}

// Open accepts a central. Beyond MaxConnections it returns
// ErrTooManyConnections and the transport must drop the central.
func (s *Server) Open(l Link, name string, mtu int) (*Conn, error) {
	lim := s.opts.Limits
	now := s.clk.Now()
	c := &Conn{
		s: s, link: l, name: name, mtu: clampMTU(mtu), re: NewReassembler(lim.MaxFrame), done: make(chan struct{}),
		frames:    newBucket(lim.FramesPerSecond, 2*lim.FramesPerSecond, now),
		fragments: newBucket(lim.FragmentsPerSecond, 2*lim.FragmentsPerSecond, now),
	}
	s.mu.Lock()
	if len(s.conns) >= lim.MaxConnections {
		s.stats.Refused++
		s.mu.Unlock()
		s.log.Warn("ble: connection refused: too many", "central", name, "max", lim.MaxConnections)
		return nil, fmt.Errorf("%w (%d)", ErrTooManyConnections, lim.MaxConnections)
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	c.mu.Lock()
	c.armLocked()
	c.mu.Unlock()
	return c, nil
}

// SetMTU records the ATT MTU the transport negotiated with the central.
func (c *Conn) SetMTU(mtu int) {
	c.mu.Lock()
	c.mtu = clampMTU(mtu)
	c.mu.Unlock()
}

// Done is closed when the connection ends.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close forgets the connection (the central went away). It does not call
// the link's Close.
func (c *Conn) Close() { c.end("", false) }

// drop ends the connection for reason and drops the central.
func (c *Conn) drop(reason string) { c.end(reason, true) }

func (c *Conn) end(reason string, dropLink bool) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.done)
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	c.s.mu.Lock()
	delete(c.s.conns, c)
	if dropLink {
		c.s.stats.Dropped++
	}
	c.s.mu.Unlock()
	if dropLink {
		c.s.log.Warn("ble: connection dropped", "central", c.name, "reason", reason)
		c.link.Close()
	}
}

// armLocked (re)starts the connection's timer: the frame timeout while a
// frame is incomplete, else the idle timeout. c.mu must be held.
func (c *Conn) armLocked() {
	if c.timer != nil {
		c.timer.Stop()
	}
	d, why := c.s.opts.Limits.IdleTimeout, "idle"
	if c.re.Pending() {
		d, why = c.s.opts.Limits.FrameTimeout, "frame not completed in time"
	}
	c.timer = c.s.clk.AfterFunc(d, func() { c.drop(why) })
}

// Receive takes one write from the central and answers every frame it
// completes. Frames of one connection are handled in order, one at a
// time. A bad frame, a frame over the size limit or a flood of writes drops
// this connection (and only this one): Receive then returns the reason.
func (c *Conn) Receive(fragment []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	now := c.s.clk.Now()
	if !c.fragments.take(now) {
		return c.failLocked(ErrRateLimited)
	}
	if len(fragment) > WriteChunk(c.mtu) {
		return c.failLocked(fmt.Errorf("%w: a write of %d bytes at MTU %d", ErrBadFrame, len(fragment), c.mtu))
	}
	frames, err := c.re.Feed(fragment)
	if err != nil {
		return c.failLocked(err)
	}
	for _, b := range frames {
		f, err := DecodeFrame(b)
		if err != nil {
			return c.failLocked(err)
		}
		if !c.frames.take(now) {
			c.answerLocked(f.ID, TypeError, Error{Code: "rate_limited", Message: "too many requests on this connection: wait a second"})
			continue
		}
		typ, body, err := c.s.handle(f)
		if err != nil {
			return c.failLocked(err)
		}
		c.answerLocked(f.ID, typ, body)
	}
	c.armLocked()
	return nil
}

// failLocked ends the connection for err: the central is dropped once
// c.mu is released (Link.Close may call back into the transport).
func (c *Conn) failLocked(err error) error {
	c.mu.Unlock()
	c.drop(err.Error())
	c.mu.Lock()
	return err
}

// answerLocked sends an answer frame as notifications at the connection's
// MTU. A failed notification is logged: the central will time out and
// retry with a new challenge.
func (c *Conn) answerLocked(id uint32, typ uint, body any) {
	b, err := EncodeFrame(typ, id, "", body)
	if err != nil {
		c.s.log.Error("ble: encoding an answer", "type", typ, "err", err)
		return
	}
	for _, f := range SplitNotify(b, id, c.mtu) {
		if err := c.link.Notify(f); err != nil {
			c.s.log.Warn("ble: notification failed", "central", c.name, "err", err)
			return
		}
	}
}

// handle answers one request frame. An error is a bad frame (the
// connection is dropped); refusals are answers.
func (s *Server) handle(f *Frame) (uint, any, error) {
	switch f.Type {
	case TypeChallengeRequest:
		var req wire.ChallengeRequest
		if err := DecodeBody(f, &req); err != nil {
			return 0, nil, err
		}
		if e := s.offered(req.Device, req.Action); e != nil {
			return TypeError, *e, nil
		}
		ch, err := s.opts.Keeper.Challenge(req.Device, req.Action)
		switch {
		case errors.Is(err, localauth.ErrBadSpec):
			return TypeError, Error{Code: "bad_request", Message: err.Error()}, nil
		case err != nil:
			return TypeError, Error{Code: "store_error", Message: err.Error()}, nil
		}
		return TypeChallenge, wire.ChallengeAnswer{Challenge: ch, HubKey: s.opts.Keeper.HubPublicKey()}, nil
	case TypeAction:
		var req wire.ActionRequest
		if err := DecodeBody(f, &req); err != nil {
			return 0, nil, err
		}
		return s.action(f.Device, req)
	case TypeStatusRequest:
		var req StatusRequest
		if err := DecodeBody(f, &req); err != nil {
			return 0, nil, err
		}
		return s.grantStatus(req)
	default:
		return 0, nil, fmt.Errorf("%w: a phone sent frame type %d", ErrBadFrame, f.Type)
	}
}

// offered checks that device exists and action is one offered for its
// kind (devices.ResidentActions), as the LAN does before deciding.
func (s *Server) offered(device, action string) *Error {
	st, err := s.opts.Hub.Get(device)
	if err != nil {
		return &Error{Code: "unknown_device", Message: err.Error()}
	}
	if !slices.Contains(devices.ResidentActions[st.Kind], action) {
		return &Error{Code: "unknown_action", Message: fmt.Sprintf("%s %q: action %q is not offered", st.Kind, device, action)}
	}
	return nil
}

// action decides a phone-key action and, when granted and recorded, does
// it: the LAN's key path, with TransportBLE in the audit entry.
func (s *Server) action(device string, req wire.ActionRequest) (uint, any, error) {
	if req.Chain == nil || req.Proof == nil {
		// BLE has no sessions: a holder proof is the only way in.
		return TypeError, Error{Code: "bad_request", Message: "an action over BLE needs a grant chain and a proof"}, nil
	}
	if e := s.offered(device, req.Action); e != nil {
		return TypeError, *e, nil
	}
	d, err := s.opts.Keeper.Decide(localauth.Request{Chain: req.Chain, Proof: req.Proof, Device: device, Action: req.Action, Value: req.Value, Transport: localauth.TransportBLE})
	if err != nil {
		s.log.Error("ble: decision not recorded; nothing done", "device", device, "action", req.Action, "err", err)
		return TypeError, Error{Code: "audit_failed", Message: "the decision could not be recorded, so nothing was done; try again"}, nil
	}
	s.mu.Lock()
	s.stats.Decisions++
	if d.Granted {
		s.stats.Granted++
	}
	s.mu.Unlock()
	if !d.Granted {
		s.log.Info("ble: refused", "device", device, "action", req.Action, "reason", d.Reason, "name", d.Name)
		return TypeDecision, Decision{Error: &Error{Code: string(d.Reason), Message: "refused: " + string(d.Reason)}, Decision: d}, nil
	}
	st, err := s.opts.Hub.Do(device, req.Action, req.Value)
	if err != nil {
		return TypeError, Error{Code: deviceErrorCode(err), Message: err.Error()}, nil
	}
	s.log.Info("ble: action", "device", device, "action", req.Action, "name", d.Name, "audit", d.AuditSeq)
	return TypeDecision, Decision{State: &st, Decision: d}, nil
}

// deviceErrorCode is the LAN's error code for a device error.
func deviceErrorCode(err error) string {
	for _, c := range []struct {
		err  error
		code string
	}{
		{devices.ErrUnknownDevice, "unknown_device"}, {devices.ErrUnknownAction, "unknown_action"},
		{devices.ErrBadValue, "bad_value"}, {devices.ErrNotRecorded, "not_recorded"},
		{devices.ErrJournalBehind, "journal_behind"}, {devices.ErrShutdown, "shutting_down"},
	} {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "internal"
}

// grantStatus answers what a grant allows on this hub now. It needs no
// proof, so it tells nothing the grant does not already say, but for which
// of its devices exist here: a held grant (CheckGrant), or a delegation
// signed by the holder of a held owner grant.
func (s *Server) grantStatus(req StatusRequest) (uint, any, error) {
	refuse := func(r localauth.Reason) (uint, any, error) {
		return TypeError, Error{Code: string(r), Message: "refused: " + string(r)}, nil
	}
	if len(req.Chain) == 0 || len(req.Chain) > 2 {
		return refuse(localauth.ReasonMalformedGrant)
	}
	leaf, leafMsg, err := wire.ParseGrant(req.Chain[0])
	if err != nil {
		return refuse(localauth.ReasonMalformedGrant)
	}
	held, devs, acts := leaf.ID, leaf.Devices, leaf.Actions
	if leaf.Delegator != nil {
		if len(req.Chain) != 2 {
			return refuse(localauth.ReasonMissingDelegator)
		}
		owner, _, err := wire.ParseGrant(req.Chain[1])
		if err != nil || !slices.Equal(owner.ID, leaf.Delegator) {
			return refuse(localauth.ReasonChainMismatch)
		}
		key, _ := owner.HolderKey()
		v, err := wire.NewVerifier(key)
		if err != nil || leafMsg.Verify(v) != nil {
			return refuse(localauth.ReasonBadSignature)
		}
		held = owner.ID
	}
	sc, reason, err := s.opts.Keeper.CheckGrant(wire.IDFrom(held))
	if err != nil {
		return TypeError, Error{Code: "store_error", Message: err.Error()}, nil
	}
	if reason != "" {
		return refuse(reason)
	}
	ts := s.opts.Keeper.TimeStatus()
	out := GrantStatus{Site: s.opts.Site, Time: ts.Floor.Unix(), TimeTrusted: ts.Trusted, Devices: []StatusDevice{}}
	for _, st := range s.opts.Hub.List() {
		if !wire.Allows(sc.Devices, st.ID) || !wire.Allows(devs, st.ID) {
			continue
		}
		d := StatusDevice{ID: st.ID, Kind: st.Kind, Actions: []string{}}
		for _, a := range devices.ResidentActions[st.Kind] {
			if wire.Allows(sc.Actions, a) && wire.Allows(acts, a) {
				d.Actions = append(d.Actions, a)
			}
		}
		out.Devices = append(out.Devices, d)
	}
	return TypeStatus, out, nil
}

// bucket is a token bucket on the injected clock.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newBucket(rate, burst float64, now time.Time) bucket {
	return bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

func (b *bucket) take(now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = math.Min(b.burst, b.tokens+d.Seconds()*b.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}
