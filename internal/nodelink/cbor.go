package nodelink

// The CBOR subset of the link, mirroring firmware/src/cbor.c: integers up to
// 32 bits, byte and text strings, definite arrays, false, true, null; the
// writer emits shortest forms and the reader refuses anything else, so one
// message has one encoding on both sides. A general CBOR library would accept
// encodings the node refuses; the vectors would then prove less.

type cborWriter struct{ b []byte }

func (w *cborWriter) head(major byte, v uint32) {
	major <<= 5
	switch {
	case v < 24:
		w.b = append(w.b, major|byte(v))
	case v <= 0xFF:
		w.b = append(w.b, major|24, byte(v))
	case v <= 0xFFFF:
		w.b = append(w.b, major|25, byte(v>>8), byte(v))
	default:
		w.b = append(w.b, major|26, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

func (w *cborWriter) uint(v uint32) { w.head(0, v) }
func (w *cborWriter) array(n int)   { w.head(4, uint32(n)) }

func (w *cborWriter) int(v int32) {
	if v >= 0 {
		w.head(0, uint32(v))
	} else {
		w.head(1, uint32(-(v + 1)))
	}
}

func (w *cborWriter) bytes(p []byte) {
	w.head(2, uint32(len(p)))
	w.b = append(w.b, p...)
}

func (w *cborWriter) text(s string) {
	w.head(3, uint32(len(s)))
	w.b = append(w.b, s...)
}

func (w *cborWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 0xF5)
	} else {
		w.b = append(w.b, 0xF4)
	}
}

func (w *cborWriter) null() { w.b = append(w.b, 0xF6) }

// cborReader is sticky: after the first error every read fails, so a
// decoder checks once at the end.
type cborReader struct {
	b   []byte
	bad bool
}

func (r *cborReader) fail() { r.bad = true; r.b = nil }

func (r *cborReader) head(major byte) uint32 {
	if r.bad || len(r.b) == 0 || r.b[0]>>5 != major {
		r.fail()
		return 0
	}
	ai := r.b[0] & 0x1F
	if ai < 24 {
		r.b = r.b[1:]
		return uint32(ai)
	}
	var n int
	var low uint32
	switch ai {
	case 24:
		n, low = 1, 24
	case 25:
		n, low = 2, 0x100
	case 26:
		n, low = 4, 0x10000
	default: // 64-bit heads, reserved values, indefinite lengths
		r.fail()
		return 0
	}
	if len(r.b) < 1+n {
		r.fail()
		return 0
	}
	var v uint32
	for _, c := range r.b[1 : 1+n] {
		v = v<<8 | uint32(c)
	}
	if v < low { // not the shortest form
		r.fail()
		return 0
	}
	r.b = r.b[1+n:]
	return v
}

func (r *cborReader) uint() uint32 { return r.head(0) }

func (r *cborReader) int() int32 {
	if r.bad || len(r.b) == 0 {
		r.fail()
		return 0
	}
	if r.b[0]>>5 == 0 {
		v := r.head(0)
		if v > 0x7FFFFFFF {
			r.fail()
		}
		return int32(v)
	}
	v := r.head(1)
	if v > 0x7FFFFFFF {
		r.fail()
		return 0
	}
	return -int32(v) - 1
}

// array reads an array head and insists on n elements.
func (r *cborReader) array(n int) {
	if got := r.head(4); !r.bad && got != uint32(n) {
		r.fail()
	}
}

// arrayUpTo reads an array head of at most max elements.
func (r *cborReader) arrayUpTo(max int) int {
	n := r.head(4)
	if n > uint32(max) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *cborReader) str(major byte) []byte {
	n := r.head(major)
	if r.bad || uint32(len(r.b)) < n {
		r.fail()
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *cborReader) bytesN(n int) []byte {
	s := r.str(2)
	if len(s) != n {
		r.fail()
		return nil
	}
	return s
}

// text accepts printable ASCII only, as the node does (version strings).
func (r *cborReader) text(max int) string {
	s := r.str(3)
	if len(s) > max {
		r.fail()
		return ""
	}
	for _, c := range s {
		if c < 0x20 || c > 0x7E {
			r.fail()
			return ""
		}
	}
	return string(s)
}

func (r *cborReader) bool() bool {
	if r.bad || len(r.b) == 0 || (r.b[0] != 0xF4 && r.b[0] != 0xF5) {
		r.fail()
		return false
	}
	v := r.b[0] == 0xF5
	r.b = r.b[1:]
	return v
}

// null consumes a null if one is next.
func (r *cborReader) null() bool {
	if r.bad || len(r.b) == 0 || r.b[0] != 0xF6 {
		return false
	}
	r.b = r.b[1:]
	return true
}

func (r *cborReader) done() bool { return !r.bad && len(r.b) == 0 }
