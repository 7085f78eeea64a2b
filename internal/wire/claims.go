package wire

// Claim keys. The registered CWT claims (RFC 8392 §4) are used where their
// meaning fits; the rest are private-use keys (below -65536, the range the
// IANA "CBOR Web Token Claims" registry reserves for private use), so that
// they can never collide with a claim registered later. One key has one
// meaning across all message kinds.
const (
	ClaimAud = 3 // aud: the site id a grant or snapshot is for
	ClaimExp = 4 // exp: not-after (grant), expires-at (challenge)
	ClaimNbf = 5 // nbf: not-before
	ClaimIat = 6 // iat: issued-at
	ClaimCti = 7 // cti: the grant id
	ClaimCnf = 8 // cnf: the holder's public key as {1: COSE_Key} (RFC 8747)

	ClaimRole                = -65537 // tstr: owner, resident, guest, service
	ClaimName                = -65538 // tstr: the holder's name (the PIN login user)
	ClaimDevices             = -65539 // [+ tstr]: device ids, or "*"
	ClaimActions             = -65540 // [+ tstr]: actions, or "*"
	ClaimSchedule            = -65541 // [+ window]: weekly windows in the site's time zone
	ClaimRequiresTrustedTime = -65542 // bool
	ClaimPIN                 = -65543 // PIN verifier (argon2id)
	ClaimDelegator           = -65544 // bstr .size 16: the owner grant a delegation hangs from
	ClaimSerial              = -65545 // uint: revocation snapshot serial
	ClaimRevokedGrants       = -65546 // [* bstr .size 16]
	ClaimRevokedKeys         = -65547 // [* bstr .size 16]
	ClaimNonce               = -65548 // bstr .size 32
	ClaimHub                 = -65549 // bstr .size 16: the hub's key id
	ClaimDevice              = -65550 // tstr
	ClaimAction              = -65551 // tstr
	// -65552..-65554 are the command's (command.go). -65555..-65559 are
	// left for other branches of this release; -65560 on are the vehicle's.
	ClaimDriveWindow = -65560 // uint: seconds, the longest drive authorisation
	ClaimMaxSpeed    = -65561 // uint: km/h, the speed bound passed to the car
)

// Size caps per message kind, checked before any parsing. A grant with 256
// devices of 64 bytes each and 32 windows fits in 16 KiB with room to spare.
// A snapshot holds up to 2 × 10 000 ids of 17 bytes (340 KB); 1 MiB leaves
// room for larger configured capacities. Challenges and proofs are small
// fixed-shape messages.
const (
	MaxGrantSize      = 16 << 10
	MaxRevocationSize = 1 << 20
	MaxChallengeSize  = 1 << 10
	MaxProofSize      = 1 << 10
	MaxAuditEntrySize = 4 << 10
)

// Bounds on lists and names inside messages.
const (
	MaxNameLength = 64
	MaxDevices    = 256
	MaxActions    = 64
	MaxWindows    = 32
	IDSize        = 16
	NonceSize     = 32
	HashSize      = 32
)
