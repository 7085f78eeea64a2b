//go:build !linux

package localauth

// kernelNTPSynced: elsewhere (a developer's laptop) we cannot ask, so the
// wall clock never raises the floor.
func kernelNTPSynced() bool { return false }
