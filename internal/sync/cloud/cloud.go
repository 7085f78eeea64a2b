// Package cloud owns the hub's sync with the cloud over MQTT: it drains the
// outbox to {prefix}/{site}/evt, keeps the reported state retained on
// .../state, and takes signed commands (.../cmd), credentials (.../cred)
// and desired settings (.../cfg) in, each verified against the pinned
// authority keys and the site before anything happens.
//
// Nothing local waits on it (DESIGN.md principle 1): devices and localauth
// append to the store's event log whether the link is up or not, and this
// package reads that log. Its state lives in the store, in buckets
// prefixed "sync_": the outbox counters (package outbox), the ids of
// executed commands and the settings versions.
package cloud

import (
	"context"
	"crypto"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/hlc"
	"github.com/edgeagent/edgeagent/internal/liveness"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/chunk"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/sync/outbox"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Devices is what the sync needs of the device hub.
type Devices interface {
	Do(id, action, value string) (devices.State, error)
	List() []devices.State
}

// Keeper is what the sync needs of localauth: the credential mailbox and
// the trusted-time floor.
type Keeper interface {
	Import(b []byte) (localauth.ImportResult, error)
	TimeStatus() localauth.TimeStatus
}

// Options configure a Service.
type Options struct {
	Site        string             // required
	Store       *store.Store       // required
	Devices     Devices            // required
	Keeper      Keeper             // required
	Authorities []crypto.PublicKey // pinned: commands, settings and credentials must be signed by one
	// Link is the broker connection (URL, client id, credentials, TLS,
	// keepalive, backoff, power-on delay). New sets its status topic, will
	// and subscriptions.
	Link mqttlink.Options
	// TopicPrefix is the first topic level(s); default "edgeagent".
	TopicPrefix string
	// Window is how many event publishes may await their PUBACK; default 64.
	Window int
	// DrainRate caps event publishes per second (a fleet draining its
	// backlog after a regional outage must not flatten the platform);
	// default 200.
	DrainRate float64
	// StateInterval is the least time between two state documents; default 1 s.
	StateInterval time.Duration
	Limits        outbox.Limits // per-class outbox bounds
	// MaxCommandIDs bounds the executed command ids remembered; default 10 000.
	MaxCommandIDs int
	Clock         clock.Clock  // default clock.Real{}
	Log           *slog.Logger // default: silent
	// Liveness, when not nil, gets the cloud loop (the outbox loop, which
	// turns every outboxRefresh whether the link is up or not) as a loop
	// that is not required: offline is normal, so its stall is reported
	// in the status but never withholds the watchdog.
	Liveness *liveness.Registry
}

// Defaults.
const (
	DefaultTopicPrefix   = "edgeagent"
	DefaultWindow        = 64
	DefaultDrainRate     = 200
	DefaultStateInterval = time.Second
	DefaultMaxCommandIDs = 10_000
)

// Topics are one site's topics.
type Topics struct {
	Evt, State, Status, Cmd, Cred, Cfg string
}

// NewTopics returns {prefix}/{site}/evt and the others.
func NewTopics(prefix, site string) Topics {
	p := prefix + "/" + site + "/"
	return Topics{Evt: p + "evt", State: p + "state", Status: p + "status", Cmd: p + "cmd", Cred: p + "cred", Cfg: p + "cfg"}
}

// Status payloads (retained on the status topic; "offline" is also the
// last will).
var (
	Online  = []byte("online")
	Offline = []byte("offline")
)

// Service is the cloud sync. Run it once.
type Service struct {
	opts      Options
	site      string
	instance  []byte
	topics    Topics
	st        *store.Store
	dev       Devices
	keeper    Keeper
	verifiers map[wire.ID]*wire.Verifier
	link      *mqttlink.Link
	ob        *outbox.Outbox
	hlc       *hlc.Clock
	clk       clock.Clock
	log       *slog.Logger
	wake      chan struct{} // the outbox has new events
	asm       chunk.Assembler
	refusals  limiter
	keepAlive time.Duration

	mu         sync.Mutex
	lastSync   time.Time // last PUBACK of an event
	cmdIDs     int       // remembered command ids
	settings   settingsState
	lastStale  uint64 // the last stale settings version reported
	suppressed uint64 // refusal events not written (rate limit) since the last one
}

// New prepares the service: it opens the outbox (finishing a delete a crash
// interrupted) and loads the remembered command ids and settings.
func New(opts Options) (*Service, error) {
	if opts.Store == nil || opts.Devices == nil || opts.Keeper == nil {
		return nil, fmt.Errorf("%w: store, devices and keeper are required", ErrBadOptions)
	}
	if err := wire.CheckName("site", opts.Site); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadOptions, err)
	}
	if opts.TopicPrefix == "" {
		opts.TopicPrefix = DefaultTopicPrefix
	}
	if err := CheckPrefix(opts.TopicPrefix); err != nil {
		return nil, err
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.DrainRate <= 0 {
		opts.DrainRate = DefaultDrainRate
	}
	if opts.StateInterval <= 0 {
		opts.StateInterval = DefaultStateInterval
	}
	if opts.MaxCommandIDs <= 0 {
		opts.MaxCommandIDs = DefaultMaxCommandIDs
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	instance, err := outbox.ParseInstance(opts.Store.Instance())
	if err != nil {
		return nil, err
	}
	s := &Service{
		opts: opts, site: opts.Site, instance: instance, topics: NewTopics(opts.TopicPrefix, opts.Site),
		st: opts.Store, dev: opts.Devices, keeper: opts.Keeper, verifiers: map[wire.ID]*wire.Verifier{},
		clk: opts.Clock, log: opts.Log, wake: make(chan struct{}, 1),
		asm:      chunk.Assembler{Clock: opts.Clock},
		refusals: limiter{rate: 1, burst: 20},
	}
	for i, pub := range opts.Authorities {
		v, err := wire.NewVerifier(pub)
		if err != nil {
			return nil, fmt.Errorf("%w: authority key %d: %v", ErrBadOptions, i+1, err)
		}
		s.verifiers[v.KeyID] = v
	}
	if len(s.verifiers) == 0 {
		s.log.Warn("cloud: no authority keys pinned; every command, setting and credential from the cloud will be refused")
	}
	s.ob, err = outbox.Open(outbox.Options{Store: opts.Store, Limits: opts.Limits, Clock: opts.Clock, Log: opts.Log})
	if err != nil {
		return nil, err
	}
	// The store owns the clock and stamps every event with it; an older
	// agent's saved value may still be above the last stamped event.
	s.hlc = opts.Store.HLC()
	if err := s.hlc.Update(s.ob.LegacyHLC()); err != nil {
		s.log.Warn("cloud: raising the clock to the saved one", "err", err)
	}
	if err := s.load(); err != nil {
		return nil, err
	}

	lo := opts.Link
	lo.StatusTopic, lo.Online, lo.Offline = s.topics.Status, Online, Offline
	// cred/# also matches cred itself (MQTT 3.1.1 §4.7.1.2); the levels
	// below it let a cloud keep many documents retained (one per grant, the
	// parts of a split snapshot).
	lo.Subscriptions = []string{s.topics.Cmd, s.topics.Cred + "/#", s.topics.Cfg}
	lo.MaxPayload = outbox.MaxPayload
	lo.OnTooLarge = s.tooLarge
	if lo.Clock == nil {
		lo.Clock = opts.Clock
	}
	if lo.Log == nil {
		lo.Log = opts.Log
	}
	s.keepAlive = lo.KeepAlive
	if s.keepAlive <= 0 {
		s.keepAlive = mqttlink.DefaultKeepAlive
	}
	if s.link, err = mqttlink.New(lo); err != nil {
		return nil, err
	}
	return s, nil
}

// Bucket names and keys of this package.
var (
	commandsBucket = []byte("sync_commands") // command id -> expires-at (8 bytes, Unix s)
	settingsBucket = []byte("sync_settings")
	settingsKey    = []byte("state")
)

func (s *Service) load() error {
	return s.st.Update(func(tx *store.Tx) error {
		b, err := tx.CreateBucketIfNotExists(commandsBucket)
		if err != nil {
			return err
		}
		s.cmdIDs = b.Stats().KeyN
		sb, err := tx.CreateBucketIfNotExists(settingsBucket)
		if err != nil {
			return err
		}
		s.settings = loadSettings(sb.Get(settingsKey), s.log)
		return nil
	})
}

// CheckPrefix accepts a topic prefix of 1..4 non-empty levels with no
// wildcards: with site, kind and two levels under cred, a topic then has at
// most 7 slashes (AWS IoT Core's limit).
func CheckPrefix(p string) error {
	if p == "" || strings.ContainsAny(p, "+#\x00") || strings.HasPrefix(p, "$") {
		return fmt.Errorf("%w: topic prefix %q: empty, a wildcard or $-topic", ErrBadOptions, p)
	}
	levels := strings.Split(p, "/")
	if len(levels) > MaxPrefixLevels {
		return fmt.Errorf("%w: topic prefix %q has %d levels, at most %d (topics may have at most 7 slashes)", ErrBadOptions, p, len(levels), MaxPrefixLevels)
	}
	for _, l := range levels {
		if l == "" {
			return fmt.Errorf("%w: topic prefix %q has an empty level", ErrBadOptions, p)
		}
	}
	return nil
}

// MaxPrefixLevels: prefix (4 levels) / site / cred / name / part = 7 slashes.
const MaxPrefixLevels = 4

// Run drains, publishes and listens until ctx ends. It never returns
// early: a broker that is down is retried, not reported as a failure.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	live := s.opts.Liveness.Add("cloud outbox loop", cloudBound, false)
	wg.Go(func() { s.outboxLoop(ctx, live) })
	wg.Go(func() { s.inboundLoop(ctx) })
	err := s.link.Run(ctx, s.session)
	wg.Wait()
	if ferr := s.ob.Flush(); ferr != nil {
		s.log.Warn("cloud: saving outbox counters at stop", "err", ferr)
	}
	return err
}

// outboxRefresh is how often the event log is checked for new events: the
// added latency of a live event, and nearly free when there is none.
const (
	outboxRefresh = 100 * time.Millisecond
	outboxFlush   = 10 * time.Second
	// cloudBound is how long the outbox loop may go without a turn before
	// the status calls it stalled: a refresh on a slow SD card included.
	cloudBound = 30 * time.Second
)

// outboxLoop counts new events (applying the class bounds even while the
// link is down, which is when they fill up) and wakes the drain.
func (s *Service) outboxLoop(ctx context.Context, live *liveness.Loop) {
	lastFlush := s.clk.Now()
	var lastErr string // logged once until it changes: a failing disk must not fill itself with lines
	for {
		live.Beat()
		found, err := s.ob.Refresh()
		switch {
		case err == nil:
			lastErr = ""
		case err.Error() != lastErr:
			lastErr = err.Error()
			s.log.Error("cloud: outbox", "err", err)
		}
		if found {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
		if now := s.clk.Now(); now.Sub(lastFlush) >= outboxFlush {
			lastFlush = now
			if err := s.ob.Flush(); err != nil {
				s.log.Warn("cloud: saving outbox counters", "err", err)
			}
		}
		if !sleep(ctx, s.clk, outboxRefresh) {
			return
		}
	}
}

// Status is the cloud link's state for GET /v1/status ("cloud").
type Status struct {
	mqttlink.Status
	Topic           string            `json:"topic_prefix"`
	Pending         map[string]int    `json:"pending"` // queued events per class
	PendingTotal    int               `json:"pending_total"`
	OldestPending   time.Time         `json:"oldest_pending,omitzero"`
	OldestPendingS  float64           `json:"oldest_pending_age_s,omitempty"`
	Dropped         map[string]uint64 `json:"dropped,omitempty"`  // shed by the outbox bounds since start
	LastSync        time.Time         `json:"last_sync,omitzero"` // last event acknowledged by the broker
	Warnings        []string          `json:"warnings,omitempty"`
	SettingsVersion uint64            `json:"settings_version,omitempty"`
	Overrides       []string          `json:"local_overrides,omitempty"` // settings changed locally since the cloud's version
	CommandIDs      int               `json:"command_ids"`               // executed command ids remembered
}

// Status reports the link, the outbox and the inbound state.
func (s *Service) Status() Status {
	ls := s.link.Status()
	ob := s.ob.Stats()
	st := Status{Status: ls, Topic: s.opts.TopicPrefix, Pending: map[string]int{}, PendingTotal: ob.Total, Dropped: map[string]uint64{}}
	for c, n := range ob.Pending {
		st.Pending[string(c)] = n
	}
	for c, n := range ob.Dropped {
		st.Dropped[string(c)] = n
	}
	if !ob.Oldest.IsZero() {
		st.OldestPending = ob.Oldest
		st.OldestPendingS = max(0, s.clk.Now().Sub(ob.Oldest).Seconds())
	}
	if ob.AuditFull {
		st.Warnings = append(st.Warnings, fmt.Sprintf("audit outbox full: %d queued, limit %d; still queueing, nothing dropped",
			ob.Pending[store.ClassAudit], ob.Limits.Audit))
	}
	if tl := ls.TooLarge; tl != nil {
		on := "a packet"
		if tl.Topic != "" {
			on = "a message on " + tl.Topic
		}
		st.Warnings = append(st.Warnings, fmt.Sprintf("the broker sent %s of %d bytes (limit %d) at %s: the connection was dropped before reading it (%d times since start); if it is retained, clear it at the broker",
			on, tl.Size, tl.Limit, tl.At.UTC().Format(time.RFC3339), tl.Count))
	}
	if ls.Refused && !ls.Connected {
		st.Warnings = append(st.Warnings, "the broker refuses this hub: "+ls.LastError)
	}
	s.mu.Lock()
	st.LastSync, st.CommandIDs, st.SettingsVersion = s.lastSync, s.cmdIDs, s.settings.Version
	for k := range s.settings.Overrides {
		st.Overrides = append(st.Overrides, k)
	}
	s.mu.Unlock()
	return st
}

// sleep waits d on clk; false if ctx ended first.
func sleep(ctx context.Context, clk clock.Clock, d time.Duration) bool {
	ch := make(chan struct{})
	t := clk.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		t.Stop()
		return false
	}
}

// limiter is a token bucket on the service's clock.
type limiter struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

// take spends a token if there is one; else it says how long until there is.
func (l *limiter) take(now time.Time) (bool, time.Duration) {
	if l.last.IsZero() {
		l.tokens = l.burst
	} else if d := now.Sub(l.last); d > 0 {
		l.tokens = min(l.burst, l.tokens+d.Seconds()*l.rate)
	}
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return true, 0
	}
	return false, time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
}
