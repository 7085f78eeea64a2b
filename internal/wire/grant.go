package wire

import (
	"crypto"
	"fmt"
)

// Role is what kind of holder a grant is for.
type Role string

const (
	RoleOwner    Role = "owner"    // may delegate guest grants with their own key
	RoleResident Role = "resident" // lives there; checked against the time floor only
	RoleGuest    Role = "guest"    // visitors, rentals, delegations
	RoleService  Role = "service"  // installers, maintenance
	// Vehicle roles (docs/protocol.md, "Vehicle"): a driver may drive; a
	// valet may drive within the bounds its grant states (DriveWindow,
	// MaxSpeed) and never open the trunk. A guest of a car opens doors only.
	RoleDriver Role = "driver"
	RoleValet  Role = "valet"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleResident, RoleGuest, RoleService, RoleDriver, RoleValet:
		return true
	}
	return false
}

// Wildcard in a grant's devices or actions means every device or action.
// It must stand alone in its list.
const Wildcard = "*"

// Window is one weekly time window, in the site's time zone. It is encoded
// as an array [days, start, end] to keep grants small.
type Window struct {
	_ struct{} `cbor:",toarray"`
	// Days is a bit set of weekdays: bit i is time.Weekday(i), so Sunday is
	// bit 0 and Monday bit 1.
	Days uint8
	// Start and End are minutes after local midnight; Start < End ≤ 1440.
	// A window over midnight is two windows (the parser splits it).
	Start uint16
	End   uint16
}

// Validate checks the ranges.
func (w Window) Validate() error {
	if w.Days == 0 || w.Days > 0x7f {
		return fmt.Errorf("%w: window days %#x (want bits 0..6, at least one)", ErrMalformed, w.Days)
	}
	if w.Start >= w.End || w.End > 24*60 {
		return fmt.Errorf("%w: window %d..%d minutes (want start < end <= 1440)", ErrMalformed, w.Start, w.End)
	}
	return nil
}

// PINVerifier is an argon2id hash of a PIN with everything needed to check
// it: the parameters travel with the hash so that they can be raised later
// without invalidating the verifiers already issued.
type PINVerifier struct {
	Alg       string `cbor:"1,keyasint"` // "argon2id"
	Version   uint32 `cbor:"2,keyasint"` // 0x13 (argon2 v1.3)
	Time      uint32 `cbor:"3,keyasint"` // passes
	MemoryKiB uint32 `cbor:"4,keyasint"`
	Threads   uint8  `cbor:"5,keyasint"`
	Salt      []byte `cbor:"6,keyasint"`
	Hash      []byte `cbor:"7,keyasint"`
}

// Bounds on PIN verifier parameters. The upper bounds protect the hub: an
// authority-signed grant is trusted, but a typo in an issuer's flags should
// not make every PIN check allocate a gigabyte on a Raspberry Pi.
const (
	PINAlg          = "argon2id"
	PINVersion      = 0x13
	MaxPINTime      = 16
	MaxPINMemoryKiB = 64 << 10 // 64 MiB
	MaxPINThreads   = 4
)

// Validate checks the parameters' ranges.
func (p *PINVerifier) Validate() error {
	switch {
	case p.Alg != PINAlg || p.Version != PINVersion:
		return fmt.Errorf("%w: PIN verifier %q version %#x (want %s %#x)", ErrMalformed, p.Alg, p.Version, PINAlg, PINVersion)
	case p.Time < 1 || p.Time > MaxPINTime:
		return fmt.Errorf("%w: PIN verifier time %d (want 1..%d)", ErrMalformed, p.Time, MaxPINTime)
	case p.MemoryKiB < 8*uint32(max(p.Threads, 1)) || p.MemoryKiB > MaxPINMemoryKiB:
		return fmt.Errorf("%w: PIN verifier memory %d KiB (want 8×threads..%d)", ErrMalformed, p.MemoryKiB, MaxPINMemoryKiB)
	case p.Threads < 1 || p.Threads > MaxPINThreads:
		return fmt.Errorf("%w: PIN verifier threads %d (want 1..%d)", ErrMalformed, p.Threads, MaxPINThreads)
	case len(p.Salt) < 16 || len(p.Salt) > 64:
		return fmt.Errorf("%w: PIN verifier salt of %d bytes (want 16..64)", ErrMalformed, len(p.Salt))
	case len(p.Hash) < 16 || len(p.Hash) > 64:
		return fmt.Errorf("%w: PIN verifier hash of %d bytes (want 16..64)", ErrMalformed, len(p.Hash))
	}
	return nil
}

// Confirmation is the "cnf" claim: the key the holder proves possession of.
type Confirmation struct {
	Key COSEKey `cbor:"1,keyasint"`
}

// Grant is the payload of a grant: who (holder key) may do what (devices,
// actions) where (site) and when (validity, schedule). An authority signs
// it; for a delegation, the owner's holder key signs it and Delegator names
// the owner's grant.
type Grant struct {
	ID                  []byte       `cbor:"7,keyasint"`
	Site                string       `cbor:"3,keyasint"`
	NotAfter            int64        `cbor:"4,keyasint,omitempty"` // Unix seconds; 0: no end (not for delegations)
	NotBefore           int64        `cbor:"5,keyasint,omitempty"` // Unix seconds; 0: from the start
	IssuedAt            int64        `cbor:"6,keyasint"`           // Unix seconds
	Holder              Confirmation `cbor:"8,keyasint"`
	Role                Role         `cbor:"-65537,keyasint"`
	Name                string       `cbor:"-65538,keyasint"`
	Devices             []string     `cbor:"-65539,keyasint"`
	Actions             []string     `cbor:"-65540,keyasint"`
	Schedule            []Window     `cbor:"-65541,keyasint,omitempty"`
	RequiresTrustedTime bool         `cbor:"-65542,keyasint,omitempty"`
	PIN                 *PINVerifier `cbor:"-65543,keyasint,omitempty"`
	Delegator           []byte       `cbor:"-65544,keyasint,omitempty"`
	// DriveWindow (seconds) bounds each drive authorisation this grant
	// may ask for; MaxSpeed (km/h) is passed to the car with it. Both are
	// for vehicles; a valet's grant must carry DriveWindow.
	DriveWindow uint32 `cbor:"-65560,keyasint,omitempty"`
	MaxSpeed    uint16 `cbor:"-65561,keyasint,omitempty"`
}

// MaxDriveWindow bounds a grant's DriveWindow: a drive authorisation is for
// starting the car, not a day's use.
const MaxDriveWindow = 24 * 60 * 60

// Validate checks every field's form. It does not look at the time, the
// signature or the chain.
func (g *Grant) Validate() error {
	if err := checkLen("grant id", g.ID, IDSize); err != nil {
		return err
	}
	if err := CheckName("site", g.Site); err != nil {
		return err
	}
	if err := checkTime("issued-at", g.IssuedAt, true); err != nil {
		return err
	}
	if err := checkTime("not-before", g.NotBefore, false); err != nil {
		return err
	}
	if err := checkTime("not-after", g.NotAfter, false); err != nil {
		return err
	}
	if g.NotAfter != 0 && g.NotAfter <= g.NotBefore {
		return fmt.Errorf("%w: not-after %d is not after not-before %d", ErrMalformed, g.NotAfter, g.NotBefore)
	}
	if _, err := g.Holder.Key.PublicKey(); err != nil {
		return fmt.Errorf("holder key: %w", err)
	}
	if !g.Role.Valid() {
		return fmt.Errorf("%w: role %q (want owner, resident, guest, service, driver or valet)", ErrMalformed, g.Role)
	}
	if g.DriveWindow > MaxDriveWindow {
		return fmt.Errorf("%w: drive window %d s, at most %d", ErrMalformed, g.DriveWindow, MaxDriveWindow)
	}
	if g.Role == RoleValet && g.DriveWindow == 0 {
		return fmt.Errorf("%w: a valet grant must state its drive window", ErrMalformed)
	}
	if err := CheckName("name", g.Name); err != nil {
		return err
	}
	if err := checkNames("devices", g.Devices, MaxDevices); err != nil {
		return err
	}
	if err := checkNames("actions", g.Actions, MaxActions); err != nil {
		return err
	}
	for _, list := range [][]string{g.Devices, g.Actions} {
		if len(list) > 1 && contains(list, Wildcard) {
			return fmt.Errorf("%w: %q must stand alone in its list", ErrMalformed, Wildcard)
		}
	}
	if len(g.Schedule) > MaxWindows {
		return fmt.Errorf("%w: %d schedule windows, at most %d", ErrMalformed, len(g.Schedule), MaxWindows)
	}
	for i, w := range g.Schedule {
		if err := w.Validate(); err != nil {
			return fmt.Errorf("schedule window %d: %w", i+1, err)
		}
	}
	if g.PIN != nil {
		if err := g.PIN.Validate(); err != nil {
			return err
		}
	}
	if g.Delegator != nil {
		if err := checkLen("delegator grant id", g.Delegator, IDSize); err != nil {
			return err
		}
		if g.NotAfter == 0 {
			return fmt.Errorf("%w: a delegated grant must have a not-after", ErrMalformed)
		}
	}
	return nil
}

// HolderKey returns the holder's public key (Validate has checked it).
func (g *Grant) HolderKey() (crypto.PublicKey, error) { return g.Holder.Key.PublicKey() }

// Allows reports whether list (devices or actions) names s or is the
// wildcard.
func Allows(list []string, s string) bool {
	return (len(list) == 1 && list[0] == Wildcard) || contains(list, s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SignGrant validates g and signs it as a COSE_Sign1 of type TypeGrant.
func SignGrant(key crypto.Signer, g *Grant) ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	payload, err := Marshal(g)
	if err != nil {
		return nil, err
	}
	return Sign(key, TypeGrant, payload)
}

// ParseGrant parses a signed grant and validates its payload. The signature
// is NOT verified: call Signed.Verify with the right key.
func ParseGrant(b []byte) (*Grant, *Signed, error) {
	s, err := ParseSigned(b, TypeGrant, MaxGrantSize)
	if err != nil {
		return nil, nil, err
	}
	g, err := DecodeGrant(s.Payload)
	if err != nil {
		return nil, nil, err
	}
	return g, s, nil
}

// DecodeGrant decodes and validates a grant payload.
func DecodeGrant(payload []byte) (*Grant, error) {
	var g Grant
	if err := Unmarshal(payload, &g); err != nil {
		return nil, fmt.Errorf("grant: %w", err)
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("grant: %w", err)
	}
	return &g, nil
}
