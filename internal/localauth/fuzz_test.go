package localauth

import (
	"bytes"
	"testing"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// FuzzParseSchedule: schedules come from the issuer's command line. Whatever
// parses must format back to something that parses to the same windows.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{
		"mon-fri 08:00-18:00",                  // the common case
		"sat,sun 10:00-14:00; wed 19:00-21:00", // several windows
		"fri 22:00-02:00",                      // over midnight: split in two
		"sat 23:00-00:00",                      // ends at midnight
		"fri-mon 00:00-24:00",                  // wrapping day range, whole day
		"daily 07:30-07:31",                    // one minute
		"mon 24:00-01:00",                      // 24:00 is only an end
		"mon-fri 8:00-18:00;;",                 // empty window
		"",                                     // no schedule
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws, err := ParseSchedule(s)
		if err != nil {
			return
		}
		for _, w := range ws {
			if err := w.Validate(); err != nil {
				t.Fatalf("%q gave an invalid window %+v: %v", s, w, err)
			}
		}
		text := FormatSchedule(ws)
		back, err := ParseSchedule(text)
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, text, err)
		}
		if FormatSchedule(back) != text || len(back) != len(ws) {
			t.Fatalf("%q → %q → %q", s, text, FormatSchedule(back))
		}
	})
}

// knownReasons are all the codes Decide and Import may give.
var knownReasons = map[Reason]bool{
	ReasonGranted: true, ReasonMalformedProof: true, ReasonNonceUnknown: true, ReasonNonceExpired: true,
	ReasonNonceReplayed: true, ReasonChallengeMismatch: true, ReasonMalformedGrant: true,
	ReasonUnknownAuthority: true, ReasonBadSignature: true, ReasonMissingDelegator: true,
	ReasonChainMismatch: true, ReasonDelegatorNotOwner: true, ReasonDelegationTooWide: true,
	ReasonDelegationTooDeep: true, ReasonWrongSite: true, ReasonRevoked: true, ReasonDelegatorRevoked: true,
	ReasonSuperseded: true, ReasonExpired: true, ReasonNotYetValid: true, ReasonUntrustedTime: true,
	ReasonDeviceNotAllowed: true, ReasonActionNotAllowed: true, ReasonOutsideSchedule: true, ReasonBadProof: true,
	ReasonAccepted: true, ReasonDuplicate: true, ReasonMalformed: true, ReasonUnknownType: true,
	ReasonStaleSerial: true, ReasonStaleGrant: true, ReasonFull: true,
}

// FuzzImport and FuzzDecide run against a real store, so each input costs
// an fsync and minimising an interesting input is slow: run them with a
// short -fuzzminimizetime (e.g. 2s) beside -fuzztime.

// FuzzImport feeds the mailbox arbitrary bytes. Whatever it accepts must be
// a grant or snapshot that verifies against the pinned authority; every
// attempt must be recorded.
func FuzzImport(f *testing.F) {
	h := newHarness(f)
	holder := h.key(wire.P256)
	f.Add(h.issue(h.spec(holder)))                          // a valid grant
	f.Add(h.revoke(1, nil, nil))                            // a valid snapshot
	f.Add(h.issueWith(h.key(wire.Ed25519), h.spec(holder))) // another authority
	f.Add(prove(f, holder, h.challenge("d", "a")))          // a proof: wrong type
	f.Add([]byte{0xd2, 0x84, 0x40, 0xa0, 0xf6, 0x40})       // an empty COSE_Sign1
	verifier, _ := wire.NewVerifier(h.authority.Public())

	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := h.k.Import(b)
		if !knownReasons[res.Reason] {
			t.Fatalf("reason %q", res.Reason)
		}
		if res.Accepted != (err == nil) {
			t.Fatalf("accepted %v with error %v", res.Accepted, err)
		}
		if res.Accepted && res.Reason == ReasonAccepted {
			var s *wire.Signed
			if res.Kind == ImportGrant {
				_, s, err = wire.ParseGrant(b)
			} else {
				_, s, err = wire.ParseRevocation(b)
			}
			if err != nil || s.Verify(verifier) != nil {
				t.Fatalf("accepted a message that does not verify: %v", err)
			}
		}
		es, err := h.k.AuditEntries(res.AuditSeq-1, 1)
		if err != nil || len(es) != 1 || es[0].Kind != KindImport || es[0].Reason != string(res.Reason) {
			t.Fatalf("audit entry %+v (%v) for import %+v", es, err, res)
		}
	})
}

// FuzzDecide feeds Decide an arbitrary chain and proof. Nothing may be
// granted unless the proof answers a live challenge with the key of an
// authority-signed grant for the device, and every decision is recorded.
func FuzzDecide(f *testing.F) {
	h := newHarness(f)
	holder := h.key(wire.Ed25519)
	grant := h.issue(h.spec(holder))
	// A live challenge whose answer the fuzzer may find in the seeds; once
	// used, replays are refused.
	c := h.challenge("front-door", "unlock")
	f.Add(grant, []byte(nil), prove(f, holder, c))
	f.Add(grant, grant, prove(f, holder, c))
	f.Add([]byte{}, []byte{}, []byte{})
	f.Add([]byte{0xd2, 0x84}, []byte{0xd2}, []byte{0xd2, 0x84, 0x40, 0xa0, 0xf6, 0x40})

	f.Fuzz(func(t *testing.T, g1, g2, proof []byte) {
		chain := [][]byte{g1}
		if g2 != nil {
			chain = append(chain, g2)
		}
		d, err := h.k.Decide(Request{Chain: chain, Proof: proof, Device: "front-door", Action: "unlock"})
		if err != nil {
			t.Fatal(err)
		}
		if !knownReasons[d.Reason] || d.Granted != (d.Reason == ReasonGranted) {
			t.Fatalf("decision %+v", d)
		}
		es, err := h.k.AuditEntries(d.AuditSeq-1, 1)
		if err != nil || len(es) != 1 || es[0].Reason != string(d.Reason) {
			t.Fatalf("audit entry %+v (%v) for decision %+v", es, err, d)
		}
		if d.Granted {
			p, _, err := wire.ParseProof(proof)
			if err != nil || !bytes.Equal(p.Nonce, c.Nonce) {
				t.Fatalf("granted without the challenge's answer: %+v", d)
			}
		}
	})
}

// FuzzDurableRecords: the records of the security-state directory are
// checksummed, but a record written by another version, or a checksum that
// happens to match garbage, must give an error, never a panic. Whatever
// parses must encode back to the same bytes.
func FuzzDurableRecords(f *testing.F) {
	f.Add([]byte{})                                                                                    // empty
	f.Add(revocationRecord{}.marshal())                                                                // "no snapshot yet"
	f.Add(revocationRecord{lostSince: testStart, snapshot: []byte("signed snapshot bytes")}.marshal()) // lost, then one came
	f.Add(marshalPINs([]pinEntry{{[]byte("alice"), pinRecord{5, 1e18}.marshal()}, {[]byte("bob|10.0.0.7"), nil}}))
	f.Add([]byte{0, 5, 'a', 'l', 'i', 'c', 'e', 0xff, 0xff}) // a value length past the end
	f.Add(timeFileRecord(trustedTime{floor: testStart, anchor: testStart, anchorSrc: AnchorNTP}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := parseRevocationRecord(b); err == nil {
			if back := r.marshal(); !bytes.Equal(back, b) {
				t.Fatalf("revocation record %x → %x", b, back)
			}
		}
		if es, err := parsePINs(b); err == nil {
			if back := marshalPINs(es); !bytes.Equal(back, b) {
				t.Fatalf("pins record %x → %x", b, back)
			}
			_ = mergePINs(es, es)
		}
		_, _, _, _ = parseTimeFileRecord(b)
	})
}

// FuzzTakeNonce: a proof's nonce comes from whoever sends it. Whatever its
// bytes, only the nonce this Keeper issued gets past nonce_unknown, and it
// is accepted at most once, for the device and action it was issued for.
func FuzzTakeNonce(f *testing.F) {
	h := newHarness(f)
	issued := h.challenge("front-door", "unlock").Nonce
	flipped := bytes.Clone(issued)
	flipped[31] ^= 1
	f.Add(issued, "front-door", "unlock")  // the real one: accepted once, then nonce_replayed
	f.Add(issued, "garage", "unlock")      // for another device: challenge_mismatch
	f.Add(flipped, "front-door", "unlock") // its device tag broken: challenge_mismatch
	f.Add(issued[:16], "front-door", "unlock")
	f.Add(make([]byte, wire.NonceSize), "front-door", "unlock")
	f.Add([]byte{}, "", "")
	accepted := 0
	f.Fuzz(func(t *testing.T, nonce []byte, device, action string) {
		r := h.k.takeNonce(nonce, device, action)
		if r == ReasonNonceUnknown {
			return
		}
		if len(nonce) != wire.NonceSize || !bytes.Equal(nonce[:nonceForTag], issued[:nonceForTag]) {
			t.Fatalf("nonce %x for %q %q: %s, want nonce_unknown", nonce, device, action, r)
		}
		if r == "" {
			accepted++
			if accepted > 1 || !bytes.Equal(nonce, issued) || device != "front-door" || action != "unlock" {
				t.Fatalf("nonce %x for %q %q accepted (%d times)", nonce, device, action, accepted)
			}
		}
	})
}
