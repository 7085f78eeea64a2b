//go:build !linux

package store

import "os"

const oDirect = 0

func setDirect(*os.File, bool) error { return nil }

func fdatasync(f *os.File) error { return f.Sync() }
