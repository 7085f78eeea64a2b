package hap

import (
	"sync"

	"github.com/brutella/hap/chacha20poly1305"
	"github.com/brutella/hap/log"

	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/ioutil"
	"net"
)

// conn is a HAP connection: plaintext until pair-verify, then every frame
// encrypted with the session's keys.
//
// edgeagent's fork (third_party/README.md): v0.0.35 switched to encryption
// at the start of the next Read. But net/http reads in the background
// while a handler runs (the pair-verify request's handler among them), so
// that Read could be blocked in plaintext mode when the controller's first
// encrypted request arrived (its bytes were handed up as plaintext), or
// could start after Upgrade and before the M4 response went out (M4 was
// then encrypted, which the controller cannot read). Both hung the session.
// Here the switch is made by the data: the first bytes that arrive after
// Upgrade are the first ciphertext, since a controller sends nothing
// between its M3 and the accessory's M4.
type conn struct {
	net.Conn

	smu     sync.Mutex
	pending *session // set by Upgrade: active from the first byte received after it
	ss      *session // active: frames are encrypted both ways; guarded by smu

	// wmu makes encrypting and writing one step: responses and event
	// notifications are written from different goroutines, and frames must
	// reach the controller in nonce order.
	wmu sync.Mutex

	// Read side, used by one reader at a time (net/http's connReader).
	br      *bufio.Reader // over the ciphertext, from its first byte; made once
	readBuf []byte        // decrypted bytes of the current frame not yet read
}

func newConn(c net.Conn) *conn {
	return &conn{Conn: c}
}

// Upgrade arms encryption with s: it starts with the next bytes the
// controller sends; what the accessory writes until then (the pair-verify
// M4 response) is plaintext.
func (c *conn) Upgrade(s *session) {
	c.smu.Lock()
	c.pending = s
	c.smu.Unlock()
}

func (c *conn) session() *session {
	c.smu.Lock()
	defer c.smu.Unlock()
	return c.ss
}

// Write writes bytes to the connection.
// The written bytes are encrypted when possible.
func (c *conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ss := c.session()
	if ss == nil {
		return c.Conn.Write(b)
	}

	var buf bytes.Buffer
	buf.Write(b)
	enc, err := ss.Encrypt(&buf)

	if err != nil {
		log.Debug.Println("encryption failed:", err)
		err = c.Conn.Close()
		return 0, err
	}

	encB, err := ioutil.ReadAll(enc)
	if err != nil {
		return 0, err
	}
	_, err = c.Conn.Write(encB)
	if err != nil {
		return 0, err
	}

	return len(b), nil
}

const (
	packetSize = 0x400
)

// Read reads bytes from the connection.
// The read bytes are decrypted when possible.
func (c *conn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if len(c.readBuf) > 0 {
		n := copy(b, c.readBuf)
		c.readBuf = c.readBuf[n:]
		return n, nil
	}
	ss := c.session()
	if ss == nil {
		n, err := c.Conn.Read(b)
		if n == 0 {
			return n, err
		}
		c.smu.Lock()
		s := c.pending
		if s != nil {
			c.ss, c.pending, ss = s, nil, s
		}
		c.smu.Unlock()
		if ss == nil {
			return n, err
		}
		// The first ciphertext: keep it in front of the rest of the stream.
		first := append([]byte(nil), b[:n]...)
		c.br = bufio.NewReader(io.MultiReader(bytes.NewReader(first), c.Conn))
	}

	plain, err := c.readFrame(ss)
	if err != nil {
		if neterr, ok := err.(net.Error); ok && neterr.Timeout() {
			// Ignore timeout error #77: the frame is still buffered whole.
		} else if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
			// Ignore close errors
		} else {
			log.Debug.Println("decryption failed:", err)
			c.Conn.Close()
		}
		return 0, err
	}
	n := copy(b, plain)
	c.readBuf = plain[n:]
	return n, nil
}

// frameMax is a frame's size on the wire: length, at most packetLengthMax
// bytes of data, the 16-byte tag.
const frameMax = 2 + packetLengthMax + 16

// readFrame decrypts exactly one frame. It peeks until the whole frame is
// buffered and only then consumes it, so that a read deadline in the
// middle of a frame (net/http ends its background read that way) loses
// nothing; and it never waits for a frame after a full one (v0.0.35 did,
// which hung a request of exactly 1024 bytes).
func (c *conn) readFrame(ss *session) ([]byte, error) {
	h, err := c.br.Peek(2)
	if err != nil {
		return nil, err
	}
	length := int(binary.LittleEndian.Uint16(h))
	if length > packetLengthMax {
		return nil, fmt.Errorf("frame of %d bytes, at most %d", length, packetLengthMax)
	}
	f, err := c.br.Peek(2 + length + 16)
	if err != nil {
		return nil, err
	}
	var mac [16]byte
	copy(mac[:], f[2+length:])
	var nonce [8]byte
	ss.mu.Lock()
	binary.LittleEndian.PutUint64(nonce[:], ss.decryptCount)
	ss.mu.Unlock()
	sealed := append([]byte(nil), f[2:2+length]...) // not aliasing br's buffer
	plain, err := chacha20poly1305.DecryptAndVerify(ss.decryptKey[:], nonce[:], sealed, mac, f[:2])
	if err != nil {
		return nil, fmt.Errorf("frame %d: %w", binary.LittleEndian.Uint64(nonce[:]), err)
	}
	ss.mu.Lock()
	ss.decryptCount++
	ss.mu.Unlock()
	if _, err := c.br.Discard(2 + length + 16); err != nil {
		return nil, err
	}
	return plain, nil
}
