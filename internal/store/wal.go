package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"
)

// The write-ahead log (the file beside the store's, named PATH-wal) is what
// makes a write durable between two checkpoints of the bbolt file.
//
// Why: a bbolt commit rewrites every page on the path from each changed key
// to the root, the freelist and a meta page, with two flushes. For one door
// decision that was 16–20 KiB written to an SD card, which wears by writes.
// Here a group commit appends one record to a preallocated file and flushes
// once: the sectors the record touches (about 1 KiB for a decision, with
// O_DIRECT) and nothing else. The bbolt file is written only at a
// checkpoint (every checkpointBytes of log, at Run's period, at Close),
// as an ordinary bbolt commit, so its own crash safety is untouched: after
// a crash the file is as of its last checkpoint and Open replays the log.
//
// A record: length (4 bytes) and CRC-32C (4) of what follows, the txid of
// the checkpoint it applies on (8), the first 8 bytes of the store's
// instance id (8), then the group's redo ops (tx.go). After a checkpoint
// the log is written again from its start; a record left from before has
// an older base and ends the replay, as does a torn one (its CRC) or a
// log of another file (the instance: a store recovered empty never replays
// the old file's writes).
type wal struct {
	f      *os.File
	path   string
	direct bool   // opened with O_DIRECT: writes go to the device by the sector
	inst   []byte // 8 bytes
	base   uint64 // txid of the checkpoint the records apply on

	size    int64  // bytes preallocated (written, so that a write needs no block allocation)
	written int64  // bytes of records on disk (synced) since the checkpoint
	buf     []byte // sector-aligned memory: the last partial sector on disk, then records not yet written
	bufOff  int64  // file offset of buf[0] (a multiple of sector)
}

const (
	walHeader = 24
	// sector is the unit of a direct write: the logical block of an SD card
	// and of nearly every block device. A file system that wants more makes
	// the write fail with EINVAL, and the log goes on without O_DIRECT.
	sector = 512
	// checkpointBytes of records ask Run for a checkpoint; at walMax the
	// writer checkpoints itself. The file is preallocated walStep at a
	// time as the log first reaches it (so a first start writes 256 KiB,
	// not megabytes, to an SD card) and then stays: about 1.25 MiB.
	walStep         = 256 << 10
	checkpointBytes = 1 << 20
	walMax          = 4 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var errBadRedo = errors.New("store: malformed record in the write-ahead log")

// walRecords reads the records of a log that apply to the file whose
// checkpoint is base and whose instance is inst, in order. stale counts
// records of another file or of a checkpoint the file does not have (they
// are not applied, and the caller says so).
func walRecords(path string, base uint64, inst []byte) (recs [][]byte, stale int, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: reading the write-ahead log: %w", err)
	}
	for off := 0; off+walHeader <= len(data); {
		n := int(binary.BigEndian.Uint32(data[off:]))
		if n == 0 || n > len(data)-off-walHeader {
			break
		}
		body := data[off+8 : off+walHeader+n]
		if crc32.Checksum(body, crcTable) != binary.BigEndian.Uint32(data[off+4:]) {
			break // torn: the write was never acknowledged
		}
		recBase := binary.BigEndian.Uint64(body)
		switch {
		case len(inst) < 8 || string(body[8:16]) != string(inst[:8]):
			stale++
		case recBase > base:
			// Written on a checkpoint this file does not have: the file went
			// back (restored from a copy). Its ops could not apply in order.
			stale++
		case recBase == base:
			recs = append(recs, body[16:])
			off += walHeader + n
			continue
		}
		break // an older base: left from before the last checkpoint
	}
	return recs, stale, nil
}

// openWAL opens (or creates and preallocates) the log for appending from
// its start on checkpoint base.
func openWAL(path string, base uint64, inst []byte) (*wal, error) {
	w := &wal{path: path, base: base, inst: inst[:8]}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|oDirect, 0o600)
	if err == nil {
		w.direct = oDirect != 0
	} else {
		// tmpfs and some others refuse O_DIRECT; buffered writes and
		// fdatasync are as durable, only less gentle.
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("store: opening the write-ahead log: %w", err)
	}
	w.f = f
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	w.size = fi.Size()
	w.buf = alignedBuf(64 << 10)[:0]
	if w.size < walStep {
		// Written zeros, not fallocate: an unwritten extent is converted on
		// its first write, which costs a journal commit at every flush.
		if err := w.grow(walStep); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	return w, nil
}

// grow writes zeros up to n bytes and syncs the file (and its directory,
// for a new file).
func (w *wal) grow(n int64) error {
	zero := alignedBuf(256 << 10)
	for off := w.size; off < n; {
		k := min(int64(len(zero)), n-off)
		k = (k + sector - 1) / sector * sector
		if err := w.pwrite(zero[:k], off); err != nil {
			return fmt.Errorf("store: preallocating the write-ahead log %s: %w", w.path, err)
		}
		off += k
		w.size = off
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("store: syncing the write-ahead log %s: %w", w.path, err)
	}
	return syncDir(filepath.Dir(w.path))
}

// add queues a record; nothing is written until sync.
func (w *wal) add(rec []byte) {
	var h [walHeader]byte
	binary.BigEndian.PutUint32(h[0:], uint32(len(rec)))
	binary.BigEndian.PutUint64(h[8:], w.base)
	copy(h[16:], w.inst)
	crc := crc32.Update(crc32.Checksum(h[8:], crcTable), crcTable, rec)
	binary.BigEndian.PutUint32(h[4:], crc)
	w.buf = appendAligned(w.buf, h[:])
	w.buf = appendAligned(w.buf, rec)
}

// pending is how many bytes of records wait for sync.
func (w *wal) pending() int64 { return w.bufOff + int64(len(w.buf)) - w.written }

// sync writes the queued records and flushes them to the device. On error
// the queued records are dropped (the caller undoes their writes) and the
// next write starts again from the same place, over whatever was torn.
func (w *wal) sync() error {
	if w.pending() == 0 {
		return nil
	}
	end := w.bufOff + int64(len(w.buf))
	if end > w.size {
		if err := w.grow((end/walStep + 1) * walStep); err != nil {
			w.drop()
			return err
		}
	}
	n := (len(w.buf) + sector - 1) / sector * sector
	out := w.buf[:n]
	clear(out[len(w.buf):]) // the tail of the last sector reads as "no record"
	err := w.pwrite(out, w.bufOff)
	if err == nil {
		err = fdatasync(w.f)
	}
	if err != nil {
		w.drop()
		return fmt.Errorf("store: writing the write-ahead log: %w", err)
	}
	w.written = end
	// Keep the last partial sector: the next write rewrites it whole.
	keep := end % sector
	start := end - keep
	copy(w.buf[:keep], w.buf[start-w.bufOff:len(w.buf)])
	w.buf, w.bufOff = w.buf[:keep], start
	return nil
}

// drop forgets the records not yet on disk.
func (w *wal) drop() {
	w.buf = w.buf[:w.written-w.bufOff]
}

// reset starts the log again from its start, on the checkpoint base.
// Nothing is written: the records on disk now have an older base.
func (w *wal) reset(base uint64) {
	w.base, w.written, w.bufOff, w.buf = base, 0, 0, w.buf[:0]
}

func (w *wal) close() error { return w.f.Close() }

// pwrite writes b at off; in O_DIRECT mode, a file system that refuses the
// alignment turns it off for good and the write is retried buffered.
func (w *wal) pwrite(b []byte, off int64) error {
	_, err := w.f.WriteAt(b, off)
	if err != nil && w.direct && errors.Is(err, syscall.EINVAL) {
		if err = setDirect(w.f, false); err == nil {
			w.direct = false
			_, err = w.f.WriteAt(b, off)
		}
	}
	return err
}

// alignedBuf returns n zero bytes, n rounded up to whole sectors, at a
// sector-aligned address, as O_DIRECT wants. Its capacity is what
// appendAligned may fill without moving it, and whole sectors: sync writes
// the last one whole.
func alignedBuf(n int) []byte {
	n = (n + sector - 1) / sector * sector
	b := make([]byte, n+sector)
	k := int(uintptr(unsafe.Pointer(&b[0])) % sector)
	if k != 0 {
		k = sector - k
	}
	return b[k : k+n : k+n]
}

// appendAligned is append that keeps the result sector-aligned.
func appendAligned(b, v []byte) []byte {
	if len(b)+len(v) <= cap(b) {
		return append(b, v...)
	}
	nb := alignedBuf(max(2*cap(b), len(b)+len(v)+sector))[:len(b)]
	copy(nb, b)
	return append(nb, v...)
}
