package nodelink

import "errors"

var (
	// ErrFrame: a frame whose COBS, CRC or length is wrong.
	ErrFrame = errors.New("nodelink: bad frame")
	// ErrDecode: a well-framed payload outside the protocol.
	ErrDecode = errors.New("nodelink: bad message")
	// ErrTooLong: a message over MaxPayload bytes.
	ErrTooLong = errors.New("nodelink: message too long")
	// ErrNoAck: the node did not acknowledge a command after every retry.
	ErrNoAck = errors.New("nodelink: no acknowledgement from the node")
	// ErrNodeRestarted: the node said hello while a command waited for its
	// acknowledgement; whether it ran is unknown, so it is not resent.
	ErrNodeRestarted = errors.New("nodelink: node restarted during the command")
	// ErrUnsupported, ErrBadRequest, ErrRefused: the node's answer.
	ErrUnsupported = errors.New("nodelink: node does not support the command")
	ErrBadRequest  = errors.New("nodelink: node found the command malformed")
	ErrRefused     = errors.New("nodelink: node refused the command")
	// ErrClosed: the Conn stopped.
	ErrClosed = errors.New("nodelink: link closed")
)
