package localauth

// Reason is a stable, machine-readable code for the outcome of a decision,
// an import or a PIN check. Codes are part of the external contract (the
// audit log, the event log the cloud reads, scripts): never rename one.
type Reason string

// Decision reasons, in the order Decide checks them (docs/protocol.md).
const (
	ReasonGranted Reason = "granted"

	// 1. nonce fresh and unused
	ReasonMalformedProof    Reason = "malformed_proof"    // proof bytes do not parse, so no nonce to check
	ReasonNonceUnknown      Reason = "nonce_unknown"      // never issued by this hub (or forgotten after expiry)
	ReasonNonceExpired      Reason = "nonce_expired"      // issued, but its 30 s are over
	ReasonNonceReplayed     Reason = "nonce_replayed"     // already used, before or after a restart
	ReasonChallengeMismatch Reason = "challenge_mismatch" // the nonce was issued for another device or action

	// 2. grant signature and chain
	ReasonMalformedGrant    Reason = "malformed_grant"
	ReasonUnknownAuthority  Reason = "unknown_authority" // signed by a key that is not pinned
	ReasonBadSignature      Reason = "bad_signature"
	ReasonMissingDelegator  Reason = "missing_delegator"   // a delegation presented without the owner's grant
	ReasonChainMismatch     Reason = "chain_mismatch"      // the owner grant presented is not the one delegated from
	ReasonDelegatorNotOwner Reason = "delegator_not_owner" // delegated from a resident's, guest's or service grant
	ReasonDelegationTooWide Reason = "delegation_too_wide"
	ReasonDelegationTooDeep Reason = "delegation_too_deep"

	// 3. site
	ReasonWrongSite Reason = "wrong_site"

	// 4. revocation
	ReasonRevoked          Reason = "revoked"           // the grant or its holder key is revoked
	ReasonDelegatorRevoked Reason = "delegator_revoked" // the owner grant (or owner key) it hangs from is
	ReasonSuperseded       Reason = "superseded"        // the hub holds a later issue of the same grant id
	// The revocation list was lost in a store recovery and no snapshot
	// issued since has arrived: only owner grants and grants issued after
	// the loss are honoured (docs/security.md).
	ReasonRevocationsUnknown Reason = "revocations_unknown"

	// 5. validity against trusted time
	ReasonExpired       Reason = "expired"        // not-after is at or below the trusted-time floor
	ReasonNotYetValid   Reason = "not_yet_valid"  // not-before is above the floor
	ReasonUntrustedTime Reason = "untrusted_time" // requires_trusted_time and no recent time anchor

	// 6. role, device and action
	ReasonDeviceNotAllowed Reason = "device_not_allowed"
	ReasonActionNotAllowed Reason = "action_not_allowed"

	// 7. schedule, in the site's time zone
	ReasonOutsideSchedule Reason = "outside_schedule"

	// 8. holder proof
	ReasonBadProof Reason = "bad_proof" // not signed by the grant's holder key, or for another hub/device/action
)

// Import reasons (besides malformed_grant's cousins above, reused where
// they mean the same: unknown_authority, bad_signature, wrong_site,
// revoked, expired).
const (
	ReasonAccepted    Reason = "accepted"
	ReasonDuplicate   Reason = "duplicate"    // already imported, byte for byte; nothing changed
	ReasonMalformed   Reason = "malformed"    // not a well-formed signed message of a known kind
	ReasonUnknownType Reason = "unknown_type" // a COSE_Sign1 of another type (a proof, a challenge)
	ReasonStaleSerial Reason = "stale_serial" // a snapshot serial not above the one held
	ReasonStaleGrant  Reason = "stale_grant"  // same grant id as one held, not issued later
	ReasonFull        Reason = "full"         // capacity limit reached
)

// PIN reasons (besides granted, revoked, expired, not_yet_valid,
// untrusted_time).
const (
	ReasonUnknownUser Reason = "unknown_user" // no usable grant with a PIN under that name
	ReasonWrongPIN    Reason = "wrong_pin"
	ReasonLockedOut   Reason = "locked_out" // too many wrong entries; no PIN was checked
)
