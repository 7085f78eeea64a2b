package nodelink

import "fmt"

// MaxPayload is the largest message payload (CBOR, before the CRC), as on
// the node (LINK_MAX_PAYLOAD).
const MaxPayload = 512

// maxFrame is the most bytes between two delimiters: COBS of payload+CRC.
const maxFrame = MaxPayload + 2 + (MaxPayload+2)/254 + 1

// crc16 is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), as firmware/src/crc16.c.
func crc16(p []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, b := range p {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// cobsEncode appends the COBS encoding of in to out; canonical like the
// node's: no empty block after 254 non-zero bytes that end the input.
func cobsEncode(out, in []byte) []byte {
	codeAt := len(out)
	out = append(out, 0)
	code := byte(1)
	for i, b := range in {
		if b == 0 {
			out[codeAt] = code
			codeAt = len(out)
			out = append(out, 0)
			code = 1
			continue
		}
		out = append(out, b)
		code++
		if code == 0xFF && i+1 < len(in) {
			out[codeAt] = code
			codeAt = len(out)
			out = append(out, 0)
			code = 1
		}
	}
	out[codeAt] = code
	return out
}

func cobsDecode(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		code := int(in[i])
		i++
		if code == 0 || code-1 > len(in)-i {
			return nil, fmt.Errorf("%w: COBS block of %d at byte %d runs past the end", ErrFrame, code, i-1)
		}
		for _, b := range in[i : i+code-1] {
			if b == 0 {
				return nil, fmt.Errorf("%w: zero byte inside a COBS block", ErrFrame)
			}
		}
		out = append(out, in[i:i+code-1]...)
		i += code - 1
		if code != 0xFF && i < len(in) {
			out = append(out, 0)
		}
	}
	return out, nil
}

// frame wraps a payload for the wire: 0x00, COBS(payload, CRC), 0x00.
func frame(payload []byte) []byte {
	c := crc16(payload)
	body := append(payload[:len(payload):len(payload)], byte(c>>8), byte(c))
	out := make([]byte, 0, len(body)+len(body)/254+3)
	out = append(out, 0)
	out = cobsEncode(out, body)
	return append(out, 0)
}

// Unframe checks one frame (the bytes between two delimiters) and returns
// its payload.
func Unframe(f []byte) ([]byte, error) {
	if len(f) > maxFrame {
		return nil, fmt.Errorf("%w: %d bytes between delimiters, at most %d", ErrFrame, len(f), maxFrame)
	}
	b, err := cobsDecode(f)
	if err != nil {
		return nil, err
	}
	if len(b) < 3 {
		return nil, fmt.Errorf("%w: %d bytes, too short", ErrFrame, len(b))
	}
	n := len(b) - 2
	if got, want := uint16(b[n])<<8|uint16(b[n+1]), crc16(b[:n]); got != want {
		return nil, fmt.Errorf("%w: CRC %04x, computed %04x", ErrFrame, got, want)
	}
	return b[:n], nil
}

// Splitter cuts a byte stream into frames. Bytes past maxFrame before a
// delimiter are dropped whole, as on the node: memory stays bounded
// whatever arrives.
type Splitter struct {
	buf      []byte
	overflow bool
}

// Feed consumes p and calls f with each complete frame (without its
// delimiters; empty frames are skipped). f must not keep the slice.
func (s *Splitter) Feed(p []byte, f func(frame []byte, tooLong bool)) {
	for _, b := range p {
		if b != 0 {
			if len(s.buf) < maxFrame+1 {
				s.buf = append(s.buf, b)
			} else {
				s.overflow = true
			}
			continue
		}
		if len(s.buf) > 0 || s.overflow {
			f(s.buf, s.overflow)
		}
		s.buf = s.buf[:0]
		s.overflow = false
	}
}
