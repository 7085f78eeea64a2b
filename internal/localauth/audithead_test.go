package localauth

import (
	"bytes"
	"testing"
)

// FuzzParseAuditHead feeds arbitrary bytes to the parser of the audit head
// record (read from a file anyone with the SD card can write): it never
// panics, and what it accepts re-encodes to the same bytes.
func FuzzParseAuditHead(f *testing.F) {
	// A head with no prune yet; one with a cloud-acknowledged anchor; one
	// with a local-bound anchor; a truncated record; a bad basis byte.
	for _, h := range []auditHead{
		{Seq: 1, Hash: [32]byte{1}},
		{Seq: 500, Hash: [32]byte{2}, Anchor: auditAnchor{Seq: 100, Hash: [32]byte{3}, Basis: anchorCloudAck}},
		{Seq: 1 << 40, Hash: [32]byte{4}, Anchor: auditAnchor{Seq: 7, Hash: [32]byte{5}, Basis: anchorLocalBound}},
	} {
		f.Add(h.encode())
	}
	f.Add(make([]byte, headSize-1))
	bad := auditHead{Seq: 1, Anchor: auditAnchor{Seq: 1, Basis: 'x'}}.encode()
	f.Add(bad)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHead(b)
		if err != nil {
			return
		}
		if got := h.encode(); !bytes.Equal(got, b) {
			t.Fatalf("%x parsed as %+v re-encodes as %x", b, h, got)
		}
	})
}

// FuzzParseAnchor does the same for the anchor kept in the store.
func FuzzParseAnchor(f *testing.F) {
	f.Add(auditAnchor{Seq: 6, Hash: [32]byte{6}, Basis: anchorCloudAck}.encode())
	f.Add(auditAnchor{Seq: 6, Hash: [32]byte{6}, Basis: anchorLocalBound}.encode())
	f.Add(auditAnchor{Seq: 6, Hash: [32]byte{6}}.encode()[:anchorSize-1]) // legacy, 40 bytes
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseAnchor(b)
		if err != nil || b == nil {
			return
		}
		got := a.encode()
		if len(b) == anchorSize-1 {
			got = got[:anchorSize-1] // the legacy form has no basis byte
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("%x parsed as %+v re-encodes as %x", b, a, got)
		}
	})
}
