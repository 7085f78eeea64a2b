package nodelink

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const vectorsFile = "../../firmware/testdata/link-vectors.txt"

// salt returns 16 bytes counting up from first, as firmware/tests/vectors.c.
func salt(first byte) (s [SaltLen]byte) {
	for i := range s {
		s[i] = first + byte(i)
	}
	return s
}

func mustEntry(t testing.TB, user uint32, pin string, saltFirst byte, iter uint32) PINEntry {
	t.Helper()
	e, err := NewPINEntry(user, pin, salt(saltFirst), iter)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// goodVectors are the messages of firmware/tests/vectors.c, built in Go.
func goodVectors(t testing.TB) map[string]Msg {
	return map[string]Msg{
		"hub_hello":      {Type: HubHello, Proto: 1, Version: "edgeagent 1", Token: 0x01020304},
		"hub_heartbeat":  {Type: HubHeartbeat, Ack: 7, UptimeMS: 123456},
		"hub_ack":        {Type: HubAck, Ack: 200},
		"lock_unlock":    {Seq: 5, Type: Lock, On: true, MS: 5000},
		"lock_lock":      {Seq: 6, Ack: 3, Type: Lock},
		"relay_on":       {Seq: 255, Ack: 255, Type: Relay, On: true},
		"pins_two":       {Seq: 9, Type: PINs, Iterations: 1000, Entries: []PINEntry{mustEntry(t, 1, "2468", 0x00, 1000), mustEntry(t, 70000, "13579", 0x10, 1000)}},
		"pins_empty":     {Seq: 10, Type: PINs, Iterations: 1},
		"state_req":      {Seq: 11, Type: StateRequest},
		"node_hello":     {Type: NodeHello, Proto: 1, Kind: KindLock, Version: "0.1.0", ResetCause: 1, Token: 0x01020304},
		"node_heartbeat": {Type: NodeHeartbeat, Ack: 5, UptimeMS: 4294967295},
		"node_ack":       {Type: NodeAck, Ack: 5, Status: StatusRefused},
		"state_lock":     {Seq: 1, Type: State, No: 1, TMS: 100, Mode: ModeLocal, Output: true, Door: DoorClosed, PINCount: 2, LockoutMS: 30000},
		"state_boiler":   {Seq: 2, Type: State, No: 2, TMS: 65536, Door: DoorNone, TempValid: true, TempCenti: -1250},
		"door":           {Seq: 3, Type: Door, No: 3, TMS: 200, Open: true},
		"keypad":         {Seq: 4, Type: Keypad, No: 4, TMS: 300, Result: KeypadGranted, User: 1, Opened: true},
		"alarm":          {Seq: 5, Type: Alarm, No: 5, TMS: 400, Code: AlarmHubLost},
	}
}

type vector struct {
	kind, name string
	frame      []byte
	line       string
}

func readVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		v := vector{kind: fs[0], name: fs[1], line: line}
		if v.kind != "pbkdf2" {
			if v.frame, err = hex.DecodeString(fs[2]); err != nil {
				t.Fatalf("%s: %v", v.name, err)
			}
		}
		vs = append(vs, v)
	}
	return vs
}

// inner strips a vector's two delimiters.
func inner(t testing.TB, f []byte) []byte {
	t.Helper()
	if len(f) < 3 || f[0] != 0 || f[len(f)-1] != 0 {
		t.Fatalf("frame % x lacks its delimiters", f)
	}
	return f[1 : len(f)-1]
}

// TestVectors: Go encodes every named message to exactly the bytes the C
// node encodes, decodes them back, and refuses every bad frame the node
// refuses; the PIN verifier matches the node's PBKDF2.
func TestVectors(t *testing.T) {
	good := goodVectors(t)
	seen := map[string]bool{}
	bad := 0
	for _, v := range readVectors(t) {
		switch v.kind {
		case "good":
			want, ok := good[v.name]
			if !ok {
				t.Errorf("vector %s: no Go message of that name", v.name)
				continue
			}
			seen[v.name] = true
			got, err := want.Encode()
			if err != nil {
				t.Errorf("%s: encode: %v", v.name, err)
				continue
			}
			if !bytes.Equal(got, v.frame) {
				t.Errorf("%s: Go encodes\n% x\nthe node\n% x", v.name, got, v.frame)
			}
			m, err := DecodeFrame(inner(t, v.frame))
			if err != nil {
				t.Errorf("%s: decode: %v", v.name, err)
				continue
			}
			if !reflect.DeepEqual(m, want) {
				t.Errorf("%s: decoded %+v, want %+v", v.name, m, want)
			}
		case "bad":
			bad++
			if m, err := DecodeFrame(inner(t, v.frame)); !errors.Is(err, ErrDecode) {
				t.Errorf("bad vector %s: decoded %+v, err %v; want ErrDecode", v.name, m, err)
			}
		case "pbkdf2":
			fs := strings.Fields(v.line)
			s, _ := hex.DecodeString(fs[2])
			iter, _ := strconv.Atoi(fs[3])
			e, err := NewPINEntry(1, fs[1], [SaltLen]byte(s), uint32(iter))
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(e.Hash[:]); got != fs[4] {
				t.Errorf("pbkdf2: Go %s, node %s", got, fs[4])
			}
		}
	}
	for name := range good {
		if !seen[name] {
			t.Errorf("vector %s missing from %s", name, vectorsFile)
		}
	}
	if bad < 11 {
		t.Errorf("%d bad vectors, want at least 11", bad)
	}
}

// TestSplitterEverySplit: a long frame handed over in two parts at every
// split point still gives one good message; every single flipped bit is
// refused; an oversized run is dropped and the next frame taken.
func TestSplitterEverySplit(t *testing.T) {
	m := Msg{Seq: 1, Type: PINs, Iterations: 1}
	for i := range MaxPINEntries {
		m.Entries = append(m.Entries, mustEntry(t, 0xFFFFFFFF-uint32(i), "0000", byte(16*i), 1))
	}
	f, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(f) < 300 {
		t.Fatalf("frame of %d bytes does not cross a COBS block", len(f))
	}
	for split := 0; split <= len(f); split++ {
		var s Splitter
		n := 0
		cb := func(fr []byte, tooLong bool) {
			if got, err := DecodeFrame(fr); err != nil || tooLong || !reflect.DeepEqual(got, m) {
				t.Fatalf("split %d: %v", split, err)
			}
			n++
		}
		s.Feed(f[:split], cb)
		s.Feed(f[split:], cb)
		if n != 1 {
			t.Fatalf("split %d: %d frames", split, n)
		}
	}
	for i := 1; i < len(f)-1; i++ {
		for b := range 8 {
			g := bytes.Clone(f)
			g[i] ^= 1 << b
			var s Splitter
			s.Feed(g, func(fr []byte, tooLong bool) {
				if got, err := DecodeFrame(fr); err == nil {
					t.Fatalf("byte %d bit %d flipped: decoded %+v", i, b, got)
				}
			})
		}
	}
	var s Splitter
	var results []bool
	s.Feed(bytes.Repeat([]byte{0x55}, 3*maxFrame), nil)
	s.Feed(append([]byte{0}, f...), func(fr []byte, tooLong bool) {
		_, err := DecodeFrame(fr)
		results = append(results, tooLong || err != nil)
	})
	if !reflect.DeepEqual(results, []bool{true, false}) {
		t.Fatalf("oversized then good: %v, want [true false]", results)
	}
	if cap(s.buf) > 2*maxFrame {
		t.Fatalf("splitter grew to %d bytes", cap(s.buf))
	}
}

func TestCOBSCanonical(t *testing.T) {
	for n := range 800 {
		for _, fill := range []func(i int) byte{
			func(i int) byte { return byte(i%255 + 1) },
			func(int) byte { return 0 },
			func(i int) byte {
				if i%7 == 3 {
					return 0
				}
				return 0x80 | byte(i)
			},
		} {
			in := make([]byte, n)
			for i := range in {
				in[i] = fill(i)
			}
			enc := cobsEncode(nil, in)
			if bytes.IndexByte(enc, 0) >= 0 {
				t.Fatalf("n=%d: zero in output", n)
			}
			dec, err := cobsDecode(enc)
			if err != nil || !bytes.Equal(dec, in) {
				t.Fatalf("n=%d: round trip: %v", n, err)
			}
		}
	}
	ones := bytes.Repeat([]byte{1}, 254)
	if got := len(cobsEncode(nil, ones)); got != 255 {
		t.Fatalf("254 non-zero bytes: %d encoded, want 255 (no empty block)", got)
	}
	if crc16([]byte("123456789")) != 0x29B1 {
		t.Fatal("crc16 check value")
	}
}
