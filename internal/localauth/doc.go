// Package localauth owns who may do what at the hub when the cloud is not
// there to ask: grants and their delegation chains, holder proofs,
// challenges and their nonces, PIN logins and lockouts, revocation
// snapshots, the trusted-time floor, and the hash-chained audit log of every
// decision.
//
// Two halves share the wire formats of package wire:
//
//   - Issuing (InitAuthority, NewKey, IssueGrant, Delegate, IssueRevocation,
//     ShowGrant) runs on an owner's laptop with no network at all.
//   - The hub side is a *Keeper: it imports signed grants and snapshots from
//     any carrier (the signature, not the carrier, makes them trusted),
//     issues challenges, decides requests in the fixed order of
//     docs/protocol.md and records each decision durably before the caller
//     moves an actuator.
//
// Its state lives in the agent's store, in buckets prefixed "auth_", and
// what must never go backwards (hub key, revocation snapshot, time floor,
// PIN lockouts) also in records of the security-state directory (package
// secstate: durable.go), so that a recovered store reopens nothing.
// Decisions never wait on the network.
package localauth

// The site's time zone may be anything in the IANA database, and a hub
// image may have no /usr/share/zoneinfo: embed the database (about 450 KB).
import _ "time/tzdata"
