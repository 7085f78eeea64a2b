package mqtttest

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// PublishHuge publishes a QoS 1 message of size payload bytes on topic
// through a raw MQTT 3.1.1 connection, streaming the payload (zeros) so
// that the test process never holds it, and waits (at most a minute) for
// the broker's PUBACK. Mosquitto's default limit (message_size_limit 0)
// takes a PUBLISH up to MQTT's largest remaining length, 268 435 455
// bytes: MaxPayload(topic) is the largest payload that fits.
func PublishHuge(t testing.TB, addr, clientID, topic string, retained bool, size int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	w := bufio.NewWriterSize(c, 64<<10)
	r := bufio.NewReader(c)

	// CONNECT: protocol "MQTT" level 4, clean session, keepalive 60 s.
	body := append([]byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60}, mqttString(clientID)...)
	w.Write(Frame(0x10, body))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if ack := readFrame(t, r); ack[0] != 0x20 || ack[len(ack)-1] != 0 {
		t.Fatalf("CONNACK %x", ack)
	}
	flags := byte(0x32) // PUBLISH, QoS 1
	if retained {
		flags |= 0x01
	}
	head := append(mqttString(topic), 0x00, 0x01) // packet id 1
	w.WriteByte(flags)
	w.Write(RemainingLength(len(head) + size))
	w.Write(head)
	zeros := make([]byte, 64<<10)
	for left := size; left > 0; {
		n := min(left, len(zeros))
		if _, err := w.Write(zeros[:n]); err != nil {
			t.Fatalf("publishing %d bytes on %s: %v", size, topic, err)
		}
		left -= n
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if ack := readFrame(t, r); ack[0] != 0x40 {
		t.Fatalf("no PUBACK for %d bytes on %s (the broker's size limit?): %x", size, topic, ack)
	}
	c.Write([]byte{0xe0, 0x00}) // DISCONNECT
}

// MaxPayload is the largest payload a QoS 1 PUBLISH on topic can carry.
func MaxPayload(topic string) int { return 268_435_455 - 2 - len(topic) - 2 }

// Frame is an MQTT packet: first byte, remaining length, body.
func Frame(first byte, body []byte) []byte {
	return append(append([]byte{first}, RemainingLength(len(body))...), body...)
}

// RemainingLength encodes n in MQTT's variable length (no bound checked,
// so that a test can write a malformed one).
func RemainingLength(n int) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n > 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

func mqttString(s string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(s))), s...)
}

// readFrame reads one small packet (at most 4 KiB).
func readFrame(t testing.TB, r *bufio.Reader) []byte {
	t.Helper()
	first, err := r.ReadByte()
	if err != nil {
		t.Fatalf("reading a packet: %v", err)
	}
	n, shift := 0, 0
	for i := 0; ; i++ {
		c, err := r.ReadByte()
		if err != nil || i == 4 {
			t.Fatalf("reading a packet's length: %v", err)
		}
		n |= int(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			break
		}
	}
	if n > 4096 {
		t.Fatalf("a %d-byte packet from the broker", n)
	}
	b := make([]byte, 1+n)
	b[0] = first
	if _, err := io.ReadFull(r, b[1:]); err != nil {
		t.Fatal(err)
	}
	return b
}
