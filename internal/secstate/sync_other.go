//go:build !linux

package secstate

import "os"

func fdatasync(f *os.File) error { return f.Sync() }
