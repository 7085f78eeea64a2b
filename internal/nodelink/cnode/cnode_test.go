//go:build cgo

package cnode_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/edgeagent/edgeagent/internal/nodelink"
	"github.com/edgeagent/edgeagent/internal/nodelink/cnode"
)

// goFrames is the Go side's view of the same bytes: checked payloads, in order.
func goFrames(p []byte) [][]byte {
	var out [][]byte
	var sp nodelink.Splitter
	sp.Feed(p, func(f []byte, tooLong bool) {
		if tooLong {
			return
		}
		if payload, err := nodelink.Unframe(f); err == nil {
			out = append(out, bytes.Clone(payload))
		}
	})
	return out
}

// FuzzNodeAndHubAgree: any bytes on the line. The node's C receiver and the
// hub's Go one take the same frames out of them; for each, the node and the
// hub accept or refuse it alike, and re-encode what they accept to the same
// bytes. A difference is a message one end sends that the other cannot read,
// or one that reads differently on each end.
func FuzzNodeAndHubAgree(f *testing.F) {
	data, err := os.ReadFile("../../../firmware/testdata/link-vectors.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		fs := strings.Fields(line)
		if len(fs) == 3 && (fs[0] == "good" || fs[0] == "bad") {
			b, _ := hex.DecodeString(fs[2])
			f.Add(b)
		}
	}
	f.Add([]byte{0, 0x13, 0x37, 0})
	f.Fuzz(func(t *testing.T, p []byte) {
		cf, gf := cnode.Frames(p), goFrames(p)
		if len(cf) != len(gf) {
			t.Fatalf("node took %d frames, hub %d", len(cf), len(gf))
		}
		for i := range cf {
			if !bytes.Equal(cf[i], gf[i]) {
				t.Fatalf("frame %d: node % x, hub % x", i, cf[i], gf[i])
			}
			cEnc, cOK := cnode.Reencode(cf[i])
			m, err := nodelink.Decode(gf[i])
			if cOK != (err == nil) {
				t.Fatalf("payload % x: node ok=%v, hub err=%v", cf[i], cOK, err)
			}
			if !cOK {
				continue
			}
			gEnc, err := m.Encode()
			if err != nil || !bytes.Equal(cEnc, gEnc) {
				t.Fatalf("payload % x: node encodes % x, hub % x (%v)", cf[i], cEnc, gEnc, err)
			}
		}
	})
}
