// Package wire owns the bytes that edgeagent exchanges with phones, the
// issuer CLI, the cloud and (later) the firmware link: the CBOR encoding
// rules, COSE_Sign1 signing and verification, key formats and key ids, and
// the message types of the digital-key protocol (grant, revocation snapshot,
// challenge, proof) and of the audit log.
//
// Decoding is strict because every decoder here reads bytes from someone who
// may be hostile: duplicate map keys, indefinite lengths, tags inside
// payloads, deep nesting, long arrays and unknown claims are errors. Unknown
// claims are rejected rather than ignored because a claim this version does
// not know could be a restriction (a newer issuer's "max uses", say); ignoring
// it would grant more than the issuer meant. Encoding is CBOR core
// deterministic (RFC 8949 §4.2.1), so one value has one encoding.
//
// This package checks the form of a message (types, lengths, ranges); what a
// message means for a door is localauth's business. The protocol is specified
// in CDDL in docs/protocol.md.
package wire
