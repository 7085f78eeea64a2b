// Package store owns the agent's bbolt file and its write-ahead log: opening them, the schema version,
// the integrity check at boot, recovery of a corrupt file, group commit, checkpoints, device state, the
// event log and the hybrid logical clock that stamps each event as it is appended (its ceiling
// reserved in secstate, see initClock).
//
// A commit is one record appended to the log and flushed; the bbolt file is written only at
// checkpoints, and Open replays the log after a crash (wal.go says why: an SD card).
//
// Other packages keep their own buckets in the same file by creating them inside Update, through
// *Tx (which logs every change), so that a state change and the event recording it commit in one
// transaction.
package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/edgeagent/edgeagent/internal/hlc"
	"github.com/edgeagent/edgeagent/internal/secstate"
)

// schemaVersion is the layout this code reads and writes. A file with another
// version is moved aside at Open: guessing at a layout risks obeying stale or
// misread credentials.
const schemaVersion = 1

// Bucket names. Only this package touches them; other packages make their own.
var (
	metaBucket    = []byte("meta")    // schema version, boot epoch
	devicesBucket = []byte("devices") // device id → state bytes (owned by the devices package)
	eventsBucket  = []byte("events")  // big-endian uint64 seq → CBOR event

	versionKey  = []byte("version")
	bootKey     = []byte("boot")
	instanceKey = []byte("instance")
	hlcKey      = []byte("hlc") // the last HLC stamped on an event (8 bytes)
)

// hlcRecord is the secstate record of the HLC's ceiling (8 bytes,
// big-endian): no event in any store file ever had a higher HLC.
const hlcRecord = "hlc"

// hlcAhead is how far beyond the wall clock the HLC's ceiling is reserved:
// at most one small fsync'd write per minute of events.
const hlcAhead = time.Minute

// Options configure Open. The zero value is ready to use.
type Options struct {
	Log         *slog.Logger     // default: discard (a library is silent unless given a logger)
	LockTimeout time.Duration    // how long to wait for the file lock; default 1s
	Now         func() time.Time // default time.Now
	// SecState keeps the HLC's ceiling outside the store file, so that a
	// store recovered empty still stamps events above every HLC it ever
	// issued. Nil: the ceiling is kept only in the file (tests, tools).
	SecState *secstate.Dir
	// Retention bounds the event log (local history); zero fields get the
	// defaults.
	Retention Retention
	// TelemetryDelay is how long writes of UpdateTelemetry may wait for a
	// flush of the log: what a power cut may lose of them. Default 1s.
	TelemetryDelay time.Duration
}

// Observe sets the observer told of every group commit and of every event
// in a committed transaction (the agent's metrics); nil stops it. Safe at
// any time.
func (s *Store) Observe(o Observer) {
	if o == nil {
		s.observer.Store(nil)
		return
	}
	s.observer.Store(&o)
}

// Observer watches the store for metrics. Its methods run on the committing
// goroutine, after the commit: they must be quick and never call the store.
type Observer interface {
	// Committed reports one group commit: how long bbolt's Update took
	// (the fsync included) and its error, nil when durable.
	Committed(d time.Duration, err error)
	// Recorded reports one event of class c made durable.
	Recorded(c Class)
}

func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.LockTimeout <= 0 {
		// bbolt waits forever on 0; a second agent started by mistake must fail
		// visibly instead of hanging before it serves local control.
		o.LockTimeout = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Retention = o.Retention.withDefaults()
	if o.TelemetryDelay <= 0 {
		o.TelemetryDelay = time.Second
	}
	return o
}

// Report says what Open found.
type Report struct {
	Path      string
	Recovered bool   // the file was corrupt/unreadable/of an unknown schema and was moved aside; the store is new and empty
	MovedTo   string // where the bad file went (e.g. state.db.corrupt-20261122T101500Z)
	Reason    string // why, in words a person can act on
	Boot      uint64 // this run's boot epoch (incremented and persisted at every Open)
}

// Store is the open bbolt file. Its methods are safe for concurrent use.
type Store struct {
	db       *bbolt.DB
	path     string
	boot     uint64
	instance string
	log      *slog.Logger
	now      func() time.Time
	report   Report
	tmp      string // OpenReadOnly's copy with the log replayed, removed at Close
	hlc      *hlc.Clock
	ret      Retention
	observer atomic.Pointer[Observer] // see Observe
	// overBound wakes Run when an append takes the log over its size bound,
	// checkpointDue when the write-ahead log is long.
	overBound, checkpointDue chan struct{}

	mu      sync.Mutex
	closed  bool
	queue   []*call        // Update calls waiting for the next group commit
	busy    bool           // a leader is committing; new calls queue up behind it
	active  sync.WaitGroup // Update calls in progress; Close waits for them
	lastErr string         // last commit failure, for Health
	lastLog time.Time      // when a commit failure was last logged (rate limit)
	heldLog time.Time      // when a held log over its bound was last logged

	commits     atomic.Uint64 // committed groups (tests, benchmarks)
	checkpoints atomic.Uint64 // checkpoints of the log into the file (tests, benchmarks)

	// txMu guards the open transaction and the log. Every read and write
	// since the last checkpoint goes through wtx, the one bbolt write
	// transaction that holds them (wal.go): bbolt's file has only what was
	// checkpointed.
	txMu           sync.Mutex
	wtx            *bbolt.Tx // nil: nothing written since the last checkpoint
	wal            *wal
	pend           [][]byte // the log's records since the checkpoint, to replay into a new wtx
	pendSynced     int      // how many of pend are flushed (the rest is queued telemetry)
	flushArmed     bool     // a flush of queued telemetry is due
	heldHooks      []func() // OnCommit of queued telemetry: run when it is flushed
	durable        atomic.Uint64
	telemetryDelay time.Duration
}

// Open opens or creates the file (dir created 0700, file 0600), checks it and returns a ready store.
//   - held by another process (bbolt's flock times out after LockTimeout): returns ErrLocked wrapped
//     with the path, no recovery (the other process owns it).
//   - cannot be opened as bbolt, fails tx.Check(), panics inside bbolt while opening/checking, has a
//     schema version this code does not know: moved aside, a new empty file created,
//     Report.Recovered=true, and a "store_recovered" audit event appended in the new file with data
//     {reason, moved_to}. Logged at error level. Never returns an error for a corrupt file unless
//     creating the fresh file also fails.
//
// Errors of the environment rather than the file (permission denied, read-only file system) are
// returned as they are: moving a sound file aside because of them would throw away good state.
func Open(path string, opts Options) (*Store, Report, error) {
	opts = opts.withDefaults()
	rep := Report{Path: path}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, rep, fmt.Errorf("store: %w", err)
	}

	db, err := openChecked(path, opts.LockTimeout)
	var bad *corruptError
	switch {
	case err == nil:
	case errors.As(err, &bad):
		movedTo, mvErr := moveAside(path, opts.Now())
		if mvErr != nil {
			return nil, rep, fmt.Errorf("store: %s is unusable (%s) and could not be moved aside: %w", path, bad.reason, mvErr)
		}
		rep.Recovered, rep.MovedTo, rep.Reason = true, movedTo, bad.reason
		opts.Log.Error("store file was unusable; moved it aside and started an empty store",
			"path", path, "moved_to", movedTo, "reason", bad.reason)
		if db, err = openChecked(path, opts.LockTimeout); err != nil {
			return nil, rep, fmt.Errorf("store: creating a fresh file after moving %s aside: %w", path, err)
		}
	default:
		return nil, rep, err
	}

	s := &Store{db: db, path: path, log: opts.Log, now: opts.Now, ret: opts.Retention,
		overBound: make(chan struct{}, 1), checkpointDue: make(chan struct{}, 1), telemetryDelay: opts.TelemetryDelay}
	if rep.Recovered {
		// The log's records apply only on the file moved aside (they would
		// not replay on the new one: another instance id), and alone they
		// are not a store.
		if err := os.Remove(walPath(path)); err != nil && !errors.Is(err, os.ErrNotExist) {
			opts.Log.Warn("store: removing the write-ahead log of the file moved aside failed", "err", err)
		}
	}
	if err := s.replayLog(); err != nil {
		_ = db.Close()
		return nil, rep, err
	}
	if err := s.initClock(opts.SecState); err != nil {
		_ = db.Close()
		return nil, rep, fmt.Errorf("store: %s: %w", path, err)
	}
	if err := s.initSchema(rep); err != nil {
		_ = db.Close()
		return nil, rep, fmt.Errorf("store: initialising %s: %w", path, err)
	}
	base, inst, err := fileTx(db)
	if err == nil {
		s.wal, err = openWAL(walPath(path), base, inst)
	}
	if err == nil {
		var last uint64
		last, err = s.LastSeq()
		s.durable.Store(last)
	}
	if err != nil {
		_ = db.Close()
		return nil, rep, err
	}
	// bbolt does not sync the directory; without this a new file (or the rename
	// of a corrupt one) could vanish in a power cut and the next boot would
	// silently start empty.
	if err := syncDir(dir); err != nil {
		opts.Log.Warn("store: syncing directory failed", "dir", dir, "err", err)
	}
	rep.Boot = s.boot
	s.report = rep
	opts.Log.Info("store opened", "path", path, "boot", s.boot, "recovered", rep.Recovered)
	return s, rep, nil
}

// initClock starts the HLC above the last one this file stamped and above
// the ceiling in secstate (which covers every file this hub ever had). A
// damaged ceiling is logged and passed over: event order is worth less than
// starting, and the file's own value still holds unless it was lost too.
func (s *Store) initClock(dir *secstate.Dir) error {
	var last hlc.Timestamp
	err := s.db.View(func(tx *bbolt.Tx) error {
		if m := tx.Bucket(metaBucket); m != nil {
			if b := m.Get(hlcKey); len(b) == 8 {
				last = hlc.Timestamp(binary.BigEndian.Uint64(b))
			}
		}
		if b := tx.Bucket(eventsBucket); b != nil {
			if k, v := b.Cursor().Last(); k != nil {
				if seq, err := seqOf(k); err == nil {
					if ev, err := decodeEvent(seq, v); err == nil {
						last = max(last, ev.HLC)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var ceil hlc.Timestamp
	var save func(hlc.Timestamp) error
	if dir != nil {
		b, err := dir.Load(hlcRecord)
		switch {
		case err == nil && len(b) == 8:
			ceil = hlc.Timestamp(binary.BigEndian.Uint64(b))
		case err == nil:
			s.log.Error("store: the HLC ceiling record has the wrong size; starting from the store's own value", "dir", dir.Path(), "bytes", len(b))
		case !errors.Is(err, secstate.ErrNotFound):
			s.log.Error("store: the HLC ceiling is unreadable; starting from the store's own value", "err", err)
		}
		save = func(ts hlc.Timestamp) error { return dir.Save(hlcRecord, u64key(uint64(ts))) }
	}
	s.hlc = hlc.NewDurable(s.now, last, ceil, hlcAhead, save)
	return nil
}

// HLC is the hub's hybrid logical clock. AppendEvent stamps every event
// with it; the sync layer feeds it the signed timestamps it receives
// (Update) and stamps the documents it sends but does not store.
func (s *Store) HLC() *hlc.Clock { return s.hlc }

// initSchema creates the buckets of a new file, increments the boot epoch and,
// after a recovery, records why in the audit log, all in one transaction.
func (s *Store) initSchema(rep Report) error {
	err := s.db.Update(func(btx *bbolt.Tx) error {
		// A bbolt commit of its own, before the log is opened: nothing here
		// needs logging.
		tx := &Tx{tx: btx, w: &txlog{}}
		meta, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		if meta.Get(versionKey) == nil {
			if err := meta.Put(versionKey, u64key(schemaVersion)); err != nil {
				return err
			}
		}
		for _, name := range [][]byte{devicesBucket, eventsBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if err := initLogSize(tx); err != nil {
			return err
		}
		// The instance id is made once per file. Seq and Boot start again at 1
		// in the fresh file that replaces a corrupt one; the instance id keeps
		// (instance, boot, seq) unique so the cloud never drops a new event as
		// a duplicate of a lost one.
		inst := meta.Get(instanceKey)
		if len(inst) != 16 {
			inst = make([]byte, 16)
			if _, err := rand.Read(inst); err != nil {
				return err
			}
			if err := meta.Put(instanceKey, inst); err != nil {
				return err
			}
		}
		s.instance = hex.EncodeToString(inst)
		var boot uint64
		if b := meta.Get(bootKey); len(b) == 8 {
			boot = binary.BigEndian.Uint64(b)
		}
		s.boot = boot + 1
		if err := meta.Put(bootKey, u64key(s.boot)); err != nil {
			return err
		}
		if !rep.Recovered {
			return nil
		}
		return s.AppendEvent(tx, &Event{
			Class: ClassAudit,
			Type:  "store_recovered",
			Data:  map[string]any{"reason": rep.Reason, "moved_to": rep.MovedTo},
		})
	})
	if err == nil {
		s.commits.Add(1)
	}
	return err
}

// Close waits for Update calls in progress, then closes the file. Calls made
// after Close return ErrClosed. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.active.Wait()
	s.txMu.Lock()
	defer s.txMu.Unlock()
	err := s.checkpoint()
	if err != nil {
		// What was logged is replayed at the next Open.
		s.log.Error("store: checkpoint at close failed", "err", err)
		s.discard()
	}
	if s.wal != nil {
		if cerr := s.wal.close(); err == nil {
			err = cerr
		}
		s.wal = nil
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if s.tmp != "" {
		_ = os.Remove(s.tmp)
	}
	return err
}

// Path is the file's path as given to Open.
func (s *Store) Path() string { return s.path }

// ReleaseMemory drops the file's pages from the process's resident set.
// Whole-file scans (the boot check, counting a large backlog) would
// otherwise leave a 200 MB file of a million queued events counted as the
// agent's memory; the pages stay in the page cache, reclaimable, and come
// back on the next read.
func (s *Store) ReleaseMemory() {
	_ = s.db.View(func(tx *bbolt.Tx) error {
		releaseMapping(s.db, tx.Size())
		return nil
	})
}

// Instance is the file's random id (32 hex digits), made when the file was
// created: a recovered store gets a new one.
func (s *Store) Instance() string { return s.instance }

// Boot is this run's boot epoch: 1 for a new file, one more at every Open.
func (s *Store) Boot() uint64 { return s.boot }

// View runs fn in a read-only transaction. Byte slices read inside fn are
// valid only until fn returns; copy what you keep. It sees every Update
// that has returned: while writes wait for a checkpoint it reads through
// the transaction that holds them, one reader at a time.
func (s *Store) View(fn func(tx *Tx) error) error {
	s.txMu.Lock()
	if s.wtx == nil && len(s.pend) > 0 {
		// A failed flush or checkpoint dropped the transaction, and the
		// file lacks the logged writes: read the file alone and every write
		// acknowledged since the last checkpoint (a PIN lockout's count)
		// would be taken back. Make it again from the log, or fail.
		if err := s.begin(); err != nil {
			s.txMu.Unlock()
			return err
		}
	}
	if s.wtx != nil {
		defer s.txMu.Unlock()
		return fn(&Tx{tx: s.wtx})
	}
	s.txMu.Unlock()
	return closedErr(s.db.View(func(tx *bbolt.Tx) error { return fn(&Tx{tx: tx}) }))
}

// Scan is View for a read that walks much of the file (verifying the
// audit chain): it does not hold back commits while it reads. It first
// writes what the log holds into the file (a checkpoint), then reads the
// file in a bbolt read transaction of its own, beside the commits that go
// on: fn sees the store as it was at the checkpoint. Through View, a long
// read would hold the store's one lock, and every door action's commit
// would wait for it. A checkpoint that grows the file still waits for fn
// (bbolt remaps the file only between readers). When the checkpoint fails
// (a full disk) it reads as View does.
func (s *Store) Scan(fn func(tx *Tx) error) error {
	s.txMu.Lock()
	var err error
	if s.wal != nil { // nil: read-only, nothing logged
		err = s.checkpoint()
	}
	s.txMu.Unlock()
	if err != nil {
		return s.View(fn)
	}
	return closedErr(s.db.View(func(tx *bbolt.Tx) error { return fn(&Tx{tx: tx}) }))
}

// Health for the status page.
type Health struct {
	Path      string `json:"path"`
	Instance  string `json:"instance"`
	SizeBytes int64  `json:"size_bytes"`
	Boot      uint64 `json:"boot"`
	Recovered bool   `json:"recovered"`
	MovedTo   string `json:"moved_to,omitempty"`
	Reason    string `json:"reason,omitempty"`
	LastSeq   uint64 `json:"last_seq"`
	// FirstSeq is the oldest event still held (0: the log is empty). The
	// log is not counted here: counting reads every page of the file, and
	// status is polled (the cloud link's status has counts per class).
	FirstSeq uint64 `json:"first_seq"`
	// History is the log as local history: its length, bytes and bounds.
	History   History `json:"history"`
	LastError string  `json:"last_error,omitempty"`
}

// Health reports the file's size, what Open found, the event log's length and
// the last commit failure. It never fails: a problem reading goes into LastError.
func (s *Store) Health() Health {
	h := Health{Path: s.path, Instance: s.instance, Boot: s.boot, Recovered: s.report.Recovered, MovedTo: s.report.MovedTo, Reason: s.report.Reason}
	if fi, err := os.Stat(s.path); err == nil {
		h.SizeBytes = fi.Size()
	}
	s.mu.Lock()
	h.LastError = s.lastErr
	s.mu.Unlock()
	err := s.View(func(tx *Tx) error {
		b := tx.Bucket(eventsBucket)
		h.LastSeq = b.Sequence()
		if k, _ := b.Cursor().First(); len(k) == 8 {
			h.FirstSeq = binary.BigEndian.Uint64(k)
		}
		h.History = s.historyIn(tx)
		return nil
	})
	if err != nil {
		h.LastError = err.Error()
	}
	return h
}

// closedErr turns bbolt's "database not open" into ErrClosed so that callers
// match one sentinel whatever the store was doing when it was closed.
func closedErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// u64key is the big-endian form used for seq keys and meta counters, so that
// bbolt's byte order is numeric order.
func u64key(v uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	// Some file systems cannot sync a directory; that is not worth a warning.
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// OpenReadOnly opens a store file for inspection, e.g. a copy taken from a
// seized hub (`edgeagent audit verify --file`): bbolt in read-only mode,
// with a shared lock, so nothing is written to the file (no boot epoch, no
// recovery, no schema). The file is checked as Open checks it; a damaged
// one is an error naming why, never moved aside. When its write-ahead log
// (PATH-wal) holds writes the file has not had yet (the hub stopped without
// a checkpoint), they are replayed on a temporary copy, which is what is
// read: the evidence is never written. Update fails on the returned store
// (bbolt refuses a write transaction); Close it when done.
func OpenReadOnly(path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := openReadOnly(path)
	if err != nil {
		return nil, err
	}
	base, inst, err := fileTx(db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	recs, _, err := walRecords(walPath(path), base, inst)
	var tmp string
	if err == nil && len(recs) > 0 {
		_ = db.Close()
		db = nil
		tmp, err = replayOnCopy(path, recs)
		if err == nil {
			db, err = openReadOnly(tmp)
		}
	}
	if err != nil {
		if db != nil {
			_ = db.Close()
		}
		if tmp != "" {
			_ = os.Remove(tmp)
		}
		return nil, err
	}
	s := &Store{db: db, path: path, tmp: tmp, log: slog.New(slog.DiscardHandler), now: time.Now, ret: Retention{}.withDefaults()}
	s.hlc = hlc.NewClock(s.now, 0)
	s.instance = hex.EncodeToString(inst)
	err = db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(metaBucket).Get(bootKey); len(b) == 8 {
			s.boot = binary.BigEndian.Uint64(b)
		}
		return nil
	})
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	s.report = Report{Path: path, Boot: s.boot}
	return s, nil
}

func openReadOnly(path string) (*bbolt.DB, error) {
	db, err := bbolt.Open(path, 0o400, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (a running agent holds it: stop it or copy the file)", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: opening %s read-only: %w", path, err)
	}
	if err := inspect(db, path); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// replayOnCopy copies path to a temporary file and applies recs to it.
func replayOnCopy(path string, recs [][]byte) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	f, err := os.CreateTemp("", "edgeagent-inspect-*.db")
	if err != nil {
		return "", fmt.Errorf("store: a copy to replay the write-ahead log on: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var db *bbolt.DB
	if err == nil {
		db, err = bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: time.Second, NoSync: true})
	}
	if err == nil {
		err = applyRecords(db, recs)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("store: replaying the write-ahead log of %s on a copy: %w", path, err)
	}
	return tmp, nil
}

func walPath(path string) string { return path + "-wal" }

// applyRecords applies the log's records to db in one bbolt commit: a
// start's replay, and OpenReadOnly's on a copy.
func applyRecords(db *bbolt.DB, recs [][]byte) error {
	return db.Update(func(tx *bbolt.Tx) error {
		for i, rec := range recs {
			if err := applyRedo(tx, rec); err != nil {
				return fmt.Errorf("record %d of %d: %w", i+1, len(recs), err)
			}
		}
		return nil
	})
}

// fileTx is the txid of the file's last commit and its instance id.
func fileTx(db *bbolt.DB) (base uint64, inst []byte, err error) {
	err = db.View(func(tx *bbolt.Tx) error {
		base = uint64(tx.ID())
		if m := tx.Bucket(metaBucket); m != nil {
			inst = append([]byte(nil), m.Get(instanceKey)...)
		}
		return nil
	})
	if err == nil && len(inst) < 8 {
		err = errNoInstance
	}
	return base, inst, err
}

// replayLog applies the log's records that the file has not checkpointed,
// in one bbolt commit. Records of another file or checkpoint are left
// (logged): they cannot be applied in order.
func (s *Store) replayLog() error {
	base, inst, err := fileTx(s.db)
	if err != nil && !errors.Is(err, errNoInstance) {
		return err
	}
	// A file with no instance id yet (new) has no record to replay: every
	// record of the log is stale to it.
	recs, stale, err := walRecords(walPath(s.path), base, inst)
	if err != nil {
		return err
	}
	if stale > 0 {
		s.log.Error("store: the write-ahead log holds records of another file or checkpoint; not applied",
			"path", walPath(s.path), "records", stale)
	}
	if len(recs) == 0 {
		return nil
	}
	if err := applyRecords(s.db, recs); err != nil {
		return fmt.Errorf("store: replaying the write-ahead log %s: %w", walPath(s.path), err)
	}
	s.log.Info("store: replayed the write-ahead log", "records", len(recs))
	return nil
}
