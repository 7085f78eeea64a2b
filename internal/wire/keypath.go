package wire

// The bodies of the digital-key path, shared by every transport that carries
// it (the LAN API as JSON, BLE as CBOR), so that a phone implements one
// protocol. The field names are the LAN API's JSON names; CBOR uses the same
// names as text keys (fxamacker/cbor reads the json tag when there is no cbor
// tag). Only the decision answer is not here: it carries a device state and a
// localauth decision, which this package must not depend on (see
// ble.Decision and localapi.LANActionResult, which share its field names).

// ChallengeRequest asks for a challenge to act with action on device.
type ChallengeRequest struct {
	Device string `json:"device"`
	Action string `json:"action"`
}

// ChallengeAnswer is a signed challenge (Challenge) with the hub's public
// key, so that the phone can check who signed it.
type ChallengeAnswer struct {
	Challenge []byte `json:"challenge"` // COSE_Sign1, base64 in JSON
	HubKey    []byte `json:"hub_key"`   // Ed25519 public key, 32 bytes
}

// ActionRequest acts on a device: with a phone key, Chain and Proof; with a
// LAN session (the web app), Action and Value alone. The device is the
// LAN's URL path, or the BLE frame's device.
type ActionRequest struct {
	Action string `json:"action"`
	Value  string `json:"value,omitempty"`
	// Chain is the holder's grant, then for a delegation the owner's.
	Chain [][]byte `json:"chain,omitempty"`
	// Proof is the holder's signed answer (Proof) to a challenge for this
	// device and action.
	Proof []byte `json:"proof,omitempty"`
}
