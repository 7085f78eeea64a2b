package secstate

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "sec"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load("serial"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load before Save: %v, want ErrNotFound", err)
	}
	for _, v := range []string{"one", "two", ""} {
		if err := d.Save("serial", []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := d.Load("serial")
		if err != nil || string(got) != v {
			t.Fatalf("Load = %q, %v; want %q", got, err, v)
		}
	}
	// A new Dir on the same path (a restart) reads the last value and
	// continues its generation.
	d2, _ := Open(d.Path())
	if err := d2.Save("serial", []byte("three")); err != nil {
		t.Fatal(err)
	}
	g0, _, _ := readCopy(filepath.Join(d.Path(), "serial.0"))
	if g0 != 4 {
		t.Fatalf("generation after restart = %d, want 4", g0)
	}
}

// Each damage to one copy leaves the other one in force; damage to both is
// ErrDamaged, never an empty or partial record.
func TestDamage(t *testing.T) {
	damages := map[string]func(path string) error{
		"truncated to 0": func(p string) error { return os.Truncate(p, 0) },
		"truncated half": func(p string) error {
			fi, _ := os.Stat(p)
			return os.Truncate(p, fi.Size()/2)
		},
		"zeroed": func(p string) error {
			fi, _ := os.Stat(p)
			return os.WriteFile(p, make([]byte, fi.Size()), 0o600)
		},
		"bit flipped in data": func(p string) error {
			b, _ := os.ReadFile(p)
			b[headerSize] ^= 1
			return os.WriteFile(p, b, 0o600)
		},
		"deleted": os.Remove,
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			d, _ := Open(t.TempDir())
			if err := d.Save("rev", []byte("serial 3")); err != nil {
				t.Fatal(err)
			}
			if err := d.Save("rev", []byte("serial 5")); err != nil {
				t.Fatal(err)
			}
			if err := damage(filepath.Join(d.Path(), "rev.0")); err != nil {
				t.Fatal(err)
			}
			d, _ = Open(d.Path())
			got, err := d.Load("rev")
			if err != nil || string(got) != "serial 5" {
				t.Fatalf("one copy damaged: Load = %q, %v; want the other copy", got, err)
			}
			if err := damage(filepath.Join(d.Path(), "rev.1")); err != nil {
				t.Fatal(err)
			}
			d, _ = Open(d.Path())
			got, err = d.Load("rev")
			want := ErrDamaged
			if name == "deleted" {
				want = ErrNotFound
			}
			if !errors.Is(err, want) || got != nil {
				t.Fatalf("both copies damaged: Load = %q, %v; want %v", got, err, want)
			}
		})
	}
}

// A power cut between the two copies' writes leaves one new and one old
// copy: the new one wins.
func TestTornBetweenCopies(t *testing.T) {
	d, _ := Open(t.TempDir())
	_ = d.Save("floor", []byte("old"))
	old, _ := os.ReadFile(filepath.Join(d.Path(), "floor.1"))
	_ = d.Save("floor", []byte("new"))
	if err := os.WriteFile(filepath.Join(d.Path(), "floor.1"), old, 0o600); err != nil {
		t.Fatal(err)
	}
	d, _ = Open(d.Path())
	if got, err := d.Load("floor"); err != nil || string(got) != "new" {
		t.Fatalf("Load = %q, %v; want new", got, err)
	}
}

func TestBadInput(t *testing.T) {
	d, _ := Open(t.TempDir())
	for _, n := range []string{"", "../x", "a/b", "UPPER", "x.0", string(bytes.Repeat([]byte("a"), 33))} {
		if err := d.Save(n, nil); !errors.Is(err, ErrBadName) {
			t.Errorf("Save(%q) = %v, want ErrBadName", n, err)
		}
		if _, err := d.Load(n); !errors.Is(err, ErrBadName) {
			t.Errorf("Load(%q) = %v, want ErrBadName", n, err)
		}
	}
	if err := d.Save("big", make([]byte, MaxSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Save(too large) = %v", err)
	}
}

// FuzzDecode: no input panics, and whatever decodes re-encodes to the same
// bytes (so a copy that checks out is exactly what Save wrote).
func FuzzDecode(f *testing.F) {
	f.Add(encode(1, []byte("serial 5")))     // a good copy
	f.Add(encode(1<<63, nil))                // empty record, huge generation
	f.Add([]byte("EAS1"))                    // header cut short
	f.Add(append(encode(2, []byte("x")), 0)) // trailing byte: length mismatch
	f.Fuzz(func(t *testing.T, b []byte) {
		gen, data, err := decode(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encode(gen, data), b) {
			t.Fatalf("decode/encode round trip differs")
		}
	})
}

// A record of unchanged size is written over its old bytes (no rename, no
// directory fsync: an SD card wears by the journal commits they cost); one
// of another size goes through a renamed temporary file. Either way each
// copy reads back whole.
func TestSaveInPlaceWhenTheSizeIsUnchanged(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "sec"))
	if err != nil {
		t.Fatal(err)
	}
	stat := func() [2]os.FileInfo {
		var fis [2]os.FileInfo
		for i, f := range d.copies("hlc") {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			fis[i] = fi
		}
		return fis
	}
	if err := d.Save("hlc", []byte("aaaaaaaa")); err != nil {
		t.Fatal(err)
	}
	before := stat()
	if err := d.Save("hlc", []byte("bbbbbbbb")); err != nil {
		t.Fatal(err)
	}
	after := stat()
	for i := range after {
		if !os.SameFile(before[i], after[i]) {
			t.Errorf("copy %d was replaced for a record of the same size", i)
		}
		if g, data, err := readCopy(d.copies("hlc")[i]); err != nil || g != 2 || string(data) != "bbbbbbbb" {
			t.Errorf("copy %d after the in-place save: gen %d, %q, %v", i, g, data, err)
		}
	}
	if err := d.Save("hlc", []byte("ccccccccc")); err != nil {
		t.Fatal(err)
	}
	grown := stat()
	for i := range grown {
		if os.SameFile(after[i], grown[i]) {
			t.Errorf("copy %d was written in place with a new size", i)
		}
	}
	if got, err := d.Load("hlc"); err != nil || string(got) != "ccccccccc" {
		t.Fatalf("Load = %q, %v", got, err)
	}
}
