package store

import (
	"os"

	"golang.org/x/sys/unix"
)

const oDirect = unix.O_DIRECT

// setDirect turns O_DIRECT on or off on an open file.
func setDirect(f *os.File, on bool) error {
	fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		fl |= unix.O_DIRECT
	} else {
		fl &^= unix.O_DIRECT
	}
	_, err = unix.FcntlInt(f.Fd(), unix.F_SETFL, fl)
	return err
}

// fdatasync flushes the file's data, and its metadata only where reading
// the data needs it (the log is preallocated: none).
func fdatasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
