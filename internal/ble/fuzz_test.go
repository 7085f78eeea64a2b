package ble

import (
	"bytes"
	"testing"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// FuzzReassembleDecode feeds arbitrary bytes, cut at an arbitrary point,
// to the reassembler and the frame decoder: what a hostile central can
// write. It must never panic or hold more than a frame; every frame it
// decodes re-encodes to itself (one encoding per value), and feeding the
// same bytes in one piece or two gives the same frames.
func FuzzReassembleDecode(f *testing.F) {
	// A challenge request, whole.
	f.Add(mustFrame(f, TypeChallengeRequest, wire.ChallengeRequest{Device: "door", Action: "unlock"}), 3)
	// An action, cut inside its prefix.
	f.Add(mustFrame(f, TypeAction, wire.ActionRequest{Action: "unlock", Chain: [][]byte{{1, 2}}, Proof: []byte{3}}), 1)
	// Two frames back to back in one write.
	two := append(mustFrame(f, TypeStatusRequest, StatusRequest{Chain: [][]byte{{1}}}), mustFrame(f, TypeChallengeRequest, wire.ChallengeRequest{Device: "a", Action: "b"})...)
	f.Add(two, 9)
	// An empty frame, the largest announced, and junk CBOR.
	f.Add([]byte{0, 0}, 1)
	f.Add([]byte{0xff, 0xff, 0xa1}, 2)
	f.Add([]byte{0, 3, 0xff, 0xff, 0xff}, 4)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		if cut < 0 || cut > len(b) {
			cut = len(b) / 2
		}
		whole := NewReassembler(DefaultLimits.MaxFrame)
		all, errWhole := whole.Feed(b)
		parts := NewReassembler(DefaultLimits.MaxFrame)
		got, err1 := parts.Feed(b[:cut])
		var err2 error
		if err1 == nil {
			var more [][]byte
			more, err2 = parts.Feed(b[cut:])
			got = append(got, more...)
		}
		if (errWhole == nil) != (err1 == nil && err2 == nil) || len(all) != len(got) {
			t.Fatalf("whole: %d frames %v; in two: %d frames %v %v", len(all), errWhole, len(got), err1, err2)
		}
		for i, fb := range all {
			if !bytes.Equal(fb, got[i]) {
				t.Fatalf("frame %d differs when cut", i)
			}
			if len(fb) > DefaultLimits.MaxFrame {
				t.Fatalf("a frame of %d bytes", len(fb))
			}
			fr, err := DecodeFrame(fb)
			if err != nil {
				continue
			}
			re, err := wire.Marshal(fr)
			if err != nil || !bytes.Equal(re, fb) {
				t.Fatalf("decoded frame re-encodes differently: %x -> %x (%v)", fb, re, err)
			}
		}
	})
}
