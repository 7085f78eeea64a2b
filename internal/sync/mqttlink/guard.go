package mqttlink

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// The frame guard reads each MQTT packet's fixed header before paho does,
// on the plain MQTT stream (inside TLS). paho allocates a packet's whole
// remaining length before reading a byte of it (packets.ReadPacket), so a
// broker that announces a 256 MB PUBLISH gets 256 MB of a hub that has a
// few tens: the guard refuses such a packet from its header, so paho never
// sees it and its body is never read (DESIGN.md, inbound limits).

const (
	publishType = 3
	maxTopicLen = 65535 // an MQTT string's length is 16 bits
	// shownTopic bounds the topic of a refused PUBLISH read for the status:
	// the hub's own topics are far shorter.
	shownTopic = 1024
)

// PacketLimit is the largest remaining length the link accepts with a
// payload limit of maxPayload: a PUBLISH with the longest topic MQTT allows,
// a packet id and maxPayload bytes of payload. With the default 128 KiB it
// is 196 611 bytes.
func PacketLimit(maxPayload int) int { return 2 + maxTopicLen + 2 + maxPayload }

// TooLargeError is ErrTooLarge with what the header said.
type TooLargeError struct {
	Topic string // of a PUBLISH; "" if not a PUBLISH or not read
	Size  int    // the packet's remaining length
	Limit int
}

func (e *TooLargeError) Error() string {
	on := ""
	if e.Topic != "" {
		on = fmt.Sprintf(" on %q", e.Topic)
	}
	return fmt.Sprintf("%v: the broker began a %d-byte packet%s (limit %d); connection dropped before reading it", ErrTooLarge, e.Size, on, e.Limit)
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// frameGuard hands out the bytes of r packet by packet, each only after
// its fixed header (and a PUBLISH's topic length) passed the checks. It
// holds no more than r's buffer; once it fails, every Read fails.
type frameGuard struct {
	r     *bufio.Reader
	limit int // largest remaining length
	left  int // bytes of the current packet not yet handed out
	err   error
}

func (g *frameGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if g.left == 0 {
		n, err := g.header()
		if err != nil {
			g.err = err
			return 0, err
		}
		g.left = n
	}
	n, err := g.r.Read(p[:min(len(p), g.left)])
	g.left -= n
	if err != nil {
		g.err = err
	}
	return n, err
}

// header peeks at the next packet's fixed header and returns the packet's
// whole length (header included). It consumes nothing: Read hands the
// header out with the rest. io.EOF before the first byte is a clean end.
func (g *frameGuard) header() (int, error) {
	b, err := g.r.Peek(1)
	if err != nil {
		return 0, err
	}
	typ, flags := b[0]>>4, b[0]&0x0f
	if typ == 0 || typ == 15 {
		return 0, fmt.Errorf("%w: reserved packet type %d", ErrMalformed, typ)
	}
	qos := int(flags>>1) & 3
	if typ == publishType && qos == 3 {
		return 0, fmt.Errorf("%w: PUBLISH with QoS 3", ErrMalformed)
	}
	// The remaining length: 7 bits a byte, least significant first, at
	// most 4 bytes (MQTT 3.1.1 section 2.2.3).
	size, hdr := 0, 1
	for shift := 0; ; shift += 7 {
		if hdr == 5 {
			return 0, fmt.Errorf("%w: remaining length longer than 4 bytes", ErrMalformed)
		}
		b, err = g.r.Peek(hdr + 1)
		if err != nil {
			return 0, truncated(err)
		}
		c := b[hdr]
		size |= int(c&0x7f) << shift
		hdr++
		if c&0x80 == 0 {
			break
		}
	}
	if typ != publishType {
		if size > g.limit {
			return 0, &TooLargeError{Size: size, Limit: g.limit}
		}
		return hdr + size, nil
	}
	// A PUBLISH starts with its topic's length, then (QoS 1, 2) a packet id.
	fixed := 2
	if qos > 0 {
		fixed = 4
	}
	if size < fixed {
		return 0, fmt.Errorf("%w: PUBLISH of %d bytes, too short for its topic length and packet id", ErrMalformed, size)
	}
	if b, err = g.r.Peek(hdr + 2); err != nil {
		return 0, truncated(err)
	}
	tl := int(binary.BigEndian.Uint16(b[hdr:]))
	if tl > size-fixed {
		return 0, fmt.Errorf("%w: PUBLISH of %d bytes with a %d-byte topic", ErrMalformed, size, tl)
	}
	if size > g.limit {
		e := &TooLargeError{Size: size, Limit: g.limit}
		if tl <= shownTopic {
			if b, err := g.r.Peek(hdr + 2 + tl); err == nil {
				e.Topic = strings.ToValidUTF8(string(b[hdr+2:]), "\uFFFD")
			}
		}
		return 0, e
	}
	return hdr + size, nil
}

// truncated: the stream ended inside a fixed header.
func truncated(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
