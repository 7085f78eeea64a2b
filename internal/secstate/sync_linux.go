package secstate

import (
	"os"

	"golang.org/x/sys/unix"
)

// fdatasync flushes the file's data; its size is unchanged, so no metadata
// needs writing with it (the mtime follows with the journal's next commit).
func fdatasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
