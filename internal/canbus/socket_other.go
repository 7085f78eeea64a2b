//go:build !linux

package canbus

import (
	"errors"
	"io"
)

func dial(string, []filter) (io.ReadWriteCloser, error) {
	return nil, errors.New("SocketCAN is Linux only")
}
