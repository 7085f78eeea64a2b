//go:build !linux

package canbus

import (
	"errors"
	"io"
)

func dial(string) (io.ReadWriteCloser, error) {
	return nil, errors.New("SocketCAN is Linux only")
}
