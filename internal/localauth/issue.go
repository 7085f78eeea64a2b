package localauth

import (
	"crypto"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// GrantSpec is what the issuer asks for. Zero values have the defaults
// documented on each field.
type GrantSpec struct {
	Site    string           // required (for Delegate: defaults to the owner's)
	Holder  crypto.PublicKey // required: the holder's Ed25519 or P-256 public key
	Name    string           // required: the holder's name, the PIN login user
	Role    wire.Role        // required (for Delegate: defaults to guest, the only role allowed)
	Devices []string         // required; "*" for all
	// Actions: nil means every action ("*"); for Delegate, the owner's.
	Actions []string
	// NotBefore: zero means IssuedAt (for Delegate: and not before the
	// owner's grant starts).
	NotBefore time.Time
	// NotAfter: zero means no end, which Delegate refuses (a delegated key
	// must end).
	NotAfter time.Time
	// Schedule in ParseSchedule's syntax; "" for none (for Delegate: an
	// owner with a schedule must pass one within it).
	Schedule            string
	RequiresTrustedTime bool
	PIN                 string    // "" for none; refused by Delegate
	PINParams           PINParams // zero: DefaultPINParams
	IssuedAt            time.Time // zero: now
	// DriveWindow and MaxSpeed bound a car's drive authorisations (a
	// valet's grant must set DriveWindow); zero for none.
	DriveWindow time.Duration
	MaxSpeed    int
}

// IssueGrant signs a grant with an authority key.
func IssueGrant(authority crypto.Signer, spec GrantSpec) ([]byte, error) {
	g, err := buildGrant(spec)
	if err != nil {
		return nil, err
	}
	return wire.SignGrant(authority, g)
}

// Delegate signs a guest grant with an owner's holder key. ownerGrant is the
// owner's authority-signed grant (not verified here: the issuer may not hold
// the authority key's file, and the hub verifies the chain anyway). It
// refuses a grant that is not an owner's (ErrNotOwner), a grant that is
// itself delegated (ErrAlreadyDelegated) and anything wider than the owner's
// grant (ErrTooWide).
func Delegate(ownerGrant []byte, ownerKey crypto.Signer, spec GrantSpec) ([]byte, error) {
	owner, _, err := wire.ParseGrant(ownerGrant)
	if err != nil {
		return nil, fmt.Errorf("owner grant: %w", err)
	}
	if owner.Delegator != nil {
		return nil, ErrAlreadyDelegated
	}
	if owner.Role != wire.RoleOwner {
		return nil, fmt.Errorf("%w: the grant's role is %s", ErrNotOwner, owner.Role)
	}
	ownerKID, err := wire.KeyIDOf(ownerKey.Public())
	if err != nil {
		return nil, err
	}
	holder, err := owner.HolderKey()
	if err != nil {
		return nil, err
	}
	if hk, _ := wire.KeyIDOf(holder); hk != ownerKID {
		return nil, fmt.Errorf("%w: the key %s is not the grant's holder key %s", ErrNotOwner, ownerKID, hk)
	}
	if spec.Site == "" {
		spec.Site = owner.Site
	}
	if spec.Role == "" {
		spec.Role = wire.RoleGuest
	}
	if spec.Actions == nil {
		spec.Actions = owner.Actions
	}
	if spec.NotAfter.IsZero() {
		return nil, fmt.Errorf("%w: a delegated grant needs a not-after", ErrBadSpec)
	}
	g, err := buildGrant(spec)
	if err != nil {
		return nil, err
	}
	if spec.NotBefore.IsZero() && g.NotBefore < owner.NotBefore {
		g.NotBefore = owner.NotBefore
	}
	g.Delegator = owner.ID
	if err := narrower(g, owner); err != nil {
		return nil, err
	}
	return wire.SignGrant(ownerKey, g)
}

func buildGrant(spec GrantSpec) (*wire.Grant, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadSpec, fmt.Sprintf(format, args...))
	}
	if spec.Holder == nil {
		return nil, bad("no holder key")
	}
	holder, err := wire.COSEKeyOf(spec.Holder)
	if err != nil {
		return nil, bad("holder key: %v", err)
	}
	if !spec.Role.Valid() {
		return nil, bad("role %q (want owner, resident, guest, service, driver or valet)", spec.Role)
	}
	issued := spec.IssuedAt
	if issued.IsZero() {
		issued = time.Now()
	}
	id := make([]byte, wire.IDSize)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	actions := spec.Actions
	if actions == nil {
		actions = []string{wire.Wildcard}
	}
	g := &wire.Grant{
		ID:                  id,
		Site:                spec.Site,
		IssuedAt:            issued.Unix(),
		NotBefore:           issued.Unix(),
		Holder:              wire.Confirmation{Key: holder},
		Role:                spec.Role,
		Name:                spec.Name,
		Devices:             spec.Devices,
		Actions:             actions,
		RequiresTrustedTime: spec.RequiresTrustedTime,
		DriveWindow:         uint32(spec.DriveWindow / time.Second),
	}
	if spec.MaxSpeed < 0 || spec.MaxSpeed > wire.MaxDriveSpeed || spec.DriveWindow < 0 || spec.DriveWindow > wire.MaxDriveWindow*time.Second {
		return nil, bad("drive window %s or max speed %d km/h out of range", spec.DriveWindow, spec.MaxSpeed)
	}
	g.MaxSpeed = uint16(spec.MaxSpeed)
	if !spec.NotBefore.IsZero() {
		g.NotBefore = spec.NotBefore.Unix()
	}
	if !spec.NotAfter.IsZero() {
		g.NotAfter = spec.NotAfter.Unix()
	}
	if g.Schedule, err = ParseSchedule(spec.Schedule); err != nil {
		return nil, err
	}
	if spec.PIN != "" {
		if g.PIN, err = NewPINVerifier(spec.PIN, spec.PINParams); err != nil {
			return nil, err
		}
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSpec, err)
	}
	return g, nil
}

// RevocationSpec is a revocation snapshot to issue: the complete list of
// revoked grant and holder key ids (hex, as ShowGrant prints them) for a
// site at a serial higher than the last one issued.
type RevocationSpec struct {
	Site     string
	Serial   uint64
	GrantIDs []string
	KeyIDs   []string
	IssuedAt time.Time // zero: now
}

// IssueRevocation signs a revocation snapshot with an authority key.
func IssueRevocation(authority crypto.Signer, spec RevocationSpec) ([]byte, error) {
	r := &wire.RevocationSnapshot{Site: spec.Site, Serial: spec.Serial, IssuedAt: spec.IssuedAt.Unix()}
	if spec.IssuedAt.IsZero() {
		r.IssuedAt = time.Now().Unix()
	}
	var err error
	if r.Grants, err = parseIDs("grant", spec.GrantIDs); err != nil {
		return nil, err
	}
	if r.Keys, err = parseIDs("key", spec.KeyIDs); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSpec, err)
	}
	return wire.SignRevocation(authority, r)
}

func parseIDs(what string, ss []string) ([][]byte, error) {
	out := make([][]byte, 0, len(ss))
	seen := make(map[wire.ID]bool, len(ss))
	for _, s := range ss {
		id, err := wire.ParseID(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%w: %s id %q is not 32 hex digits", ErrBadSpec, what, s)
		}
		if !seen[id] { // a list pasted twice is not an error
			seen[id] = true
			out = append(out, id[:])
		}
	}
	return out, nil
}

// GrantInfo is a decoded grant, for `grant show`.
type GrantInfo struct {
	Grant     *wire.Grant
	ID        wire.ID
	SignerKey wire.ID // the kid that signed it (an authority, or the owner's key for a delegation)
	HolderKey wire.ID
	HolderAlg wire.Alg
	Delegated bool
	// Verified: the signature checked out against one of the authority keys
	// given. A delegation is signed by the owner's key, so it is never
	// Verified here; the hub verifies it with the owner's grant.
	Verified bool
}

// ParseGrant decodes a signed grant and, when authority keys are given,
// verifies it against them. With keys given, a grant that does not verify
// is returned with an error matching wire.ErrBadSignature or
// wire.ErrKeyMismatch (nothing matched its kid), so that a caller can still
// show what it says.
func ParseGrant(b []byte, authorities ...crypto.PublicKey) (*GrantInfo, error) {
	g, s, err := wire.ParseGrant(b)
	if err != nil {
		return nil, err
	}
	hk, err := g.HolderKey()
	if err != nil {
		return nil, err
	}
	info := &GrantInfo{Grant: g, ID: wire.IDFrom(g.ID), SignerKey: s.KeyID, Delegated: g.Delegator != nil}
	info.HolderKey, _ = wire.KeyIDOf(hk)
	info.HolderAlg, _ = wire.KeyAlg(hk)
	if len(authorities) == 0 || info.Delegated {
		return info, nil
	}
	for _, pub := range authorities {
		v, err := wire.NewVerifier(pub)
		if err != nil {
			return info, err
		}
		if v.KeyID != s.KeyID {
			continue
		}
		if err := s.Verify(v); err != nil {
			return info, err
		}
		info.Verified = true
		return info, nil
	}
	return info, fmt.Errorf("%w: signed by %s, which is none of the authority keys given", wire.ErrKeyMismatch, s.KeyID)
}

// ShowGrant is ParseGrant formatted for a terminal. The text is returned
// even when verification fails (with the error), and says so.
func ShowGrant(b []byte, authorities ...crypto.PublicKey) (string, error) {
	info, err := ParseGrant(b, authorities...)
	if info == nil {
		return "", err
	}
	g := info.Grant
	var w strings.Builder
	line := func(k, format string, args ...any) { fmt.Fprintf(&w, "%-22s %s\n", k, fmt.Sprintf(format, args...)) }
	ts := func(t int64, none string) string {
		if t == 0 {
			return none
		}
		return time.Unix(t, 0).UTC().Format(time.RFC3339)
	}
	line("grant", "%s", info.ID)
	line("site", "%s", g.Site)
	line("name", "%s", g.Name)
	line("role", "%s", g.Role)
	line("holder key", "%s (%s)", info.HolderKey, info.HolderAlg)
	line("devices", "%s", strings.Join(g.Devices, ", "))
	line("actions", "%s", strings.Join(g.Actions, ", "))
	line("not before", "%s", ts(g.NotBefore, "-"))
	line("not after", "%s", ts(g.NotAfter, "none"))
	if len(g.Schedule) > 0 {
		line("schedule", "%s (site time)", FormatSchedule(g.Schedule))
	} else {
		line("schedule", "any time")
	}
	line("requires trusted time", "%s", yesNo(g.RequiresTrustedTime))
	if g.PIN != nil {
		line("pin", "yes (argon2id t=%d m=%dKiB p=%d)", g.PIN.Time, g.PIN.MemoryKiB, g.PIN.Threads)
	} else {
		line("pin", "no")
	}
	line("issued at", "%s", ts(g.IssuedAt, "-"))
	switch {
	case info.Delegated:
		line("delegated from", "grant %s, signed by its holder key %s", wire.IDFrom(g.Delegator), info.SignerKey)
		line("signature", "not checked here (the hub checks it against the owner's grant)")
	case info.Verified:
		line("signature", "verified (authority %s)", info.SignerKey)
	case err != nil:
		line("signature", "NOT VERIFIED: %v", err)
	default:
		line("signature", "not checked (no authority key given); signer %s", info.SignerKey)
	}
	return w.String(), err
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
