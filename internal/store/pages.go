package store

import (
	"encoding/binary"
	"fmt"
	"io"
)

// bbolt's on-disk page layout (go.etcd.io/bbolt/internal/common), stable since
// bbolt's file format version 2. Only what pageWalker needs to bound-check.
const (
	pageHeaderSize   = 16 // id u64, flags u16, count u16, overflow u32
	elementSize      = 16 // branch: pos u32, ksize u32, pgid u64; leaf: flags u32, pos u32, ksize u32, vsize u32
	bucketHeaderSize = 16 // root pgid u64, sequence u64; an inline bucket's page follows
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	bucketLeafFlag   = 0x01
)

// bbolt lays pages out with unsafe casts, so in the machine's byte order.
var ne = binary.NativeEndian

// pageWalker walks every b+tree page reachable from a bucket, reading the file
// (not the mmap) so that a bad offset is an error here instead of a memory
// fault later. It checks that pages lie below the high water mark, say who
// they are, are branch or leaf pages, are referenced once, and that every
// element, key and value lies inside its page. Everything else (key order,
// freed pages, unreachable pages) is left to tx.Check.
type pageWalker struct {
	f        io.ReaderAt
	pageSize int
	hwm      uint64 // pages in use, from the meta page
	seen     map[uint64]bool
}

// tree walks the b+tree rooted at page id; what names it for error messages.
func (w *pageWalker) tree(id uint64, what string) error {
	if id < 2 || id >= w.hwm {
		return fmt.Errorf("%s points to page %d, outside pages 2..%d", what, id, w.hwm-1)
	}
	if w.seen[id] {
		return fmt.Errorf("%s points to page %d, which is already in use elsewhere", what, id)
	}
	buf := make([]byte, w.pageSize)
	if _, err := w.f.ReadAt(buf, int64(id)*int64(w.pageSize)); err != nil {
		return fmt.Errorf("reading page %d: %w", id, err)
	}
	if got := ne.Uint64(buf); got != id {
		return fmt.Errorf("page %d identifies itself as page %d", id, got)
	}
	if overflow := uint64(ne.Uint32(buf[12:])); overflow > 0 {
		if id+overflow >= w.hwm {
			return fmt.Errorf("page %d runs %d pages past the end", id, id+overflow-w.hwm+1)
		}
		buf = make([]byte, (1+overflow)*uint64(w.pageSize))
		if _, err := w.f.ReadAt(buf, int64(id)*int64(w.pageSize)); err != nil {
			return fmt.Errorf("reading page %d: %w", id, err)
		}
	}
	for i := range uint64(len(buf) / w.pageSize) {
		w.seen[id+i] = true
	}
	return w.node(buf, fmt.Sprintf("page %d", id))
}

// node checks one branch or leaf page held in buf (a whole page with its
// overflow, or an inline bucket's value) and walks its children.
func (w *pageWalker) node(buf []byte, where string) error {
	if len(buf) < pageHeaderSize {
		return fmt.Errorf("%s is %d bytes, shorter than a page header", where, len(buf))
	}
	flags, count := ne.Uint16(buf[8:]), int(ne.Uint16(buf[10:]))
	if pageHeaderSize+count*elementSize > len(buf) {
		return fmt.Errorf("%s claims %d elements, more than fit", where, count)
	}
	for i := range count {
		e := pageHeaderSize + i*elementSize
		// Keys and values are addressed from their element; use uint64 so
		// that garbage offsets cannot overflow.
		switch flags {
		case branchPageFlag:
			pos, ksize := uint64(ne.Uint32(buf[e:])), uint64(ne.Uint32(buf[e+4:]))
			if uint64(e)+pos+ksize > uint64(len(buf)) {
				return fmt.Errorf("%s element %d: key lies outside the page", where, i)
			}
			if err := w.tree(ne.Uint64(buf[e+8:]), fmt.Sprintf("%s element %d", where, i)); err != nil {
				return err
			}
		case leafPageFlag:
			eflags := ne.Uint32(buf[e:])
			pos, ksize, vsize := uint64(ne.Uint32(buf[e+4:])), uint64(ne.Uint32(buf[e+8:])), uint64(ne.Uint32(buf[e+12:]))
			start := uint64(e) + pos
			if start+ksize+vsize > uint64(len(buf)) {
				return fmt.Errorf("%s element %d: key or value lies outside the page", where, i)
			}
			if eflags&bucketLeafFlag == 0 {
				continue
			}
			v := buf[start+ksize : start+ksize+vsize]
			if len(v) < bucketHeaderSize {
				return fmt.Errorf("%s element %d: bucket header is %d bytes", where, i, len(v))
			}
			what := fmt.Sprintf("bucket %q", buf[start:start+ksize])
			if root := ne.Uint64(v); root != 0 {
				if err := w.tree(root, what); err != nil {
					return err
				}
			} else if err := w.node(v[bucketHeaderSize:], what+" (inline)"); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s has type flags %#x, neither branch nor leaf", where, flags)
		}
	}
	if count == 0 && flags != branchPageFlag && flags != leafPageFlag {
		return fmt.Errorf("%s has type flags %#x, neither branch nor leaf", where, flags)
	}
	return nil
}
