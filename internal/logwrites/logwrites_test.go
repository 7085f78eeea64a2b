package logwrites

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// entry is a request to put in a test log, laid out as the kernel does.
type entry struct {
	sector uint64
	flags  Flags
	data   []byte // whole sectors
	label  string
}

// buildLog writes a log as dm-log-writes would with 512-byte sectors.
func buildLog(es ...entry) []byte {
	const ss = 512
	var b bytes.Buffer
	sector := func(p []byte) { b.Write(p); b.Write(make([]byte, ss-len(p))) }
	sb := make([]byte, 28)
	binary.LittleEndian.PutUint64(sb[0:], magic)
	binary.LittleEndian.PutUint64(sb[8:], version)
	binary.LittleEndian.PutUint64(sb[16:], uint64(len(es)))
	binary.LittleEndian.PutUint32(sb[24:], ss)
	sector(sb)
	for _, e := range es {
		h := make([]byte, entrySize, entrySize+len(e.label))
		binary.LittleEndian.PutUint64(h[0:], e.sector)
		binary.LittleEndian.PutUint64(h[8:], uint64(len(e.data)/ss))
		binary.LittleEndian.PutUint64(h[16:], uint64(e.flags))
		binary.LittleEndian.PutUint64(h[24:], uint64(len(e.label)))
		sector(append(h, e.label...))
		b.Write(e.data)
	}
	return b.Bytes()
}

type image []byte

func (im image) WriteAt(p []byte, off int64) (int, error) { return copy(im[off:], p), nil }

func TestReplay(t *testing.T) {
	a := bytes.Repeat([]byte("a"), 1024)
	c := bytes.Repeat([]byte("c"), 512)
	raw := buildLog(
		entry{sector: 2, data: a},
		entry{flags: Flush},
		entry{flags: Mark, label: "ack 1"},
		entry{sector: 0, flags: FUA, data: c},
		entry{sector: 3, flags: Discard},
	)
	// The discard covers one sector: its count is in the header only.
	binary.LittleEndian.PutUint64(raw[512*8+8:], 1)
	l, err := Open(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Entries) != 5 {
		t.Fatalf("%d entries, want 5", len(l.Entries))
	}
	if got := l.Entries[2].Label; got != "ack 1" {
		t.Errorf("mark %q, want %q", got, "ack 1")
	}
	var points []int
	im := make(image, 4*512)
	for _, e := range l.Entries {
		if err := l.Apply(e, im, int64(len(im))); err != nil {
			t.Fatal(err)
		}
		if e.CrashPoint() {
			points = append(points, e.Index)
		}
	}
	if err := l.Apply(l.Entries[0], im, 1024); err == nil {
		t.Error("a write past the end of the device was replayed")
	}
	if want := []int{1, 3}; !slicesEqual(points, want) {
		t.Errorf("crash points %v, want %v", points, want)
	}
	want := append(append(append([]byte{}, c...), make([]byte, 512)...), a[:512]...)
	want = append(want, make([]byte, 512)...) // sector 3: written, then discarded
	if !bytes.Equal(im, want) {
		t.Errorf("replayed image differs from the writes")
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOpenRejects: a damaged or hostile log is refused with the entry named,
// never read past its end.
func TestOpenRejects(t *testing.T) {
	good := buildLog(entry{sector: 1, data: make([]byte, 1024)}, entry{flags: Flush})
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"magic", func(b []byte) []byte { b[0] ^= 1; return b }, "not a dm-log-writes log"},
		{"version", func(b []byte) []byte { b[8] = 2; return b }, "version 2"},
		{"sector size", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[24:], 513); return b }, "sector size 513"},
		{"too many entries", func(b []byte) []byte { binary.LittleEndian.PutUint64(b[16:], 1000); return b }, "cannot fit"},
		{"truncated data", func(b []byte) []byte { return b[:512*3] }, "entry 0: 1024 bytes of data past the end"},
		{"entry past end", func(b []byte) []byte { binary.LittleEndian.PutUint64(b[512+8:], 0); return b[:512*2] }, "entry 1 at byte 1024 is past the end"},
		{"unknown flag", func(b []byte) []byte { b[512*4+16] = 0x40; return b }, "entry 1: unknown flags 0x40"},
		{"huge length", func(b []byte) []byte { binary.LittleEndian.PutUint64(b[512+8:], 1<<62); return b }, "out of range"},
		{"long mark", func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[512*4+16:], uint64(Mark))
			binary.LittleEndian.PutUint64(b[512*4+24:], 600)
			return b
		}, "a mark of 600 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.edit(append([]byte{}, good...))
			_, err := Open(bytes.NewReader(b), int64(len(b)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// FuzzOpen: any bytes either open (and replay within the image's bounds
// the entries claim) or fail with an error; nothing panics or allocates
// beyond the log's own size.
func FuzzOpen(f *testing.F) {
	// A write, a flush, a mark and a discard: the entries a real log has.
	f.Add(buildLog(entry{sector: 1, data: make([]byte, 512)}, entry{flags: Flush}, entry{flags: Mark, label: "ack 1"}, entry{sector: 2, flags: Discard}))
	f.Add(buildLog()) // an empty log, as right after dmsetup create
	f.Add([]byte("not a log"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, e := range l.Entries {
			if e.Length > int64(len(b)) && e.Flags&Discard == 0 {
				t.Fatalf("entry %d claims %d bytes of data in a %d-byte log", e.Index, e.Length, len(b))
			}
			im := make(image, 4096)
			err := l.Apply(e, im, int64(len(im)))
			if fits := e.Offset+e.Length <= int64(len(im)); fits != (err == nil) && (e.Write() || e.Flags&Discard != 0) {
				t.Fatalf("entry %d (%d bytes at %d) on a 4096-byte device: %v", e.Index, e.Length, e.Offset, err)
			}
		}
	})
}
