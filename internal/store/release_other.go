//go:build !linux

package store

import "go.etcd.io/bbolt"

// releaseMapping is a no-op where MADV_DONTNEED is not the same call.
func releaseMapping(*bbolt.DB, int64) {}
