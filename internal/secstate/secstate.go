// Package secstate owns the small files beside the store that hold the
// security state that must never go backwards (DESIGN.md principle 7): the
// revocation snapshot and its serial, the trusted-time floor, PIN lockouts,
// the hub identity key, the LAN certificate, the audit chain's head and the
// hybrid logical clock's ceiling. The store file may be truncated, zeroed or
// garbled by a power cut and recovered empty; these files are written apart
// from it so that a recovery never reopens a revoked key.
//
// Each record is a named document that its owning package encodes. It is
// kept as two copies, NAME.0 and NAME.1, written one after the other, each
// durable before the next is touched (in place when its size is unchanged,
// else through a temporary file renamed into place): a power cut leaves at
// least one whole copy of either the new or the old value, and a checksum
// over each copy tells a damaged one from a good one. Load returns the copy
// with the highest generation that checks out.
//
// Writes are fsync'd, so callers write on changes that matter (a new
// snapshot, a lockout) and batch the rest (the time floor every few minutes).
package secstate

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Errors of Load and Save. Match them with errors.Is.
var (
	// ErrNotFound: no copy of the record exists (first start, or the files
	// were deleted with the store).
	ErrNotFound = errors.New("secstate: no record")
	// ErrDamaged: copies exist but none reads back whole. The caller must
	// treat the record as unknown and fail closed for what depends on it.
	ErrDamaged = errors.New("secstate: record damaged")
	// ErrBadName: a record name outside [a-z0-9_-]{1,32}.
	ErrBadName = errors.New("secstate: bad record name")
	// ErrTooLarge: a record over MaxSize.
	ErrTooLarge = errors.New("secstate: record too large")
)

// MaxSize is the largest record: a revocation snapshot of 10 000 ids is
// about 200 KB.
const MaxSize = 4 << 20

var magic = [4]byte{'E', 'A', 'S', '1'}

const (
	headerSize = 4 + 8 + 4 // magic, generation, length
	sumSize    = sha256.Size
)

// validName reports whether name is 1 to 32 of a-z, 0-9, _ and -: a file
// name, never a path. A loop, not a regexp: compiling one at package init
// ran at every start of the agent (3.5 ms under qemu-aarch64).
func validName(name string) bool {
	if len(name) == 0 || len(name) > 32 {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Dir is a directory of records. Its methods are safe for concurrent use;
// writes of one record are serialised.
type Dir struct {
	path string

	mu   sync.Mutex
	gens map[string]uint64 // the highest generation seen or written, per record
}

// Open makes the directory (mode 0700) if needed.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("secstate: %w", err)
	}
	return &Dir{path: path, gens: make(map[string]uint64)}, nil
}

// Path is the directory.
func (d *Dir) Path() string { return d.path }

// Load returns the newest whole copy of the record name. It returns
// ErrNotFound when no copy exists and ErrDamaged (naming the files) when
// copies exist but none is whole.
func (d *Dir) Load(name string) ([]byte, error) {
	if !validName(name) {
		return nil, fmt.Errorf("%w: %q", ErrBadName, name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var (
		best    []byte
		bestGen uint64
		found   bool
		faults  []string
	)
	for _, file := range d.copies(name) {
		gen, data, err := readCopy(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			faults = append(faults, err.Error())
			continue
		}
		if !found || gen > bestGen {
			best, bestGen, found = data, gen, true
		}
	}
	if !found {
		if len(faults) > 0 {
			return nil, fmt.Errorf("%w: %s", ErrDamaged, joinFaults(faults))
		}
		return nil, fmt.Errorf("%w: %s", ErrNotFound, filepath.Join(d.path, name))
	}
	d.gens[name] = max(d.gens[name], bestGen)
	return best, nil
}

// Save replaces the record name with data, durably, before it returns.
func (d *Dir) Save(name string, data []byte) error {
	if !validName(name) {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	if len(data) > MaxSize {
		return fmt.Errorf("%w: %s is %d bytes (at most %d)", ErrTooLarge, name, len(data), MaxSize)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	gen := d.gens[name]
	if gen == 0 {
		// Not loaded in this run: continue above whatever is on disk, even a
		// copy that fails its checksum could carry a high generation, so read
		// the headers of both.
		for _, file := range d.copies(name) {
			if g, err := readGen(file); err == nil {
				gen = max(gen, g)
			}
		}
	}
	gen++
	buf := encode(gen, data)
	for _, file := range d.copies(name) {
		if err := writeFile(file, buf); err != nil {
			return fmt.Errorf("secstate: writing %s: %w", file, err)
		}
	}
	d.gens[name] = gen
	return nil
}

func (d *Dir) copies(name string) [2]string {
	return [2]string{filepath.Join(d.path, name+".0"), filepath.Join(d.path, name+".1")}
}

func encode(gen uint64, data []byte) []byte {
	b := make([]byte, 0, headerSize+len(data)+sumSize)
	b = append(b, magic[:]...)
	b = binary.BigEndian.AppendUint64(b, gen)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// decode checks one copy's bytes and returns its generation and data.
func decode(b []byte) (uint64, []byte, error) {
	if len(b) < headerSize+sumSize {
		return 0, nil, fmt.Errorf("%d bytes, shorter than a header", len(b))
	}
	if !bytes.Equal(b[:4], magic[:]) {
		return 0, nil, errors.New("not a secstate file (bad magic)")
	}
	gen := binary.BigEndian.Uint64(b[4:12])
	n := binary.BigEndian.Uint32(b[12:16])
	if uint64(n) != uint64(len(b)-headerSize-sumSize) {
		return 0, nil, fmt.Errorf("length field %d does not match the file (%d bytes of data)", n, len(b)-headerSize-sumSize)
	}
	body := b[:len(b)-sumSize]
	sum := sha256.Sum256(body)
	if !bytes.Equal(sum[:], b[len(b)-sumSize:]) {
		return 0, nil, errors.New("checksum mismatch")
	}
	return gen, bytes.Clone(b[headerSize : headerSize+int(n)]), nil
}

func readCopy(file string) (uint64, []byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, headerSize+MaxSize+sumSize+1))
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", file, err)
	}
	gen, data, err := decode(b)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", file, err)
	}
	return gen, data, nil
}

func readGen(file string) (uint64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var h [headerSize]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return 0, err
	}
	if !bytes.Equal(h[:4], magic[:]) {
		return 0, errors.New("bad magic")
	}
	return binary.BigEndian.Uint64(h[4:12]), nil
}

// writeFile replaces file with b so that after a power cut the copy is
// either whole (old or new) or fails its checksum, the other copy being
// whole meanwhile: over the old bytes when the size is the same (one write
// and one fdatasync: the time floor, the audit head and the HLC ceiling
// are written often, and an SD card wears by writes), otherwise through a
// temporary file, fsync, rename and fsync of the directory (four journal
// commits, about 12 KiB on ext4).
func writeFile(file string, b []byte) error {
	if fi, err := os.Lstat(file); err == nil && fi.Mode().IsRegular() && fi.Size() == int64(len(b)) {
		return overwrite(file, b)
	}
	tmp := file + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(file))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

func overwrite(file string, b []byte) error {
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		f.Close()
		return err
	}
	if err := fdatasync(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func joinFaults(faults []string) string {
	s := faults[0]
	for _, f := range faults[1:] {
		s += "; " + f
	}
	return s
}
