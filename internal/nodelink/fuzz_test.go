package nodelink

import (
	"reflect"
	"testing"
)

// FuzzDecodeFrame: the bytes between two delimiters, as a node (or a
// noisy cable) may send them. The decoder never panics, and a message it
// accepts encodes to a frame that decodes to the same message.
func FuzzDecodeFrame(f *testing.F) {
	// seeds: every shared vector, good and bad, without its delimiters
	for _, v := range readVectors(f) {
		if v.frame != nil {
			f.Add(v.frame[1 : len(v.frame)-1])
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x01})    // an empty COBS block: too short
	f.Add([]byte{0xFF, 1}) // a block past the end
	f.Fuzz(func(t *testing.T, fr []byte) {
		m, err := DecodeFrame(fr)
		if err != nil {
			return
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded %+v but cannot encode it: %v", m, err)
		}
		back, err := DecodeFrame(enc[1 : len(enc)-1])
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip: %+v -> %v %+v", m, err, back)
		}
	})
}

// FuzzSplitter: any byte stream; frames handed on are never longer than
// the bound, and the buffer stays bounded.
func FuzzSplitter(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0, 0, 0xFF})
	f.Fuzz(func(t *testing.T, p []byte) {
		var s Splitter
		s.Feed(p, func(fr []byte, tooLong bool) {
			if len(fr) > maxFrame+1 {
				t.Fatalf("frame of %d bytes handed on", len(fr))
			}
		})
		if len(s.buf) > maxFrame+1 {
			t.Fatalf("buffer of %d bytes", len(s.buf))
		}
	})
}

// FuzzParsePINLine: a config's keypad line either fails or reads back
// the same entry after Line writes it again.
func FuzzParsePINLine(f *testing.F) {
	e, err := NewPINEntry(7, "2468", [SaltLen]byte{1, 2, 3}, 1000)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(e.Line(1000))
	f.Add("0:pbkdf2-sha256:1:00:00")
	f.Add("4294967296:pbkdf2-sha256:20000::")
	f.Fuzz(func(t *testing.T, s string) {
		e, it, err := ParsePINLine(s)
		if err != nil {
			return
		}
		if it < 1 || it > MaxIterations {
			t.Fatalf("%q: iterations %d accepted", s, it)
		}
		e2, it2, err := ParsePINLine(e.Line(it))
		if err != nil || e2 != e || it2 != it {
			t.Fatalf("%q: read back %+v %d %v, want %+v %d", s, e2, it2, err, e, it)
		}
	})
}
