package wire

import (
	"bytes"
	"crypto"
	"errors"
	"strings"
	"testing"
)

func testCommand() *Command {
	return &Command{ID: bytes.Repeat([]byte{7}, IDSize), Site: "home-1", IssuedAt: 1767225600, ExpiresAt: 1767225630,
		Device: "front-door", Action: "unlock"}
}

func testSettings() *Settings {
	sp := 21.5
	return &Settings{Site: "home-1", IssuedAt: 1767225600, Version: 3,
		Boilers: []BoilerSettings{{Device: "boiler", Mode: ModeHeat, Setpoint: &sp}, {Device: "spa", Mode: ModeOff}}}
}

func TestCommandSignParseVerify(t *testing.T) {
	ed, _ := GenerateKey(Ed25519)
	c := testCommand()
	c.Value = "21.5"
	b, err := SignCommand(ed, c)
	if err != nil {
		t.Fatal(err)
	}
	got, s, err := ParseCommand(b)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerifier(ed.Public())
	if err := s.Verify(v); err != nil {
		t.Fatal(err)
	}
	if got.Value != "21.5" || got.Device != "front-door" || !bytes.Equal(got.ID, c.ID) {
		t.Fatalf("parsed %+v", got)
	}
	// A command is not a grant, nor settings: typ is bound into the signature.
	if _, _, err := ParseSettings(b); !errors.Is(err, ErrWrongType) {
		t.Fatalf("command parsed as settings: %v", err)
	}
}

func TestCommandValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *Command)
		want string
	}{
		{"short id", func(c *Command) { c.ID = c.ID[:8] }, "command id"},
		{"no site", func(c *Command) { c.Site = "" }, "site is empty"},
		{"no device", func(c *Command) { c.Device = "" }, "device is empty"},
		{"no action", func(c *Command) { c.Action = "" }, "action is empty"},
		{"value control char", func(c *Command) { c.Value = "1\n" }, "control character"},
		{"value too long", func(c *Command) { c.Value = strings.Repeat("9", MaxValueLength+1) }, "value is not"},
		{"expires before issued", func(c *Command) { c.ExpiresAt = c.IssuedAt }, "not after issued-at"},
		{"lives too long", func(c *Command) { c.ExpiresAt = c.IssuedAt + MaxCommandLifetime + 1 }, "at most"},
		{"no issued-at", func(c *Command) { c.IssuedAt = 0 }, "issued-at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testCommand()
			tc.edit(c)
			err := c.Validate()
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSettingsValidate(t *testing.T) {
	bad := 40.0
	for _, tc := range []struct {
		name string
		edit func(s *Settings)
		want string
	}{
		{"version 0", func(s *Settings) { s.Version = 0 }, "version 0"},
		{"twice", func(s *Settings) { s.Boilers[1].Device = "boiler" }, "listed twice"},
		{"empty entry", func(s *Settings) { s.Boilers[1].Mode = "" }, "neither mode nor setpoint"},
		{"bad mode", func(s *Settings) { s.Boilers[1].Mode = "turbo" }, "mode"},
		{"setpoint range", func(s *Settings) { s.Boilers[0].Setpoint = &bad }, "setpoint 40"},
		{"wrong site form", func(s *Settings) { s.Site = "a\x00" }, "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			tc.edit(s)
			err := s.Validate()
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	if err := testSettings().Validate(); err != nil {
		t.Fatal(err)
	}
	// An empty document (no desired settings at all) is valid.
	if err := (&Settings{Site: "s", IssuedAt: 1, Version: 1}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseCommand(f *testing.F) {
	ed, p256 := seedKeys(f)
	// A command for each alg, with and without a value.
	for i, k := range []crypto.Signer{ed, p256} {
		c := testCommand()
		if i == 1 {
			c.Device, c.Action, c.Value = "boiler", "set-setpoint", "21.5"
		}
		b, err := SignCommand(k, c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// A grant is well-formed COSE of the wrong type.
	g, err := SignGrant(ed, testGrant(f, ed.Public()))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(g)
	addEdgeCases(f)

	f.Fuzz(func(t *testing.T, b []byte) {
		c, s, err := ParseCommand(b)
		if err != nil {
			return
		}
		if s.Type != TypeCommand {
			t.Fatalf("parsed a %q as a command", s.Type)
		}
		roundTrip(t, c, DecodeCommand)
	})
}

func FuzzParseSettings(f *testing.F) {
	ed, p256 := seedKeys(f)
	for _, k := range []crypto.Signer{ed, p256} {
		b, err := SignSettings(k, testSettings())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// No boilers at all: "no desired settings".
	b, err := SignSettings(ed, &Settings{Site: "s", IssuedAt: 1, Version: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	addEdgeCases(f)

	f.Fuzz(func(t *testing.T, b []byte) {
		s, _, err := ParseSettings(b)
		if err != nil {
			return
		}
		roundTrip(t, s, DecodeSettings)
	})
}
