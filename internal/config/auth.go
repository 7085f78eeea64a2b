package config

import (
	"fmt"
	"time"
)

// Auth configures local authentication (package localauth).
type Auth struct {
	// Timezone is the site's IANA time zone, for grant schedules
	// ("Asia/Seoul"). Default UTC. The binary embeds the zone database:
	// a hub without /usr/share/zoneinfo still knows it.
	Timezone string `toml:"timezone"`
	// Authorities are the pinned authority public keys (PEM files). Grants,
	// revocations, commands and settings are trusted only when signed by one
	// of them. `edgeagent run --authority FILE.pub` adds more.
	Authorities []string `toml:"authorities"`
	// TrustedTimeBound: grants that require trusted time (guests, rentals)
	// are refused when the last time anchor is older than this. Default 24h.
	TrustedTimeBound Duration `toml:"trusted_time_bound"`
	// MaxGrants and MaxRevoked are the capacity limits. Default 10 000 each.
	MaxGrants  int `toml:"max_grants"`
	MaxRevoked int `toml:"max_revoked"`
	// PINAttempts wrong PINs in a row lock a user out for PINLockout,
	// doubling at every further lockout up to PINMaxLockout. Defaults 5,
	// 1m, 1h.
	PINAttempts   int      `toml:"pin_attempts"`
	PINLockout    Duration `toml:"pin_lockout"`
	PINMaxLockout Duration `toml:"pin_max_lockout"`
}

// Location returns the site's time zone.
func (a *Auth) Location() (*time.Location, error) {
	if a.Timezone == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(a.Timezone)
}

func (a *Auth) validate(v *validator) {
	if _, err := a.Location(); err != nil {
		v.fail("auth.timezone", "%q is not a known time zone (write e.g. \"Asia/Seoul\")", a.Timezone)
	}
	for i, p := range a.Authorities {
		if p == "" {
			v.fail(fmt.Sprintf("auth.authorities[%d]", i), "empty path")
		}
	}
	v.positive("auth", "trusted_time_bound", a.TrustedTimeBound)
	v.positive("auth", "pin_lockout", a.PINLockout)
	v.positive("auth", "pin_max_lockout", a.PINMaxLockout)
	for _, k := range []struct {
		key string
		n   int
	}{{"max_grants", a.MaxGrants}, {"max_revoked", a.MaxRevoked}, {"pin_attempts", a.PINAttempts}} {
		if k.n < 0 {
			v.fail("auth."+k.key, "%d is negative", k.n)
		}
	}
	if a.MaxGrants > 1_000_000 || a.MaxRevoked > 1_000_000 {
		v.fail("auth", "max_grants and max_revoked are at most 1000000 (memory on a small hub)")
	}
}
