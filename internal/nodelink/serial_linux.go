package nodelink

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// OpenSerial opens a tty (a USB serial adapter, a Pi's UART, a pty) raw, 8N1,
// no flow control, at baud. Plain termios through golang.org/x/sys/unix, a
// module the agent already has: go.bug.st/serial would bring two more
// modules for the same ten lines. The fd is non-blocking under Go's poller,
// so Run can stop its reader with a read deadline.
func OpenSerial(path string, baud int) (*os.File, error) {
	speed, ok := map[int]uint32{9600: unix.B9600, 19200: unix.B19200, 38400: unix.B38400,
		57600: unix.B57600, 115200: unix.B115200, 230400: unix.B230400}[baud]
	if !ok {
		return nil, fmt.Errorf("nodelink: %s: baud rate %d not one of 9600, 19200, 38400, 57600, 115200, 230400", path, baud)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("nodelink: open %s: %w", path, err)
	}
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("nodelink: %s is not a tty: %w", path, err)
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CRTSCTS | unix.CBAUD
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL | speed
	t.Ispeed, t.Ospeed = speed, speed
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("nodelink: %s: set raw mode: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}
