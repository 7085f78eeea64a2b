//go:build !linux

package nodelink

import (
	"fmt"
	"os"
)

// OpenSerial is Linux only: the hub is a Linux board.
func OpenSerial(path string, baud int) (*os.File, error) {
	return nil, fmt.Errorf("nodelink: %s: serial ports are supported on Linux only", path)
}
