// Package logwrites reads the log written by the kernel's dm-log-writes
// target (drivers/md/dm-log-writes.c): every write that reached a block
// device, in completion order, with the flush, FUA, discard and mark
// entries between them. Replaying the writes up to a flush point gives a
// state a power cut could leave on a disk with a volatile cache; the VM
// test's power-cut check (scripts/vm/powercheck) does that at every one.
//
// The log is untrusted input (a guest wrote it): every length and offset
// is checked before use and errors name the entry.
package logwrites

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Flags of an entry, as the kernel writes them.
type Flags uint64

const (
	Flush    Flags = 1 << 0 // a cache flush: everything logged before it is durable
	FUA      Flags = 1 << 1 // this write was durable on completion
	Discard  Flags = 1 << 2 // the range was discarded (replayed as zeros)
	Mark     Flags = 1 << 3 // a label set with "dmsetup message DEV 0 mark LABEL"
	Metadata Flags = 1 << 4 // the write was file system metadata (REQ_META)
	known          = Flush | FUA | Discard | Mark | Metadata
)

const (
	magic     = 0x6a736677736872 // WRITE_LOG_MAGIC
	version   = 1                // WRITE_LOG_VERSION
	entrySize = 32               // struct log_write_entry
)

// Entry is one logged request. Offset and Length are in bytes of the
// logged device; a write's data is in the log at dataAt.
type Entry struct {
	Index  int
	Offset int64
	Length int64
	Flags  Flags
	Label  string // for a Mark
	dataAt int64
}

// Write reports an entry that carries data to write.
func (e Entry) Write() bool { return e.Flags&(Mark|Discard) == 0 && e.Length > 0 }

// Log is an opened log: its entries, with their data read on demand.
type Log struct {
	r          io.ReaderAt
	SectorSize int64
	Entries    []Entry
}

// Open reads the super block and every entry header of a log of size
// bytes. The super block's count is the number of entries the kernel
// had logged when it last wrote it (at every FUA and mark, and when the
// target is removed).
func Open(r io.ReaderAt, size int64) (*Log, error) {
	var sb [28]byte
	if _, err := r.ReadAt(sb[:], 0); err != nil {
		return nil, fmt.Errorf("logwrites: super block: %w", err)
	}
	if m := binary.LittleEndian.Uint64(sb[0:]); m != magic {
		return nil, fmt.Errorf("logwrites: magic %#x, want %#x: not a dm-log-writes log", m, magic)
	}
	if v := binary.LittleEndian.Uint64(sb[8:]); v != version {
		return nil, fmt.Errorf("logwrites: version %d, want %d", v, version)
	}
	n := binary.LittleEndian.Uint64(sb[16:])
	ss := int64(binary.LittleEndian.Uint32(sb[24:]))
	if ss < 512 || ss > 1<<16 || ss&(ss-1) != 0 {
		return nil, fmt.Errorf("logwrites: sector size %d is not a power of two in 512..65536", ss)
	}
	// Each entry takes at least one sector: a count past that is a lie.
	if n > uint64(size/ss) {
		return nil, fmt.Errorf("logwrites: %d entries cannot fit in %d bytes", n, size)
	}
	l := &Log{r: r, SectorSize: ss, Entries: make([]Entry, 0, n)}
	pos := ss
	var hdr [entrySize]byte
	for i := 0; i < int(n); i++ {
		if pos > size-ss {
			return nil, fmt.Errorf("logwrites: entry %d at byte %d is past the end of the log (%d bytes)", i, pos, size)
		}
		if _, err := r.ReadAt(hdr[:], pos); err != nil {
			return nil, fmt.Errorf("logwrites: entry %d: %w", i, err)
		}
		sector := binary.LittleEndian.Uint64(hdr[0:])
		sectors := binary.LittleEndian.Uint64(hdr[8:])
		e := Entry{Index: i, Flags: Flags(binary.LittleEndian.Uint64(hdr[16:]))}
		dataLen := binary.LittleEndian.Uint64(hdr[24:])
		if e.Flags&^known != 0 {
			return nil, fmt.Errorf("logwrites: entry %d: unknown flags %#x", i, uint64(e.Flags))
		}
		const maxSectors = 1 << 40 / 512 // a terabyte: keeps the byte counts far from overflow
		if sector > maxSectors || sectors > maxSectors {
			return nil, fmt.Errorf("logwrites: entry %d: sector %d, %d sectors: out of range", i, sector, sectors)
		}
		e.Offset, e.Length = int64(sector)*ss, int64(sectors)*ss
		switch {
		case e.Flags&Mark != 0:
			if sectors != 0 || dataLen > uint64(ss-entrySize) {
				return nil, fmt.Errorf("logwrites: entry %d: a mark of %d bytes over %d sectors", i, dataLen, sectors)
			}
			label := make([]byte, dataLen)
			if _, err := r.ReadAt(label, pos+entrySize); err != nil {
				return nil, fmt.Errorf("logwrites: entry %d: mark: %w", i, err)
			}
			e.Label = string(label)
		case dataLen != 0:
			// Inline data (DAX devices only): not something this check meets.
			return nil, fmt.Errorf("logwrites: entry %d: inline data (%d bytes) is not supported", i, dataLen)
		}
		pos += ss
		if e.Flags&Discard == 0 {
			e.dataAt = pos
			if e.Length > size-pos {
				return nil, fmt.Errorf("logwrites: entry %d: %d bytes of data past the end of the log", i, e.Length)
			}
			pos += e.Length
		}
		l.Entries = append(l.Entries, e)
	}
	return l, nil
}

// Apply replays one entry onto the image w of a device of size bytes: a
// write's data, or zeros for a discard. Flushes and marks change nothing.
func (l *Log) Apply(e Entry, w io.WriterAt, size int64) error {
	if e.Flags&Discard == 0 && !e.Write() {
		return nil
	}
	if e.Offset > size || e.Length > size-e.Offset {
		return fmt.Errorf("logwrites: entry %d: %d bytes at %d, past the end of the %d-byte device", e.Index, e.Length, e.Offset, size)
	}
	const chunk = 1 << 20
	buf := make([]byte, min(e.Length, chunk))
	for done := int64(0); done < e.Length; {
		n := min(e.Length-done, chunk)
		if e.Flags&Discard == 0 {
			if _, err := l.r.ReadAt(buf[:n], e.dataAt+done); err != nil {
				return fmt.Errorf("logwrites: entry %d: data: %w", e.Index, err)
			}
		}
		if _, err := w.WriteAt(buf[:n], e.Offset+done); err != nil {
			return fmt.Errorf("logwrites: entry %d: replaying %d bytes at %d: %w", e.Index, n, e.Offset+done, err)
		}
		done += n
	}
	return nil
}

// CrashPoint reports an entry after which the device's state is one a
// power cut could leave: a flush (all before it was durable) or a FUA
// write (durable on completion).
func (e Entry) CrashPoint() bool { return e.Flags&(Flush|FUA) != 0 }
