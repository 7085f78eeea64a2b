package hap

// Tests of the encrypted connection added by edgeagent's fork (see
// third_party/README.md): each one is a way v0.0.35's conn lost or garbled
// a controller's first encrypted request, or raced on the session.

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// pairedSessions returns the accessory's and the controller's sessions of
// one pair-verify: the controller's keys are the accessory's swapped.
func pairedSessions(t *testing.T) (acc, ctl *session) {
	t.Helper()
	var shared [32]byte
	copy(shared[:], "a shared secret of 32 bytes.....")
	acc, err := newSession(shared, Pairing{Name: "controller"})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err = newSession(shared, Pairing{Name: "accessory"})
	if err != nil {
		t.Fatal(err)
	}
	ctl.encryptKey, ctl.decryptKey = acc.decryptKey, acc.encryptKey
	return acc, ctl
}

// enteringConn tells when a Read has reached the socket: the reader is
// then blocked in plaintext mode, as net/http's background read is while
// the pair-verify handler runs.
type enteringConn struct {
	net.Conn
	entered chan struct{}
}

func (c *enteringConn) Read(b []byte) (int, error) {
	select {
	case c.entered <- struct{}{}:
	default:
	}
	return c.Conn.Read(b)
}

// tcpPair is a loopback TCP connection: the accessory's end wrapped in a
// conn, the controller's raw. Reads on both ends give up after 10 s so a
// lost frame fails the test instead of hanging it.
func tcpPair(t *testing.T) (*conn, *enteringConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	ctl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	raw := <-accepted
	if raw == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { ctl.Close(); raw.Close() })
	deadline := time.Now().Add(10 * time.Second)
	raw.SetReadDeadline(deadline)
	ctl.SetReadDeadline(deadline)
	ec := &enteringConn{Conn: raw, entered: make(chan struct{}, 64)}
	return newConn(ec), ec, ctl
}

// seal is what a controller sends: msg in frames of at most 1024 bytes.
func seal(t *testing.T, s *session, msg []byte) []byte {
	t.Helper()
	r, err := s.Encrypt(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readN reads n bytes from c with reads of size chunk (1: net/http's
// background read), as the server would.
func readN(c io.Reader, n, chunk int) ([]byte, error) {
	var got []byte
	buf := make([]byte, chunk)
	for len(got) < n {
		k, err := c.Read(buf)
		got = append(got, buf[:k]...)
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

// The controller's first encrypted request arrives while a Read is
// blocked on the socket in plaintext mode: net/http's background read of
// the pair-verify request, which began before the handler's Upgrade
// (v0.0.35 handed the ciphertext up as plaintext, then decrypted from the
// middle of the frame) or after it (v0.0.35 then switched to encryption at
// once, and the M4 response went out encrypted, unreadable for the
// controller). Either way: M4 is written in plaintext, the request comes
// out decrypted, the response goes back encrypted. Both hung the session.
func TestConnFirstCiphertextToPendingRead(t *testing.T) {
	for _, readFirst := range []bool{true, false} {
		acc, ctl := pairedSessions(t)
		c, ec, raw := tcpPair(t)
		m4 := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/pairing+tlv8\r\nContent-Length: 3\r\n\r\n\x06\x01\x04")
		req := []byte("GET /accessories HTTP/1.1\r\nHost: bridge\r\n\r\n")
		resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

		first := make(chan []byte, 1)
		firstErr := make(chan error, 1)
		read := func() {
			b, err := readN(c, 1, 1)
			first <- b
			firstErr <- err
		}
		if readFirst {
			go read()
			<-ec.entered // blocked in the socket before the upgrade
			c.Upgrade(acc)
		} else {
			c.Upgrade(acc)
			go read()
			<-ec.entered // blocked in the socket after the upgrade
		}
		if _, err := c.Write(m4); err != nil { // the handler's M4, flushed
			t.Fatal(err)
		}
		if got, err := readN(raw, len(m4), len(m4)); err != nil || !bytes.Equal(got, m4) {
			t.Fatalf("read first %v: M4 %q (%v), want %q in plaintext", readFirst, got, err, m4)
		}
		if _, err := raw.Write(seal(t, ctl, req)); err != nil {
			t.Fatal(err)
		}
		got := <-first
		if err := <-firstErr; err != nil {
			t.Fatalf("read first %v: first read: %v", readFirst, err)
		}
		rest, err := readN(c, len(req)-len(got), 1024)
		got = append(got, rest...)
		if err != nil || !bytes.Equal(got, req) {
			t.Fatalf("read first %v: read %q (%v), want %q", readFirst, got, err, req)
		}
		if _, err := c.Write(resp); err != nil {
			t.Fatal(err)
		}
		r, err := ctl.Decrypt(bytesReader{raw})
		if err != nil {
			t.Fatalf("read first %v: response: %v", readFirst, err)
		}
		if b, _ := io.ReadAll(r); !bytes.Equal(b, resp) {
			t.Fatalf("read first %v: response %q, want %q", readFirst, b, resp)
		}
	}
}

// Two frames that arrive in one segment are both read: v0.0.35 made a
// bufio.Reader per decryption and dropped what it had read ahead.
func TestConnFramesInOneSegment(t *testing.T) {
	acc, ctl := pairedSessions(t)
	c, _, raw := tcpPair(t)
	c.Upgrade(acc)
	a := []byte("PUT /characteristics HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
	b := []byte("GET /accessories HTTP/1.1\r\n\r\n")
	if _, err := raw.Write(append(seal(t, ctl, a), seal(t, ctl, b)...)); err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte{}, a...), b...)
	got, err := readN(c, len(want), 4096)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %q (%v), want %q", got, err, want)
	}
}

// A request of exactly 1024 bytes is one full frame and nothing after it:
// v0.0.35 waited for another frame that never came.
func TestConnFullFrameAlone(t *testing.T) {
	acc, ctl := pairedSessions(t)
	c, _, raw := tcpPair(t)
	c.Upgrade(acc)
	req := bytes.Repeat([]byte("x"), packetLengthMax)
	if _, err := raw.Write(seal(t, ctl, req)); err != nil {
		t.Fatal(err)
	}
	got, err := readN(c, len(req), 4096)
	if err != nil || !bytes.Equal(got, req) {
		t.Fatalf("read %d bytes (%v), want %d", len(got), err, len(req))
	}
}

// A read deadline that expires in the middle of a frame (net/http aborts
// its background read that way) loses nothing: the next read goes on from
// where the frame began.
func TestConnDeadlineMidFrame(t *testing.T) {
	acc, ctl := pairedSessions(t)
	c, ec, raw := tcpPair(t)
	c.Upgrade(acc)
	req := []byte("GET /accessories HTTP/1.1\r\n\r\n")
	frame := seal(t, ctl, req)
	if _, err := raw.Write(frame[:5]); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 1)); errc <- err }()
	<-ec.entered // the first bytes of the frame: ciphertext, after Upgrade
	<-ec.entered // waiting for the rest of the frame
	ec.Conn.SetReadDeadline(time.Unix(1, 0))
	var ne net.Error
	if err := <-errc; !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	ec.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := raw.Write(frame[5:]); err != nil {
		t.Fatal(err)
	}
	got, err := readN(c, len(req), 4096)
	if err != nil || !bytes.Equal(got, req) {
		t.Fatalf("read %q (%v), want %q", got, err, req)
	}
}

// Responses and event notifications are written from different
// goroutines: every frame reaches the controller in nonce order, and the
// session is read under the lock (go test -race). v0.0.35 read the session
// without the lock and could put frame n+1 on the wire before frame n.
func TestConnConcurrentWrites(t *testing.T) {
	acc, ctl := pairedSessions(t)
	c, _, raw := tcpPair(t)
	c.Upgrade(acc)
	// The upgrade takes effect for writes at the next read: the first
	// request.
	if _, err := raw.Write(seal(t, ctl, []byte("GET / HTTP/1.1\r\n\r\n"))); err != nil {
		t.Fatal(err)
	}
	if _, err := readN(c, 1, 1); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 100
	msg := []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < each; k++ {
				if _, err := c.Write(msg); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	r := bytesReader{raw}
	for i := 0; i < writers*each; i++ {
		b, err := ctl.Decrypt(r)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got, _ := io.ReadAll(b); !bytes.Equal(got, msg) {
			t.Fatalf("frame %d: %q", i, got)
		}
	}
	wg.Wait()
}

// bytesReader reads a frame's parts whole (binary.Read needs full reads).
type bytesReader struct{ r io.Reader }

func (b bytesReader) Read(p []byte) (int, error) { return io.ReadFull(b.r, p) }
