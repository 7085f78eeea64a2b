package canbus

import (
	"encoding/binary"
	"errors"
	"io"

	"go.einride.tech/can"
)

// A SocketCAN frame (struct can_frame): can_id (little-endian on the
// little-endian boards the hub runs on, with the EFF, RTR and ERR flags in
// its top bits), the length, 3 bytes of padding, 8 bytes of data. Coded
// here rather than with einride's socketcan package, which imports testing
// helpers into the binary (TestDeps).
const (
	frameSize = 16
	flagEFF   = 0x80000000
	flagRTR   = 0x40000000
	flagERR   = 0x20000000
	maskEFF   = 0x1fffffff
	maskSFF   = 0x7ff
)

var errFrame = errors.New("error frame")

func marshalFrame(f can.Frame) []byte {
	b := make([]byte, frameSize)
	id := f.ID & maskSFF
	if f.IsExtended {
		id = f.ID&maskEFF | flagEFF
	}
	if f.IsRemote {
		id |= flagRTR
	}
	binary.LittleEndian.PutUint32(b, id)
	b[4] = min(f.Length, 8)
	copy(b[8:], f.Data[:])
	return b
}

// unmarshalFrame decodes one frame; an error frame or a length over 8 is
// errFrame.
func unmarshalFrame(b []byte) (can.Frame, error) {
	id := binary.LittleEndian.Uint32(b)
	if id&flagERR != 0 || b[4] > 8 {
		return can.Frame{}, errFrame
	}
	f := can.Frame{Length: b[4], IsRemote: id&flagRTR != 0, IsExtended: id&flagEFF != 0}
	if f.IsExtended {
		f.ID = id & maskEFF
	} else {
		f.ID = id & maskSFF
	}
	copy(f.Data[:], b[8:16])
	return f, nil
}

// readFrame reads one whole frame.
func readFrame(r io.Reader, buf []byte) (can.Frame, error) {
	if _, err := io.ReadFull(r, buf[:frameSize]); err != nil {
		return can.Frame{}, err
	}
	return unmarshalFrame(buf)
}
