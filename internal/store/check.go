package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// maxCheckErrors bounds how many of tx.Check's findings go into the reason:
// a person needs the first few, not ten thousand lines.
const maxCheckErrors = 3

// openChecked opens path with bbolt and checks it. It returns a sound,
// open *bbolt.DB; a *corruptError when the file must be moved aside; or an
// error that is not the file's fault (locked, permission denied), which must
// not lead to recovery.
func openChecked(path string, lockTimeout time.Duration) (*bbolt.DB, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A new store: bbolt creates it.
	case err != nil:
		return nil, fmt.Errorf("store: %w", err)
	case fi.IsDir():
		return nil, &corruptError{"the path is a directory, not a database file"}
	case !fi.Mode().IsRegular():
		return nil, &corruptError{fmt.Sprintf("the path is not a regular file (%s)", fi.Mode().Type())}
	case fi.Size() == 0:
		// bbolt would quietly initialise an empty file, but an existing empty
		// store means its contents were lost (typically a power cut before the
		// file system flushed it): a person should hear about it.
		return nil, &corruptError{"the file is empty (0 bytes); its contents were lost, probably in a power cut"}
	}

	db, err := openBolt(path, lockTimeout)
	if err != nil {
		return nil, err
	}
	if err := inspect(db, path); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// openBolt calls bbolt.Open, turning a panic or a memory fault inside it (a
// corrupt page read through the mmap) into a *corruptError instead of a crash
// loop.
func openBolt(path string, lockTimeout time.Duration) (db *bbolt.DB, err error) {
	// bbolt opens the file and flocks it before it reads a page. If it then
	// panics we never see the *DB, so keep the *os.File to release the lock.
	// (The bad file's mmap, if bbolt got that far, is leaked: once per
	// recovery, and the file is not touched through it again.)
	var file *os.File
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if file != nil {
				_ = file.Close()
			}
			db, err = nil, &corruptError{fmt.Sprintf("bbolt crashed while opening the file: %v", r)}
		}
	}()
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout: lockTimeout,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	})
	var pathErr *fs.PathError
	var errno syscall.Errno
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s (waited %s)", ErrLocked, path, lockTimeout)
	case errors.As(err, &pathErr), errors.As(err, &errno):
		// Opening or locking the file failed (permission denied, read-only
		// file system, ...): the environment's fault, not the file's.
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	default:
		// bbolt's own verdict on the bytes: invalid meta pages, checksum,
		// version mismatch, file too small.
		return nil, &corruptError{fmt.Sprintf("cannot be opened as a bbolt database: %v", err)}
	}
}

// inspect checks a file that bbolt could open: that it is as long as its meta
// page claims, that every page pointer, key and value stays inside it, that
// tx.Check finds nothing, and that its schema is one this code knows.
func inspect(db *bbolt.DB, path string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &corruptError{fmt.Sprintf("bbolt crashed while checking the file: %v", r)}
		}
	}()
	return db.View(func(tx *bbolt.Tx) error {
		fi, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if fi.Size() < tx.Size() {
			return &corruptError{fmt.Sprintf("the file is truncated: %d bytes, its pages need %d", fi.Size(), tx.Size())}
		}
		// tx.Check reads pages through the mmap in a goroutine of its own,
		// where a corrupt page or key offset pointing outside the file is a
		// fatal fault, not a panic it can recover. Walk the same pages from
		// the file with bounds checks first, so that Check only ever runs on
		// a file whose pointers all stay inside it.
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		defer f.Close()
		w := pageWalker{f: f, pageSize: db.Info().PageSize, hwm: uint64(tx.Size()) / uint64(db.Info().PageSize), seen: map[uint64]bool{}}
		if err := w.tree(uint64(tx.Cursor().Bucket().Root()), "the root bucket"); err != nil {
			return &corruptError{"damaged page structure: " + err.Error()}
		}
		if err := check(tx); err != nil {
			return err
		}
		return checkSchema(tx)
	})
}

// check runs bbolt's consistency check and summarises what it found.
func check(tx *bbolt.Tx) error {
	var found []string
	n := 0
	// Drain the channel fully: Check's goroutine blocks until it is read.
	for err := range tx.Check() {
		if n < maxCheckErrors {
			found = append(found, err.Error())
		}
		n++
	}
	if n == 0 {
		return nil
	}
	msg := strings.Join(found, "; ")
	if n > maxCheckErrors {
		msg += fmt.Sprintf(" (and %d more)", n-maxCheckErrors)
	}
	return &corruptError{"integrity check failed: " + msg}
}

// checkSchema accepts a file of our schema version, or one with no buckets at
// all (new, or created by a run that crashed before initialising it).
func checkSchema(tx *bbolt.Tx) error {
	meta := tx.Bucket(metaBucket)
	if meta == nil {
		var names []string
		_ = tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			names = append(names, fmt.Sprintf("%q", name))
			return nil
		})
		if len(names) == 0 {
			return nil
		}
		return &corruptError{fmt.Sprintf("not an edgeagent store: it has buckets %s but no %q bucket", strings.Join(names, ", "), metaBucket)}
	}
	v := meta.Get(versionKey)
	if len(v) != 8 {
		return &corruptError{fmt.Sprintf("the schema version is missing or malformed (%d bytes)", len(v))}
	}
	if got := binary.BigEndian.Uint64(v); got != schemaVersion {
		return &corruptError{fmt.Sprintf("schema version %d is not one this agent knows (it reads version %d); "+
			"was the file written by a newer edgeagent?", got, schemaVersion)}
	}
	for _, name := range [][]byte{devicesBucket, eventsBucket} {
		if tx.Bucket(name) == nil {
			return &corruptError{fmt.Sprintf("schema version %d but the %q bucket is missing", schemaVersion, name)}
		}
	}
	return nil
}

// moveAside renames the unusable file (or directory) to
// path.corrupt-<UTC time>, keeping it for a person or a tool to inspect.
func moveAside(path string, now time.Time) (string, error) {
	base := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	// Two recoveries in one second, or a clock stuck in the past (no RTC):
	// never overwrite an earlier copy.
	for i := 0; i < 100; i++ {
		to := base
		if i > 0 {
			to = fmt.Sprintf("%s-%d", base, i)
		}
		if _, err := os.Lstat(to); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(path, to); err != nil {
			return "", err
		}
		pruneMovedAside(path, to)
		return to, nil
	}
	return "", fmt.Errorf("too many earlier copies named %s-*", base)
}

// keepMovedAside is how many moved-aside files are kept: enough to look at
// the last few failures, few enough that a store corrupted at every boot
// (a dying SD card) does not fill the card with copies.
const keepMovedAside = 3

// pruneMovedAside removes all but the keepMovedAside newest (by time of
// last change) moved-aside copies of path, never just (the one just moved).
// Best effort: a copy that cannot be removed stays.
func pruneMovedAside(path, just string) {
	matches, err := filepath.Glob(path + ".corrupt-*")
	if err != nil || len(matches) <= keepMovedAside {
		return
	}
	type copyInfo struct {
		name string
		mod  time.Time
	}
	var copies []copyInfo
	for _, m := range matches {
		if m == just {
			continue
		}
		if fi, err := os.Lstat(m); err == nil {
			copies = append(copies, copyInfo{m, fi.ModTime()})
		}
	}
	slices.SortFunc(copies, func(a, b copyInfo) int { return b.mod.Compare(a.mod) })
	for _, c := range copies[min(len(copies), keepMovedAside-1):] {
		_ = os.RemoveAll(c.name)
	}
}
