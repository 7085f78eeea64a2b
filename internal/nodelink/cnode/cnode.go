//go:build cgo

// Package cnode is the node firmware's C link code (firmware/src/link.c and
// what it uses) built for the host with cgo, so that the fuzzer can hold it
// against the Go decoder: the same bytes must give the same frames, the same
// verdicts and the same encodings on both ends of the link. Test-only: not
// safe for concurrent use (the C side keeps one receiver).
package cnode

// #cgo CFLAGS: -std=c11
// #include "cnode.h"
import "C"

import "unsafe"

// Frames feeds p through a fresh C frame receiver and returns the checked
// payloads it hands out, in order.
func Frames(p []byte) [][]byte {
	C.cnode_rx_reset()
	var out [][]byte
	for _, b := range p {
		var payload *C.uint8_t
		k := C.cnode_rx_byte(C.uint8_t(b), &payload)
		if k >= 0 {
			out = append(out, C.GoBytes(unsafe.Pointer(payload), k))
		}
	}
	return out
}

// Reencode decodes payload as the node does and encodes the message again
// as a wire frame; ok is false when the node refuses the payload.
func Reencode(payload []byte) (frame []byte, ok bool) {
	out := make([]byte, 1024)
	var in *C.uint8_t
	if len(payload) > 0 {
		in = (*C.uint8_t)(unsafe.Pointer(&payload[0]))
	}
	n := C.cnode_reencode(in, C.size_t(len(payload)), (*C.uint8_t)(unsafe.Pointer(&out[0])), C.size_t(len(out)))
	if n == 0 {
		return nil, false
	}
	return out[:n], true
}
