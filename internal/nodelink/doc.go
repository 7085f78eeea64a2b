// Package nodelink is the hub's side of the serial link to an actuator node
// (firmware/): the frame codec, the messages, and a driver (Conn) that keeps
// the session: hello, heartbeats both ways, commands sent reliably, reports
// acknowledged and handed on once each.
//
// The C side lives in firmware/src/link.c; both check the frames in
// firmware/testdata/link-vectors.txt. docs/protocol.md ("Node link") has the
// CDDL. The package owns no state beyond one Conn's session: what the hub
// does with a node's reports belongs to its caller.
package nodelink
