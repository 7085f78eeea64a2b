package localauth

import (
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

func TestKeyFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "authority")
	id, err := InitAuthority(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{AuthorityKeyFile: 0o600, AuthorityPubFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", name, fi.Mode().Perm(), want)
		}
	}
	if _, err := InitAuthority(dir); !errors.Is(err, ErrExists) {
		t.Errorf("second InitAuthority: %v, want ErrExists", err)
	}
	key, err := LoadAuthority(dir)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(filepath.Join(dir, AuthorityPubFile))
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := wire.KeyIDOf(key.Public()); a != id {
		t.Error("authority.key is not the key InitAuthority reported")
	}
	if b, _ := wire.KeyIDOf(pub); b != id {
		t.Error("authority.pub is not authority.key's public key")
	}

	out := filepath.Join(t.TempDir(), "phone")
	if _, err := NewKey(out, wire.P256); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v", fi.Mode().Perm())
	}
	hk, err := LoadPublicKey(out + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if alg, _ := wire.KeyAlg(hk); alg != wire.P256 {
		t.Errorf("alg %s, want p256", alg)
	}
	if _, err := NewKey(out, wire.Ed25519); !errors.Is(err, ErrExists) {
		t.Errorf("NewKey over an existing key: %v", err)
	}
}

func TestDelegateRefuses(t *testing.T) {
	h := newHarness(t)
	owner, guest := h.key(wire.Ed25519), h.key(wire.P256)
	now := h.clk.Now()
	ownerGrant := h.issue(h.spec(owner, func(s *GrantSpec) {
		s.Role, s.Actions, s.Schedule = wire.RoleOwner, []string{"unlock", "lock"}, "mon-fri 07:00-20:00"
	}))
	ok := GrantSpec{
		Holder: guest.Public(), Name: "gus", Devices: []string{"front-door"}, Schedule: "mon 09:00-10:00",
		IssuedAt: now, NotAfter: now.Add(time.Hour),
	}
	if _, err := Delegate(ownerGrant, owner, ok); err != nil {
		t.Fatalf("a narrow delegation: %v", err)
	}
	cases := []struct {
		name  string
		grant []byte
		key   crypto.Signer
		spec  func(*GrantSpec)
		want  error
	}{
		{"another device", ownerGrant, owner, func(s *GrantSpec) { s.Devices = []string{"boiler"} }, ErrTooWide},
		{"all actions", ownerGrant, owner, func(s *GrantSpec) { s.Actions = []string{"*"} }, ErrTooWide},
		{"past the owner's end", ownerGrant, owner, func(s *GrantSpec) { s.NotAfter = now.Add(60 * 24 * time.Hour) }, ErrTooWide},
		{"before the owner's start", ownerGrant, owner, func(s *GrantSpec) { s.NotBefore = now.Add(-48 * time.Hour) }, ErrTooWide},
		{"at night", ownerGrant, owner, func(s *GrantSpec) { s.Schedule = "mon 19:00-21:00" }, ErrTooWide},
		{"any time", ownerGrant, owner, func(s *GrantSpec) { s.Schedule = "" }, ErrTooWide},
		{"a resident", ownerGrant, owner, func(s *GrantSpec) { s.Role = wire.RoleResident }, ErrTooWide},
		{"with a PIN", ownerGrant, owner, func(s *GrantSpec) { s.PIN, s.PINParams = "1234", cheapPIN }, ErrTooWide},
		{"no end", ownerGrant, owner, func(s *GrantSpec) { s.NotAfter = time.Time{} }, ErrBadSpec},
		{"another key", ownerGrant, guest, nil, ErrNotOwner},
		{"a resident's grant", h.issue(h.spec(owner)), owner, nil, ErrNotOwner},
	}
	for _, c := range cases {
		spec := ok
		if c.spec != nil {
			c.spec(&spec)
		}
		if _, err := Delegate(c.grant, c.key, spec); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	d, err := Delegate(ownerGrant, owner, ok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Delegate(d, guest, ok); !errors.Is(err, ErrAlreadyDelegated) {
		t.Errorf("delegating a delegation: %v", err)
	}
}

func TestIssueGrantSpecErrors(t *testing.T) {
	h := newHarness(t)
	holder := h.key(wire.Ed25519)
	cases := map[string]func(*GrantSpec){
		"no holder":    func(s *GrantSpec) { s.Holder = nil },
		"bad role":     func(s *GrantSpec) { s.Role = "admin" },
		"no devices":   func(s *GrantSpec) { s.Devices = nil },
		"no name":      func(s *GrantSpec) { s.Name = "" },
		"bad schedule": func(s *GrantSpec) { s.Schedule = "mon 9-5" },
		"short PIN":    func(s *GrantSpec) { s.PIN = "12" },
		"end first":    func(s *GrantSpec) { s.NotAfter = s.NotBefore.Add(-time.Second) },
	}
	for name, mutate := range cases {
		if _, err := IssueGrant(h.authority, h.spec(holder, mutate)); !errors.Is(err, ErrBadSpec) {
			t.Errorf("%s: %v, want ErrBadSpec", name, err)
		}
	}
	_, err := IssueRevocation(h.authority, RevocationSpec{Site: testSite, Serial: 1, GrantIDs: []string{"xyz"}})
	if !errors.Is(err, ErrBadSpec) || !strings.Contains(err.Error(), `"xyz"`) {
		t.Errorf("bad grant id: %v", err)
	}
	if _, err := IssueRevocation(h.authority, RevocationSpec{Site: testSite}); !errors.Is(err, ErrBadSpec) {
		t.Errorf("serial 0: %v", err)
	}
}

func TestShowGrant(t *testing.T) {
	h := newHarness(t)
	holder := h.key(wire.P256)
	g := h.issue(h.spec(holder, func(s *GrantSpec) {
		s.Schedule, s.PIN, s.RequiresTrustedTime = "mon-fri 08:00-18:00", "1234", true
	}))
	text, err := ShowGrant(g, h.authority.Public())
	if err != nil {
		t.Fatal(err)
	}
	hk, _ := wire.KeyIDOf(holder.Public())
	for _, want := range []string{"site                   home-1", "holder key             " + hk.String() + " (p256)",
		"mon-fri 08:00-18:00", "requires trusted time  yes", "argon2id t=1 m=64KiB p=1", "verified (authority "} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	other := h.key(wire.Ed25519)
	text, err = ShowGrant(g, other.Public())
	if !errors.Is(err, wire.ErrKeyMismatch) || !strings.Contains(text, "NOT VERIFIED") {
		t.Errorf("with the wrong authority: %v\n%s", err, text)
	}
	g[len(g)-1] ^= 1
	if _, err := ParseGrant(g, h.authority.Public()); !errors.Is(err, wire.ErrBadSignature) {
		t.Errorf("tampered: %v", err)
	}
	text, err = ShowGrant(g)
	if err != nil || !strings.Contains(text, "not checked") {
		t.Errorf("without authority: %v\n%s", err, text)
	}
}

func TestParseSchedule(t *testing.T) {
	good := map[string]string{
		"mon-fri 08:00-18:00":                  "mon-fri 08:00-18:00",
		"sat,sun 10:00-14:00; wed 19:00-21:00": "sat,sun 10:00-14:00; wed 19:00-21:00",
		"daily 00:00-24:00":                    "daily 00:00-24:00",
		"fri-mon 09:00-10:00":                  "mon,fri-sun 09:00-10:00",
		"fri 22:00-02:00":                      "fri 22:00-24:00; sat 00:00-02:00",
		"sat 22:00-02:00":                      "sat 22:00-24:00; sun 00:00-02:00",
		"  MON 8:00-9:30 ":                     "mon 08:00-09:30",
		"":                                     "",
	}
	for in, want := range good {
		ws, err := ParseSchedule(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := FormatSchedule(ws); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
	bad := map[string]string{
		"mon 09:00":                            `window 1 "mon 09:00"`,
		"mon-fri 08:00-18:00; sat 25:00-26:00": `window 2 "sat 25:00-26:00": bad time "25:00"`,
		"mon-fry 08:00-18:00":                  `unknown day "fry"`,
		"mon 10:00-10:00":                      "empty",
		"mon 24:00-24:00":                      `bad time "24:00"`,
		"mon 08:00-18:00;":                     "window 2 is empty",
		"mon 8:60-9:00":                        `bad time "8:60"`,
	}
	for in, want := range bad {
		_, err := ParseSchedule(in)
		if !errors.Is(err, ErrBadSpec) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error naming %q", in, err, want)
		}
	}
}

func TestInSchedule(t *testing.T) {
	ws, _ := ParseSchedule("mon-fri 08:00-18:00; fri 22:00-02:00")
	cases := []struct {
		t    time.Time
		want bool
	}{
		{time.Date(2026, 3, 2, 8, 0, 0, 0, amsterdam), true},    // Monday, start inclusive
		{time.Date(2026, 3, 2, 17, 59, 0, 0, amsterdam), true},  // Monday
		{time.Date(2026, 3, 2, 18, 0, 0, 0, amsterdam), false},  // end exclusive
		{time.Date(2026, 3, 7, 1, 30, 0, 0, amsterdam), true},   // Saturday, after Friday night
		{time.Date(2026, 3, 8, 1, 30, 0, 0, amsterdam), false},  // Sunday
		{time.Date(2026, 3, 29, 12, 0, 0, 0, amsterdam), false}, // Sunday, the day clocks go forward
	}
	for _, c := range cases {
		if got := inSchedule(ws, c.t); got != c.want {
			t.Errorf("%v: %v, want %v", c.t, got, c.want)
		}
	}
}

func TestScheduleCovers(t *testing.T) {
	parse := func(s string) []wire.Window {
		ws, err := ParseSchedule(s)
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	cases := []struct {
		parent, child string
		want          bool
	}{
		{"", "mon 08:00-09:00", true},
		{"mon-fri 08:00-18:00", "", false},
		{"mon-fri 08:00-18:00", "tue 09:00-10:00", true},
		{"mon-fri 08:00-18:00", "sat 09:00-10:00", false},
		{"mon 08:00-12:00; mon 12:00-18:00", "mon 11:00-13:00", true}, // joined windows
		{"mon 08:00-12:00; mon 12:30-18:00", "mon 11:00-13:00", false},
		{"fri 20:00-03:00", "fri 23:00-01:00", true},
	}
	for _, c := range cases {
		if got := scheduleCovers(parse(c.parent), parse(c.child)); got != c.want {
			t.Errorf("%q covers %q: %v, want %v", c.parent, c.child, got, c.want)
		}
	}
}
