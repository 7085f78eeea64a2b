// Package chunk owns how a document larger than one MQTT payload (a
// revocation snapshot of 10 000 ids is about 170 KB; AWS IoT Core takes
// 128 KB) crosses the broker: split into parts, each a small CBOR map, and
// put back together on the hub.
//
// Parts are not signed. The document they carry is (a COSE_Sign1), and each
// part names the SHA-256 of the whole, so a part from another document, a
// stale part left retained on the broker or a forged one can only make the
// reassembly fail, never change what is imported. A whole document travels
// as it is: its first byte is a CBOR tag (COSE_Sign1_Tagged), a part's is a
// map, which is how a receiver tells them apart.
package chunk

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Limits of the format.
const (
	MaxParts   = 32      // parts of one document
	MaxDocSize = 1 << 20 // the whole document (wire.MaxRevocationSize)
	overhead   = 64      // a part's map around its data: keys, hash, numbers
)

// Errors. Match them with errors.Is.
var (
	ErrMalformed = errors.New("chunk: malformed part")
	ErrTooLarge  = errors.New("chunk: document too large")
	ErrMismatch  = errors.New("chunk: parts do not make the document they name")
)

// Part is one piece of a split document (CDDL in docs/protocol.md).
type Part struct {
	Doc   []byte `cbor:"1,keyasint"` // SHA-256 of the whole document
	Index uint32 `cbor:"2,keyasint"` // 0 .. Count-1
	Count uint32 `cbor:"3,keyasint"` // 2 .. MaxParts
	Size  uint32 `cbor:"4,keyasint"` // the whole document's length
	Data  []byte `cbor:"5,keyasint"` // this part's bytes
}

// IsPart reports whether a payload is a part (a CBOR map) rather than a
// whole document.
func IsPart(b []byte) bool { return len(b) > 0 && b[0]>>5 == 5 }

// Split returns the payloads that carry doc in messages of at most
// maxPayload bytes: doc itself when it fits, else its parts in order.
func Split(doc []byte, maxPayload int) ([][]byte, error) {
	if len(doc) <= maxPayload {
		return [][]byte{doc}, nil
	}
	if len(doc) > MaxDocSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(doc), MaxDocSize)
	}
	per := maxPayload - overhead
	if per <= 0 {
		return nil, fmt.Errorf("chunk: payload limit %d is too small", maxPayload)
	}
	n := (len(doc) + per - 1) / per
	if n > MaxParts {
		return nil, fmt.Errorf("%w: %d parts of %d bytes, at most %d parts", ErrTooLarge, n, per, MaxParts)
	}
	sum := sha256.Sum256(doc)
	out := make([][]byte, 0, n)
	for i := range n {
		end := min((i+1)*per, len(doc))
		b, err := wire.Marshal(&Part{Doc: sum[:], Index: uint32(i), Count: uint32(n), Size: uint32(len(doc)), Data: doc[i*per : end]})
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// DecodePart decodes and checks one part.
func DecodePart(b []byte) (*Part, error) {
	if len(b) > MaxDocSize {
		return nil, fmt.Errorf("%w: part of %d bytes", ErrTooLarge, len(b))
	}
	var p Part
	if err := wire.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch {
	case len(p.Doc) != sha256.Size:
		return nil, fmt.Errorf("%w: document hash of %d bytes", ErrMalformed, len(p.Doc))
	case p.Count < 2 || p.Count > MaxParts:
		return nil, fmt.Errorf("%w: count %d (want 2..%d)", ErrMalformed, p.Count, MaxParts)
	case p.Index >= p.Count:
		return nil, fmt.Errorf("%w: index %d of %d", ErrMalformed, p.Index, p.Count)
	case p.Size == 0 || p.Size > MaxDocSize:
		return nil, fmt.Errorf("%w: document size %d (want 1..%d)", ErrTooLarge, p.Size, MaxDocSize)
	case len(p.Data) == 0 || len(p.Data) > int(p.Size):
		return nil, fmt.Errorf("%w: %d data bytes of a %d-byte document", ErrMalformed, len(p.Data), p.Size)
	}
	return &p, nil
}

// Assembler puts documents back together. It holds at most MaxPending
// documents of at most MaxDocSize each (a hostile publisher costs at most a
// few MB), drops the oldest when a new one starts beyond that, and forgets
// a document whose parts stop coming for TTL. Not safe for concurrent use:
// the sync layer's inbound loop owns it.
type Assembler struct {
	MaxPending int           // default 4
	TTL        time.Duration // default 10 min
	Clock      clock.Clock   // default clock.Real{}

	docs map[[sha256.Size]byte]*pending
}

type pending struct {
	count, size uint32
	parts       map[uint32][]byte
	bytes       int
	started     time.Time
}

// Add takes one part. It returns the whole document once every part has
// arrived and the document's hash matches, else nil. Duplicates are
// ignored; parts that disagree with earlier parts of the same document
// about its count or size are an error.
func (a *Assembler) Add(b []byte) ([]byte, error) {
	if a.docs == nil {
		a.docs = map[[sha256.Size]byte]*pending{}
	}
	clk := a.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	ttl := a.TTL
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	maxPending := a.MaxPending
	if maxPending <= 0 {
		maxPending = 4
	}
	p, err := DecodePart(b)
	if err != nil {
		return nil, err
	}
	now := clk.Now()
	for k, d := range a.docs {
		if now.Sub(d.started) > ttl {
			delete(a.docs, k)
		}
	}
	key := [sha256.Size]byte(p.Doc)
	d := a.docs[key]
	if d == nil {
		for len(a.docs) >= maxPending {
			a.dropOldest()
		}
		d = &pending{count: p.Count, size: p.Size, parts: map[uint32][]byte{}, started: now}
		a.docs[key] = d
	}
	if d.count != p.Count || d.size != p.Size {
		delete(a.docs, key)
		return nil, fmt.Errorf("%w: part %d says %d parts of %d bytes, earlier parts said %d of %d", ErrMismatch, p.Index, p.Count, p.Size, d.count, d.size)
	}
	if _, dup := d.parts[p.Index]; dup {
		return nil, nil
	}
	if d.bytes+len(p.Data) > int(d.size) {
		delete(a.docs, key)
		return nil, fmt.Errorf("%w: parts add up to more than %d bytes", ErrMismatch, d.size)
	}
	d.parts[p.Index] = bytes.Clone(p.Data)
	d.bytes += len(p.Data)
	if len(d.parts) < int(d.count) {
		return nil, nil
	}
	delete(a.docs, key)
	idx := make([]uint32, 0, len(d.parts))
	for i := range d.parts {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	doc := make([]byte, 0, d.size)
	for _, i := range idx {
		doc = append(doc, d.parts[i]...)
	}
	if sum := sha256.Sum256(doc); len(doc) != int(d.size) || sum != key {
		return nil, fmt.Errorf("%w: %d bytes, hash %x, want %d bytes with hash %x", ErrMismatch, len(doc), sum[:8], d.size, key[:8])
	}
	return doc, nil
}

// Pending is the number of documents partly received.
func (a *Assembler) Pending() int { return len(a.docs) }

func (a *Assembler) dropOldest() {
	var oldest [sha256.Size]byte
	var t time.Time
	first := true
	for k, d := range a.docs {
		if first || d.started.Before(t) {
			oldest, t, first = k, d.started, false
		}
	}
	delete(a.docs, oldest)
}
