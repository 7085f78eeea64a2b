// Package keypathtest is the decision table of the digital-key path, run
// against every transport that carries it (the LAN API, BLE): one table,
// so that a phone gets the same answer whichever way it comes in. Each
// transport's tests give it a hub and a way to send.
package keypathtest

import (
	"crypto"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// Transport carries the key path to the hub under test.
type Transport interface {
	// Name is what the audit entries of its decisions name
	// (localauth.TransportLAN, localauth.TransportBLE).
	Name() string
	// Challenge fetches and checks a challenge.
	Challenge(device, action string) (*wire.Challenge, error)
	// Send sends an action and returns the decision as the hub audited it
	// (granted or refused); err is for anything else (transport, bad
	// request).
	Send(device string, req wire.ActionRequest) (localauth.Decision, error)
}

// Hub is the hub under test: a Keeper with Authority pinned for Site, its
// clock, and a device hub with a lock Door and a switch Light.
type Hub struct {
	Site      string
	Authority crypto.Signer
	Keeper    *localauth.Keeper
	Clock     *clocktest.Fake
	Devices   *devices.Hub
	Door      string // a lock
	Light     string // a switch
}

type holder struct {
	chain [][]byte
	key   crypto.Signer
}

// Run runs the table: owner, resident, delegated guest (Ed25519 and P-256
// holders), revoked, expired, replayed, wrong device, another key, a
// device outside the grant. Each refusal leaves the door locked; every
// decision is audited naming the transport.
func Run(t *testing.T, h Hub, tr Transport) {
	now := h.Clock.Now()
	issue := func(alg wire.Alg, spec localauth.GrantSpec) holder {
		t.Helper()
		key, err := wire.GenerateKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		spec.Site, spec.Holder = h.Site, key.Public()
		if spec.IssuedAt.IsZero() {
			spec.IssuedAt = now
		}
		g, err := localauth.IssueGrant(h.Authority, spec)
		if err != nil {
			t.Fatal(err)
		}
		return holder{[][]byte{g}, key}
	}
	owner := issue(wire.Ed25519, localauth.GrantSpec{Name: "olga", Role: wire.RoleOwner, Devices: []string{"*"}})
	resident := issue(wire.P256, localauth.GrantSpec{Name: "rita", Role: wire.RoleResident, Devices: []string{h.Door, h.Light}})
	guestKey, _ := wire.GenerateKey(wire.P256)
	guestGrant, err := localauth.Delegate(owner.chain[0], owner.key, localauth.GrantSpec{
		Holder: guestKey.Public(), Name: "gwen", Devices: []string{h.Door}, Actions: []string{"unlock"},
		IssuedAt: now, NotAfter: now.Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	guest := holder{[][]byte{guestGrant, owner.chain[0]}, guestKey}
	revoked := issue(wire.Ed25519, localauth.GrantSpec{Name: "rob", Role: wire.RoleResident, Devices: []string{"*"}})
	expired := issue(wire.P256, localauth.GrantSpec{Name: "eve", Role: wire.RoleGuest, Devices: []string{h.Door},
		IssuedAt: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)})
	lightOnly := issue(wire.Ed25519, localauth.GrantSpec{Name: "lou", Role: wire.RoleGuest, Devices: []string{h.Light}, NotAfter: now.Add(time.Hour)})

	info, err := localauth.ParseGrant(revoked.chain[0])
	if err != nil {
		t.Fatal(err)
	}
	rev, err := localauth.IssueRevocation(h.Authority, localauth.RevocationSpec{Site: h.Site, Serial: 1, GrantIDs: []string{info.ID.String()}, IssuedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Keeper.Import(rev); err != nil {
		t.Fatal(err)
	}
	stranger, _ := wire.GenerateKey(wire.P256)

	// proof answers a fresh challenge for (device, action) with key.
	proof := func(key crypto.Signer, device, action string) []byte {
		t.Helper()
		ch, err := tr.Challenge(device, action)
		if err != nil {
			t.Fatalf("challenge %s %s: %v", device, action, err)
		}
		p, err := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: device, Action: action})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	replayed := proof(owner.key, h.Door, "unlock")

	cases := []struct {
		name   string
		device string
		req    func() wire.ActionRequest
		want   localauth.Reason
		who    string
	}{
		{"owner, Ed25519", h.Door, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "unlock", Chain: owner.chain, Proof: proof(owner.key, h.Door, "unlock")}
		}, localauth.ReasonGranted, "olga"},
		{"resident, P-256", h.Door, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "unlock", Chain: resident.chain, Proof: proof(resident.key, h.Door, "unlock")}
		}, localauth.ReasonGranted, "rita"},
		{"delegated guest, P-256", h.Door, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "unlock", Chain: guest.chain, Proof: proof(guest.key, h.Door, "unlock")}
		}, localauth.ReasonGranted, "gwen"},
		{"replay, first answer", h.Door, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "unlock", Chain: owner.chain, Proof: replayed}
		}, localauth.ReasonGranted, "olga"},
		{"replay, same answer again", h.Door, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "unlock", Chain: owner.chain, Proof: replayed}
		}, localauth.ReasonNonceReplayed, ""},
		{"revoked", h.Door, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "unlock", Chain: revoked.chain, Proof: proof(revoked.key, h.Door, "unlock")}
		}, localauth.ReasonRevoked, "rob"},
		{"expired", h.Door, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "unlock", Chain: expired.chain, Proof: proof(expired.key, h.Door, "unlock")}
		}, localauth.ReasonExpired, "eve"},
		{"wrong device: a proof for the light sent to the door", h.Door, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "unlock", Chain: owner.chain, Proof: proof(owner.key, h.Light, "on")}
		}, localauth.ReasonChallengeMismatch, ""},
		{"device outside the grant", h.Door, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "unlock", Chain: lightOnly.chain, Proof: proof(lightOnly.key, h.Door, "unlock")}
		}, localauth.ReasonDeviceNotAllowed, "lou"},
		{"another key's proof", h.Door, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "unlock", Chain: resident.chain, Proof: proof(stranger, h.Door, "unlock")}
		}, localauth.ReasonBadProof, "rita"},
		{"guest delegation used on the light", h.Light, func() wire.ActionRequest {
			return wire.ActionRequest{Action: "on", Chain: guest.chain, Proof: proof(guest.key, h.Light, "on")}
		}, localauth.ReasonDeviceNotAllowed, "gwen"},
	}
	for _, c := range cases {
		// Lock and switch off first, so that a refusal that moved anything shows.
		if _, err := h.Devices.Do(h.Door, "lock", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Devices.Do(h.Light, "off", ""); err != nil {
			t.Fatal(err)
		}
		d, err := tr.Send(c.device, c.req())
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if d.Reason != c.want || d.Granted != (c.want == localauth.ReasonGranted) || d.Name != c.who {
			t.Errorf("%s: granted %v reason %q name %q, want %q %q", c.name, d.Granted, d.Reason, d.Name, c.want, c.who)
		}
		st, _ := h.Devices.Get(c.device)
		moved := st.State == "unlocked" || st.State == "on"
		if moved != d.Granted {
			t.Errorf("%s: granted %v but %s is %s", c.name, d.Granted, c.device, st.State)
		}
		if d.AuditSeq == 0 {
			t.Errorf("%s: no audit entry", c.name)
			continue
		}
		es, err := h.Keeper.AuditEntries(d.AuditSeq-1, 1)
		if err != nil || len(es) != 1 {
			t.Fatalf("%s: audit entry %d: %v", c.name, d.AuditSeq, err)
		}
		if e := es[0]; e.Transport != tr.Name() || e.Reason != string(c.want) || e.Device != c.device {
			t.Errorf("%s: audit entry %+v, want transport %q reason %q", c.name, e, tr.Name(), c.want)
		}
	}
	if _, err := h.Keeper.VerifyAudit(); err != nil {
		t.Errorf("audit chain after the table: %v", err)
	}
}
