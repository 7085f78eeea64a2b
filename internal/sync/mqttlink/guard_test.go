package mqttlink

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
)

// Raw MQTT 3.1.1 frames as a broker sends them, for the seeds and the
// fake-broker test.
var (
	frameConnack  = []byte{0x20, 0x02, 0x00, 0x00}
	frameSuback   = []byte{0x90, 0x03, 0x00, 0x01, 0x01}
	framePuback   = []byte{0x40, 0x02, 0x00, 0x07}
	framePingresp = []byte{0xd0, 0x00}
)

// publishFrame is a PUBLISH with the given first byte flags (retain 0x01,
// QoS<<1, dup 0x08), topic and payload; QoS > 0 gets packet id 1.
func publishFrame(flags byte, topic string, payload []byte) []byte {
	body := binary.BigEndian.AppendUint16(nil, uint16(len(topic)))
	body = append(body, topic...)
	if flags&0x06 != 0 {
		body = append(body, 0x00, 0x01)
	}
	body = append(body, payload...)
	return append(append([]byte{0x30 | flags}, mqtttest.RemainingLength(len(body))...), body...)
}

// refWalk is the guard's rule written as a plain walk over the whole input:
// how many bytes the guard hands out, the error that follows them and the
// topic a refused PUBLISH names.
func refWalk(in []byte, limit int) (passed int, topic string, err error) {
	pos := 0
	for {
		if pos == len(in) {
			return pos, "", io.EOF
		}
		typ, qos := in[pos]>>4, int(in[pos]>>1)&3
		if typ == 0 || typ == 15 || (typ == 3 && qos == 3) {
			return pos, "", ErrMalformed
		}
		size, i := 0, 1
		for {
			if i == 5 {
				return pos, "", ErrMalformed
			}
			if pos+i >= len(in) {
				return pos, "", io.ErrUnexpectedEOF
			}
			c := in[pos+i]
			size += int(c&0x7f) << (7 * (i - 1))
			i++
			if c < 0x80 {
				break
			}
		}
		if typ == 3 {
			fixed := 2
			if qos > 0 {
				fixed = 4
			}
			if size < fixed {
				return pos, "", ErrMalformed
			}
			if pos+i+2 > len(in) {
				return pos, "", io.ErrUnexpectedEOF
			}
			tl := int(binary.BigEndian.Uint16(in[pos+i:]))
			if tl > size-fixed {
				return pos, "", ErrMalformed
			}
			if size > limit {
				if tl <= shownTopic && pos+i+2+tl <= len(in) {
					topic = string(bytes.ToValidUTF8(in[pos+i+2:pos+i+2+tl], []byte("\uFFFD")))
				}
				return pos, topic, ErrTooLarge
			}
		} else if size > limit {
			return pos, "", ErrTooLarge
		}
		if pos+i+size > len(in) {
			return len(in), "", io.EOF // a truncated body is handed out as far as it goes
		}
		pos += i + size
	}
}

// countingReader counts what the guard's buffer took from the source.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

const guardBuffer = 16 << 10 // as bufferedConn

// runGuard reads all of in through a guard with reads of at most chunk
// bytes.
func runGuard(in []byte, limit, chunk int) (out []byte, topic string, consumed int, err error) {
	src := &countingReader{r: bytes.NewReader(in)}
	g := &frameGuard{r: bufio.NewReaderSize(src, guardBuffer), limit: limit}
	buf := make([]byte, chunk)
	for {
		n, rerr := g.Read(buf)
		out = append(out, buf[:n]...)
		if rerr != nil {
			var tl *TooLargeError
			if errors.As(rerr, &tl) {
				topic = tl.Topic
			}
			return out, topic, src.n, rerr
		}
	}
}

// FuzzFrameGuard runs the guard over arbitrary byte streams, read in
// arbitrary chunk sizes, against the plain walk above: the guard hands out
// exactly the bytes of the packets that passed, byte for byte (a valid
// stream passes whole), stops with the same error, never panics, and never
// reads further ahead of what it handed out than its one buffer.
func FuzzFrameGuard(f *testing.F) {
	valid := bytes.Join([][]byte{frameConnack, frameSuback, framePuback, framePingresp,
		publishFrame(0x00, "edgeagent/home-1/cmd", []byte("qos 0")),
		publishFrame(0x03, "edgeagent/home-1/cred", []byte("qos 1 retained")),
		publishFrame(0x0a, "edgeagent/home-1/cfg", []byte("qos 1 dup")),
	}, nil)
	seeds := []struct {
		in    []byte
		limit uint32
	}{
		{nil, 1024},   // nothing: a clean end
		{valid, 1024}, // a broker's ordinary packets pass whole
		{valid, 16},   // the same with a limit the PUBLISHes exceed
		{[]byte{0x30, 0xff, 0xff, 0xff, 0x7f}, 1 << 20},                               // a 256 MB PUBLISH header alone
		{append([]byte{0x32, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x03}, "a/b"...), 1 << 20}, // ... with its topic
		{[]byte{0x30, 0x80, 0x80, 0x80, 0x80, 0x01}, 1 << 20},                         // a 5-byte remaining length
		{[]byte{0x30, 0x80, 0x80}, 1 << 20},                                           // truncated inside the length
		{publishFrame(0x06, "t", []byte("x")), 1024},                                  // QoS 3
		{[]byte{0x32, 0x04, 0x00, 0x09, 0x00, 0x01}, 1024},                            // topic length 9 in a 4-byte PUBLISH
		{[]byte{0x32, 0x03, 0x00, 0x00, 0x00}, 1024},                                  // QoS 1 too short for its packet id
		{[]byte{0x00, 0x00}, 1024},                                                    // reserved type 0
		{[]byte{0xf0, 0x00}, 1024},                                                    // reserved type 15
		{[]byte{0x90, 0xff, 0x7f}, 100},                                               // a huge SUBACK
		{publishFrame(0x00, "t", bytes.Repeat([]byte{'x'}, 300))[:50], 1024},          // a truncated body
		{append(publishFrame(0x00, "t", []byte("x")), 0x90, 0x80, 0x80, 0x80, 0x80), 1024},
	}
	for _, s := range seeds {
		f.Add(s.in, s.limit, uint8(7))
		f.Add(s.in, s.limit, uint8(255))
	}
	f.Fuzz(func(t *testing.T, in []byte, limit uint32, chunk uint8) {
		lim := int(limit % (1 << 21))
		wantN, wantTopic, wantErr := refWalk(in, lim)
		out, topic, consumed, err := runGuard(in, lim, int(chunk)+1)
		if !bytes.Equal(out, in[:wantN]) {
			t.Fatalf("handed out %d bytes %x, want the first %d of %x", len(out), out, wantN, in)
		}
		if !errors.Is(err, wantErr) {
			t.Fatalf("error %v, want %v", err, wantErr)
		}
		if topic != wantTopic {
			t.Fatalf("topic %q, want %q", topic, wantTopic)
		}
		if consumed > len(out)+guardBuffer {
			t.Fatalf("read %d bytes from the source to hand out %d", consumed, len(out))
		}
	})
}

// An endless source: a header for a 256 MB PUBLISH, then bytes for ever.
type endless struct{ head []byte }

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.head)
	e.head = e.head[n:]
	for i := n; i < len(p); i++ {
		p[i] = 'x'
	}
	return len(p), nil
}

// The attack of issue 9 at the guard: a broker announces a 256 MB PUBLISH
// and keeps sending. The guard refuses it from its header and topic, with
// no byte handed to paho and no more than one buffer taken from the
// connection.
func TestGuardRefusesFromTheHeader(t *testing.T) {
	const size = 256<<20 - 1 // the largest remaining length MQTT can encode
	head := append([]byte{0x33}, mqtttest.RemainingLength(size)...)
	head = append(head, 0x00, 0x15)
	head = append(head, "edgeagent/home-1/cred"...)
	src := &countingReader{r: &endless{head: head}}
	g := &frameGuard{r: bufio.NewReaderSize(src, guardBuffer), limit: PacketLimit(DefaultMaxPayload)}
	buf := make([]byte, 4096)
	n, err := g.Read(buf)
	var tl *TooLargeError
	if n != 0 || !errors.As(err, &tl) {
		t.Fatalf("Read = %d, %v; want 0 and a TooLargeError", n, err)
	}
	if tl.Topic != "edgeagent/home-1/cred" || tl.Size != size || tl.Limit != 196611 {
		t.Fatalf("refusal %+v", tl)
	}
	if src.n > guardBuffer {
		t.Fatalf("read %d bytes of the refused packet", src.n)
	}
	if n, err2 := g.Read(buf); n != 0 || err2 != err {
		t.Fatalf("a Read after the refusal = %d, %v; want the same error", n, err2)
	}
	t.Log(err)
}

// FuzzInboundPath runs what the link runs on bytes from the broker: the
// guard, then paho's packet reader, over arbitrary streams (the seeds are
// FuzzFrameGuard's: a broker's ordinary packets, QoS 0, 1 and retained
// PUBLISHes, bad lengths). paho's reader never panics (a panic on its
// goroutine would take the agent down, in a loop if the packet is
// retained), reads no more than the guard handed out, and every PUBLISH it
// returns passed the guard's limit.
func FuzzInboundPath(f *testing.F) {
	f.Add(bytes.Join([][]byte{frameConnack, frameSuback, framePuback, framePingresp,
		publishFrame(0x00, "edgeagent/home-1/cmd", []byte("qos 0")),
		publishFrame(0x03, "edgeagent/home-1/cred", []byte("qos 1 retained"))}, nil), uint32(1024))
	f.Add([]byte{0x20, 0x00}, uint32(1024))                         // a CONNACK too short for its fields
	f.Add([]byte{0x90, 0x02, 0x00, 0x01}, uint32(1024))             // a SUBACK without return codes
	f.Add([]byte{0x32, 0x04, 0x00, 0x00, 0x00, 0x01}, uint32(1024)) // an empty topic
	f.Add([]byte{0x62, 0x01, 0x00}, uint32(1024))                   // a PUBREL one byte short
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0x7f}, uint32(1<<20))      // 256 MB announced
	f.Fuzz(func(t *testing.T, in []byte, limit uint32) {
		lim := int(limit % (1 << 21))
		g := &frameGuard{r: bufio.NewReaderSize(bytes.NewReader(in), guardBuffer), limit: lim}
		for range len(in) + 1 { // each packet takes at least one byte
			p, err := packets.ReadPacket(g)
			if err != nil {
				return
			}
			if pub, ok := p.(*packets.PublishPacket); ok && len(pub.Payload) > lim {
				t.Fatalf("a %d-byte payload through a guard limited to %d", len(pub.Payload), lim)
			}
		}
		t.Fatal("more packets than bytes")
	})
}
