package store

import (
	"go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// releaseMapping tells the kernel this process no longer needs the mapped
// file's pages (MADV_DONTNEED). bbolt maps the file read-only and shared and
// writes through the file, so nothing is lost: a later read faults the page
// back in from the page cache. Called inside a read transaction, which holds
// bbolt's mmap lock: the mapping cannot move underneath.
func releaseMapping(db *bbolt.DB, size int64) {
	if size <= 0 {
		return
	}
	// A failure only means the pages stay resident.
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, db.Info().Data, uintptr(size), unix.MADV_DONTNEED)
}
