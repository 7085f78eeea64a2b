package localauth

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Options configure a Keeper. Zero values get the defaults documented on
// each field.
type Options struct {
	Site        string             // required: the site id grants must name (aud)
	Location    *time.Location     // the site's time zone, for schedules; default UTC
	Authorities []crypto.PublicKey // pinned authority keys; grants signed by others are refused
	Store       *store.Store       // required
	// SecState is the directory of the security state kept apart from the
	// store (config.SecStatePath): hub key, revocation snapshot, time floor,
	// PIN lockouts, the audit chain's head. Required: without it a recovered
	// store would reopen revoked keys.
	SecState *secstate.Dir
	// BuildTime: the trusted-time floor never starts below it; default
	// BuildTime() (the binary's).
	BuildTime time.Time
	Clock     clock.Clock  // default clock.Real{}
	Log       *slog.Logger // default: silent
	// CloudSync: a cloud link is configured, so audit entries are pruned
	// only once the cloud has acknowledged their events (see pruneAudit).
	CloudSync bool

	MaxGrants       int // imported grants; default 10 000
	MaxRevoked      int // grant ids + key ids in one snapshot; default 10 000
	MaxAuditEntries int // audit entries kept on the hub; default 50 000 (see appendAudit)

	// ChallengeTTL is how long a nonce may be answered; default and maximum
	// 30 s.
	ChallengeTTL time.Duration
	// TrustedTimeBound: requires_trusted_time grants are refused when the
	// last time anchor is older than this; default 24 h.
	TrustedTimeBound time.Duration
	// PersistEvery is how often the time floor is written while running;
	// default 10 min. Decisions do not write it (an SD card wears), but every
	// audit entry carries the floor, so restarts lose little.
	PersistEvery time.Duration

	PIN PINPolicy

	// Vehicle, when set, adds a car's rules to Decide (vehicle.go).
	Vehicle *VehiclePolicy

	// NTPSynced reports whether the kernel clock is NTP-synchronised; default
	// asks the kernel (adjtimex). Tests inject their own.
	NTPSynced func() bool
}

// PINPolicy is the wrong-PIN lockout: after Attempts consecutive wrong
// entries a user is locked out for Lockout, and each further wrong entry
// doubles it, up to MaxLockout. A right entry resets the count.
type PINPolicy struct {
	Attempts   int           // default 5
	Lockout    time.Duration // default 1 min
	MaxLockout time.Duration // default 1 h
}

// MaxChallengeTTL is the longest a challenge may live (DESIGN.md).
const MaxChallengeTTL = 30 * time.Second

func (o *Options) setDefaults() error {
	if o.Store == nil {
		return fmt.Errorf("%w: no store", ErrBadSpec)
	}
	if o.SecState == nil {
		return fmt.Errorf("%w: no security-state directory", ErrBadSpec)
	}
	if o.Site == "" {
		return fmt.Errorf("%w: no site id", ErrBadSpec)
	}
	if o.BuildTime.IsZero() {
		o.BuildTime = BuildTime()
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxGrants <= 0 {
		o.MaxGrants = 10000
	}
	if o.MaxRevoked <= 0 {
		o.MaxRevoked = 10000
	}
	if o.MaxRevoked > wire.MaxArrayElements {
		return fmt.Errorf("%w: MaxRevoked %d is above what a snapshot can carry (%d)", ErrBadSpec, o.MaxRevoked, wire.MaxArrayElements)
	}
	if o.MaxAuditEntries <= 0 {
		o.MaxAuditEntries = 50000
	}
	if o.ChallengeTTL <= 0 || o.ChallengeTTL > MaxChallengeTTL {
		o.ChallengeTTL = MaxChallengeTTL
	}
	if o.TrustedTimeBound <= 0 {
		o.TrustedTimeBound = 24 * time.Hour
	}
	if o.PersistEvery <= 0 {
		o.PersistEvery = 10 * time.Minute
	}
	if o.PIN.Attempts <= 0 {
		o.PIN.Attempts = 5
	}
	if o.PIN.Lockout <= 0 {
		o.PIN.Lockout = time.Minute
	}
	if o.PIN.MaxLockout < o.PIN.Lockout {
		o.PIN.MaxLockout = max(time.Hour, o.PIN.Lockout)
	}
	if o.NTPSynced == nil {
		o.NTPSynced = kernelNTPSynced
	}
	if v := o.Vehicle; v != nil {
		if v.State == nil {
			return fmt.Errorf("%w: a vehicle policy without a way to read the car's state", ErrBadSpec)
		}
		if v.ProofWithin <= 0 {
			v.ProofWithin = DefaultVehiclePolicy.ProofWithin
		}
		if v.DoorWithin <= 0 {
			v.DoorWithin = DefaultVehiclePolicy.DoorWithin
		}
	}
	return nil
}

// Keeper is the hub's local authority: it holds the imported grants, the
// revocation snapshot, the nonces, the PIN lockouts and the trusted-time
// floor, and decides. Its methods are safe for concurrent use.
type Keeper struct {
	opts        Options
	st          *store.Store
	sec         *secstate.Dir
	clk         clock.Clock
	log         *slog.Logger
	authorities map[wire.ID]*wire.Verifier
	chains      chainCache // grant chains whose signatures verified
	hubKey      ed25519.PrivateKey
	hubID       wire.ID

	importMu sync.Mutex // imports are rare; one at a time keeps capacity checks exact
	pinMu    sync.Mutex // one argon2 at a time bounds memory to one verifier's cost

	mu        sync.Mutex
	closed    bool
	tt        trustedTime
	grants    map[wire.ID]*grantEntry
	byName    map[string][]*grantEntry
	revGrants map[wire.ID]struct{}
	revKeys   map[wire.ID]struct{}
	serial    uint64
	revIssued int64 // the snapshot's issued-at, Unix s
	// revLost is the trusted time at which the revocation list was found
	// lost (store recovered, its record unreadable); zero when it is known.
	// See revLostRefuses.
	revLost time.Time
	// doorUnlocks: when each holder key last had a car door unlock
	// granted, for VehiclePolicy.DoorFirst (in memory: a restart asks for
	// the door again).
	doorUnlocks map[wire.ID]time.Time
	warnings    []string // problems found at start that a person must act on
	ch          challenges
	timer       clock.Timer

	audit auditState // the audit chain's head outside the store

	observer decisionObserver // see ObserveDecisions

	pins   pinLockouts // k.pinMu
	argon2 argon2Func  // nil: argon2.IDKey; tests count the calls
}

// New opens the keeper's state in opts.Store (creating its buckets and the
// hub identity key on first start) and loads it.
func New(opts Options) (*Keeper, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	k := &Keeper{
		opts: opts, st: opts.Store, sec: opts.SecState, clk: opts.Clock, log: opts.Log,
		authorities: make(map[wire.ID]*wire.Verifier),
		grants:      make(map[wire.ID]*grantEntry),
		byName:      make(map[string][]*grantEntry),
		revGrants:   make(map[wire.ID]struct{}),
		revKeys:     make(map[wire.ID]struct{}),
		ch:          newChallenges(),
		pins:        newPINLockouts(),
	}
	if err := wire.CheckName("site", opts.Site); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSpec, err)
	}
	for i, pub := range opts.Authorities {
		v, err := wire.NewVerifier(pub)
		if err != nil {
			return nil, fmt.Errorf("%w: authority key %d: %v", ErrBadSpec, i+1, err)
		}
		k.authorities[v.KeyID] = v
	}
	if len(k.authorities) == 0 {
		k.log.Warn("localauth: no authority keys pinned; every grant will be refused")
	}

	err := k.st.Update(func(tx *store.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		// Nonces were kept here before challenges became stateless.
		if err := tx.DeleteBucket([]byte("auth_nonces")); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("localauth: initialising the store: %w", err)
	}
	seed, ran, err := k.loadHubKey()
	if err != nil {
		return nil, fmt.Errorf("localauth: hub key: %w", err)
	}
	k.hubKey = ed25519.NewKeyFromSeed(seed)
	k.hubID, _ = wire.KeyIDOf(k.hubKey.Public())
	k.tt.floor = time.Unix(0, 0).UTC()
	if err := k.st.View(k.load); err != nil {
		return nil, fmt.Errorf("localauth: loading: %w", err)
	}
	if err := k.mergeDurable(ran); err != nil {
		return nil, fmt.Errorf("localauth: loading %s: %w", k.sec.Path(), err)
	}
	k.mu.Lock()
	k.advanceLocked()
	k.mu.Unlock()
	k.audit.start(opts.SecState, k.clk, k.log)
	if err := k.anchorAfterRecovery(); err != nil {
		k.audit.close()
		return nil, fmt.Errorf("localauth: anchoring the audit log after a store recovery: %w", err)
	}
	k.timer = k.clk.AfterFunc(opts.PersistEvery, k.persistTick)
	return k, nil
}

// load reads the keeper's state from the store.
//
// Grants are NOT re-verified here: each was verified against a pinned
// authority key when it was imported, and only then written. Whoever can
// change the store file can also change the pinned keys in the config or
// the binary itself, so verifying again would not stop them; it would only
// cost 10 000 signature checks (about half a second on a Pi) before the hub
// serves its first request. What load does check is that the signer is
// still pinned, so that removing an authority from the config retires its
// grants.
func (k *Keeper) load(tx *store.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if b := meta.Get(keyFloor); b != nil {
		if t, _, err := parseTimeRecord(b); err == nil {
			k.tt.raise(t)
		}
	}
	if b := meta.Get(keyAnchor); b != nil {
		if t, src, err := parseTimeRecord(b); err == nil {
			k.tt.anchor, k.tt.anchorSrc = t, src // shown, but not trusted: see trustedTime
		}
	}
	// The newest audit entry carries the floor at its decision: a floor
	// written with every decision at no extra cost.
	if _, v := tx.Bucket(bucketAudit).Cursor().Last(); len(v) > wire.HashSize {
		if e, err := wire.DecodeAuditEntry(v[wire.HashSize:]); err == nil {
			k.tt.raise(time.UnixMilli(e.Time))
		}
	}

	if b := meta.Get(keySnapshot); b != nil {
		// Not re-verified, for the reason above. Kept even if its authority
		// is no longer pinned: keeping a revocation is always safe.
		r, _, err := wire.ParseRevocation(b)
		if err != nil {
			k.log.Error("localauth: stored revocation snapshot is unreadable; revocations lost until the next snapshot", "err", err)
		} else {
			k.setRevocations(r)
		}
	}

	var skipped, bad int
	err := tx.Bucket(bucketGrantIndex).ForEach(func(id, v []byte) error {
		g, err := unmarshalGrantEntry(id, v)
		if err != nil {
			bad++
			return nil
		}
		if _, ok := k.authorities[g.signer]; !ok {
			skipped++
			return nil
		}
		k.addGrant(g)
		return nil
	})
	if err != nil {
		return err
	}
	if bad > 0 {
		k.log.Error("localauth: unreadable grant records ignored", "count", bad)
	}
	if skipped > 0 {
		k.log.Warn("localauth: grants of authorities no longer pinned ignored", "count", skipped)
	}
	return nil
}

func (k *Keeper) addGrant(g *grantEntry) {
	if old := k.grants[g.id]; old != nil {
		k.removeGrant(old)
	}
	k.grants[g.id] = g
	k.byName[g.name] = append(k.byName[g.name], g)
}

func (k *Keeper) removeGrant(g *grantEntry) {
	delete(k.grants, g.id)
	list := k.byName[g.name]
	for i, x := range list {
		if x == g {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(k.byName, g.name)
	} else {
		k.byName[g.name] = list
	}
}

func (k *Keeper) setRevocations(r *wire.RevocationSnapshot) {
	k.revGrants, k.revKeys = idSet(r.Grants), idSet(r.Keys)
	k.serial, k.revIssued = r.Serial, r.IssuedAt
}

func idSet(ids [][]byte) map[wire.ID]struct{} {
	m := make(map[wire.ID]struct{}, len(ids))
	for _, id := range ids {
		m[wire.IDFrom(id)] = struct{}{}
	}
	return m
}

// Close writes the time floor and stops the keeper's timer. It does not
// close the store, which belongs to the caller.
func (k *Keeper) Close() error {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	k.closed = true
	k.timer.Stop()
	k.mu.Unlock()
	k.audit.close()
	return k.persistTime()
}

// persistTick writes the floor and schedules the next write.
func (k *Keeper) persistTick() {
	if err := k.persistTime(); err != nil {
		k.log.Warn("localauth: writing the time floor failed", "err", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.closed {
		k.timer = k.clk.AfterFunc(k.opts.PersistEvery, k.persistTick)
	}
}

func (k *Keeper) persistTime() error {
	k.mu.Lock()
	k.advanceLocked()
	tt := k.tt
	k.mu.Unlock()
	// The record first: it is what survives a lost store.
	if err := k.sec.Save(recTime, timeFileRecord(tt)); err != nil {
		return fmt.Errorf("localauth: saving the time floor: %w", err)
	}
	return k.st.Update(func(tx *store.Tx) error { return putTime(tx, tt) })
}

func putTime(tx *store.Tx, tt trustedTime) error {
	meta := tx.Bucket(bucketMeta)
	if err := meta.Put(keyFloor, timeRecord(tt.floor, "")); err != nil {
		return err
	}
	if tt.anchor.IsZero() {
		return nil
	}
	return meta.Put(keyAnchor, timeRecord(tt.anchor, tt.anchorSrc))
}

// advanceLocked brings the floor up to date; k.mu must be held.
func (k *Keeper) advanceLocked() {
	k.tt.advance(k.clk.Now(), k.opts.NTPSynced())
}

// TimeStatus reports the trusted-time floor, the last anchor and whether
// time is trusted (an anchor in this run no older than the bound).
func (k *Keeper) TimeStatus() TimeStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.advanceLocked()
	return k.tt.status(k.opts.TrustedTimeBound)
}

// HubID is the hub's key id: the "hub" of its challenges, which proofs must
// name.
func (k *Keeper) HubID() wire.ID { return k.hubID }

// HubPublicKey is the hub identity key, for phones to pin.
func (k *Keeper) HubPublicKey() ed25519.PublicKey { return k.hubKey.Public().(ed25519.PublicKey) }

// Status is the keeper's state for the admin socket.
type Status struct {
	Site           string      `json:"site"`
	HubID          wire.ID     `json:"hub_id"`
	Authorities    []wire.ID   `json:"authorities"`
	Grants         int         `json:"grants"`
	MaxGrants      int         `json:"max_grants"`
	RevokedGrants  int         `json:"revoked_grants"`
	RevokedKeys    int         `json:"revoked_keys"`
	MaxRevoked     int         `json:"max_revoked"`
	SnapshotSerial uint64      `json:"snapshot_serial"`
	Time           TimeStatus  `json:"time"`
	Audit          AuditStatus `json:"audit"`
	SecState       string      `json:"secstate"` // the security-state directory
	// RevocationsLost is when the revocation list was found lost (a store
	// recovery with its record unreadable); zero when it is known. Until a
	// snapshot issued after it arrives, only owner grants and grants issued
	// after it open anything.
	RevocationsLost time.Time `json:"revocations_lost,omitzero"`
	// Warnings are problems a person must act on, in words.
	Warnings []string `json:"warnings,omitempty"`
}

// Status reports counts, the snapshot serial, the hub id and the time.
func (k *Keeper) Status() Status {
	audit := k.AuditStatus()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.advanceLocked()
	s := Status{
		Site: k.opts.Site, HubID: k.hubID,
		Grants: len(k.grants), MaxGrants: k.opts.MaxGrants,
		RevokedGrants: len(k.revGrants), RevokedKeys: len(k.revKeys), MaxRevoked: k.opts.MaxRevoked,
		SnapshotSerial: k.serial,
		Time:           k.tt.status(k.opts.TrustedTimeBound), Audit: audit, SecState: k.sec.Path(),
		RevocationsLost: k.revLost,
	}
	if !k.revLost.IsZero() {
		s.Warnings = append(s.Warnings, fmt.Sprintf("DEGRADED: revocation list lost in a store recovery at %s; guests and residents whose grants were issued before then are refused (owners still open) until a revocation snapshot issued after then arrives: ask your operator to issue one (edgeagent revoke) and import it", k.revLost.Format(time.RFC3339)))
	}
	s.Warnings = append(s.Warnings, k.warnings...)
	for id := range k.authorities {
		s.Authorities = append(s.Authorities, id)
	}
	sortIDs(s.Authorities)
	return s
}

func sortIDs(ids []wire.ID) {
	slices.SortFunc(ids, func(a, b wire.ID) int { return bytes.Compare(a[:], b[:]) })
}
