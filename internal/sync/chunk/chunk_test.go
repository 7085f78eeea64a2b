package chunk

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/wire"
)

const payload = 128 << 10

// snapshot10k is a signed revocation snapshot of 10 000 grant ids: the
// size this package exists for.
func snapshot10k(t testing.TB) []byte {
	t.Helper()
	key, err := wire.GenerateKey(wire.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	r := &wire.RevocationSnapshot{Site: "home-1", IssuedAt: 1767225600, Serial: 9}
	for range 10000 {
		id := make([]byte, 16)
		crand.Read(id)
		r.Grants = append(r.Grants, id)
	}
	b, err := wire.SignRevocation(key, r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSplitAndReassembleASnapshot(t *testing.T) {
	doc := snapshot10k(t)
	if len(doc) <= payload {
		t.Fatalf("snapshot of %d bytes fits one payload; the test needs a larger one", len(doc))
	}
	parts, err := Split(doc, payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 {
		t.Fatalf("%d parts", len(parts))
	}
	for i, p := range parts {
		if len(p) > payload || !IsPart(p) {
			t.Fatalf("part %d: %d bytes, IsPart %v", i, len(p), IsPart(p))
		}
	}
	if IsPart(doc) {
		t.Fatal("a COSE document taken for a part")
	}
	// Out of order, with a duplicate and a part of another document.
	other, _ := Split(bytes.Repeat([]byte{1}, 3*payload), payload)
	var a Assembler
	for i, p := range [][]byte{parts[1], other[0], parts[1]} {
		got, err := a.Add(p)
		if err != nil || got != nil {
			t.Fatalf("step %d: %v %d bytes", i, err, len(got))
		}
	}
	got, err := a.Add(parts[0])
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("reassembled %d bytes (want %d): %v", len(got), len(doc), err)
	}
	if _, _, err := wire.ParseRevocation(got); err != nil {
		t.Fatal(err)
	}
	if a.Pending() != 1 {
		t.Fatalf("%d pending (the other document)", a.Pending())
	}
}

func TestSmallDocumentIsNotSplit(t *testing.T) {
	doc := []byte{0xd2, 0x84}
	parts, err := Split(doc, payload)
	if err != nil || len(parts) != 1 || !bytes.Equal(parts[0], doc) {
		t.Fatalf("%v %v", parts, err)
	}
}

func TestForgedPartsFailTheHash(t *testing.T) {
	doc := bytes.Repeat([]byte{7}, 300)
	parts, _ := Split(doc, 200)
	p, _ := DecodePart(parts[1])
	p.Data = bytes.Repeat([]byte{8}, len(p.Data))
	forged, _ := wire.Marshal(p)
	var a Assembler
	a.Add(parts[0])
	a.Add(parts[2])
	if _, err := a.Add(forged); !errors.Is(err, ErrMismatch) {
		t.Fatalf("forged part: %v", err)
	}
	if a.Pending() != 0 {
		t.Fatal("a failed document is still pending")
	}
	// Disagreeing counts.
	p2, _ := DecodePart(parts[1])
	p2.Count = 4
	bad, _ := wire.Marshal(p2)
	a.Add(parts[0])
	if _, err := a.Add(bad); !errors.Is(err, ErrMismatch) {
		t.Fatalf("disagreeing count: %v", err)
	}
}

func TestBoundsAndTTL(t *testing.T) {
	clk := clocktest.New(time.Unix(1767225600, 0))
	a := Assembler{MaxPending: 2, TTL: time.Minute, Clock: clk}
	for i := range 3 {
		parts, _ := Split(bytes.Repeat([]byte{byte(i)}, 300), 200)
		a.Add(parts[0])
		clk.Advance(time.Second)
	}
	if a.Pending() != 2 {
		t.Fatalf("%d pending, want 2", a.Pending())
	}
	clk.Advance(2 * time.Minute)
	parts, _ := Split(bytes.Repeat([]byte{9}, 300), 200)
	a.Add(parts[0])
	if a.Pending() != 1 {
		t.Fatalf("%d pending after the TTL, want 1", a.Pending())
	}
	if _, err := Split(make([]byte, MaxDocSize+1), payload); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
}

func TestDecodePartRefuses(t *testing.T) {
	good := &Part{Doc: make([]byte, 32), Index: 0, Count: 2, Size: 10, Data: []byte{1}}
	for name, edit := range map[string]func(p *Part){
		"short hash":    func(p *Part) { p.Doc = p.Doc[:8] },
		"count 1":       func(p *Part) { p.Count = 1 },
		"count too big": func(p *Part) { p.Count = MaxParts + 1 },
		"index":         func(p *Part) { p.Index = 2 },
		"size 0":        func(p *Part) { p.Size = 0 },
		"size huge":     func(p *Part) { p.Size = MaxDocSize + 1 },
		"no data":       func(p *Part) { p.Data = nil },
		"data > size":   func(p *Part) { p.Data = make([]byte, 11) },
	} {
		p := *good
		edit(&p)
		b, _ := wire.Marshal(&p)
		if _, err := DecodePart(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzAssemble(f *testing.F) {
	doc := bytes.Repeat([]byte("revocation "), 40)
	parts, _ := Split(doc, 200)
	for _, p := range parts {
		f.Add(p, uint8(0))
	}
	f.Add([]byte{0xa0}, uint8(1))       // empty map
	f.Add([]byte{0xa1, 0x01}, uint8(2)) // truncated
	f.Fuzz(func(t *testing.T, b []byte, seed uint8) {
		a := Assembler{}
		// The fuzzed part among the real ones, in a seeded order: whatever
		// comes out must be the real document or nothing.
		in := append([][]byte{b}, parts...)
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		r.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		for _, p := range in {
			got, err := a.Add(p)
			if err == nil && got != nil && !bytes.Equal(got, doc) {
				if _, derr := DecodePart(b); derr == nil {
					// A complete document of the fuzzer's own making is
					// fine only if it hashes right, which Add checked.
					continue
				}
				t.Fatalf("assembled something else: %x", got)
			}
		}
	})
}
