package canbus

import (
	"fmt"
	"io"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// dial opens a raw CAN socket bound to iface. With filters, the kernel
// hands the socket only the frames they match: a flood of other ids is
// dropped in the kernel, never queued ahead of the status frames nor read.
func dial(iface string, filters []filter) (io.ReadWriteCloser, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_CAN, unix.SOCK_RAW, unix.CAN_RAW)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	if len(filters) > 0 {
		fs := make([]unix.CanFilter, len(filters))
		for i, f := range filters {
			fs[i] = unix.CanFilter{Id: f.id, Mask: f.mask}
		}
		if err := unix.SetsockoptCanRawFilter(fd, unix.SOL_CAN_RAW, unix.CAN_RAW_FILTER, fs); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("CAN_RAW_FILTER: %w", err)
		}
	}
	// Non-blocking so that the runtime poller owns it: Close wakes a Read.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrCAN{Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind: %w", err)
	}
	return os.NewFile(uintptr(fd), "can:"+iface), nil
}
