// Package ble owns the hub's Bluetooth LE transport for phone keys: one
// primary GATT service (ServiceUUID) with a request characteristic the
// phone writes and a response characteristic the hub notifies, carrying
// length-prefixed CBOR frames split to the ATT MTU (frame.go). The frames
// carry exactly the LAN API's key path (challenge, grant chain and holder
// proof with the action, decision) with the same bodies (wire.ChallengeRequest,
// wire.ChallengeAnswer, wire.ActionRequest), decided by the same
// localauth.Keeper and audited with transport "ble". The protocol is in
// docs/protocol.md; its threats in docs/security.md.
//
// Server owns the connections and their limits (how many, how fast, how
// large, how long) above any transport. Peripheral is the transport over
// BlueZ's D-Bus API (GattManager1.RegisterApplication,
// LEAdvertisingManager1.RegisterAdvertisement); Central is a phone's side
// over BlueZ's client API, for `edgeagent ble-phone`.
//
// Why github.com/godbus/dbus/v5 and not tinygo.org/x/bluetooth: the agent's
// BlueZ code talks D-Bus and nothing else, so the tests run it unchanged
// against a fake BlueZ on a private dbus-daemon (bluetest), with no
// Bluetooth adapter and no mock inside the agent; it is pure Go (no cgo), so
// the arm64 build stays static; and it gives direct control of what the
// protocol depends on: each central's writes on its own socket in order
// (AcquireWrite, so phones write without response: one round trip per
// request, not per fragment), the MTU BlueZ reports, notifications as
// Value changes, the advertisement's content, and dropping one central
// (Device1.Disconnect).
//
// BlueZ notifies every subscribed central alike (its D-Bus API has no
// per-central notification), so every notification fragment begins with
// the request id its phone chose, and a phone keeps only its own.
package ble

// Status is BLE's part of the agent's status: on or off and why,
// connections now, decisions over BLE.
type Status struct {
	On      bool   `json:"on"`
	Reason  string `json:"reason,omitempty"` // why it is off
	Adapter string `json:"adapter,omitempty"`
	Name    string `json:"name,omitempty"` // the advertised name
	Counters
	MaxConnections int `json:"max_connections,omitempty"`
}

// Status reports the server's state (On; the caller fills the adapter and
// name it registered with).
func (s *Server) Status() Status {
	return Status{On: true, Counters: s.Counters(), MaxConnections: s.opts.Limits.MaxConnections}
}
