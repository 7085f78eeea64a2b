package localauth

import (
	"crypto"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// car is a vehicle policy whose state the test sets.
type car struct {
	mu sync.Mutex
	st VehicleState
}

func (c *car) set(st VehicleState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st = st
}

func (c *car) state() VehicleState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

func newCarHarness(t *testing.T, mods ...func(*VehiclePolicy)) (*harness, *car) {
	c := &car{st: VehicleState{Known: true}}
	h := newHarness(t, func(o *Options) {
		p := DefaultVehiclePolicy
		p.Doors = []string{"car", "door-fl", "door-fr"}
		p.Trunk, p.Drive, p.ChargePort, p.State = "trunk", "drive", "charge", c.state
		for _, m := range mods {
			m(&p)
		}
		o.Vehicle = &p
	})
	return h, c
}

// carGrant is a grant for the whole car in role; a valet's carries a
// 10 min window and 40 km/h.
func (h *harness) carGrant(key crypto.Signer, role wire.Role) [][]byte {
	return [][]byte{h.issue(h.spec(key, func(s *GrantSpec) {
		s.Role, s.Devices, s.Name = role, []string{"*"}, string(role)
		if role == wire.RoleValet {
			s.DriveWindow, s.MaxSpeed = 10*time.Minute, 40
		}
	}))}
}

func (h *harness) tryValue(chain [][]byte, key crypto.Signer, device, action, value string) Decision {
	h.t.Helper()
	c := h.challenge(device, action)
	return h.decide(Request{Chain: chain, Proof: prove(h.t, key, c), Device: device, Action: action, Value: value})
}

// The policy table: every role × vehicle action × car state, through the
// whole Decide. Each drive attempt follows a door unlock by the same
// holder (DoorFirst), so that the row shows the role and state rule. A
// valet asks within its grant's bounds.
func TestVehiclePolicyTable(t *testing.T) {
	states := []struct {
		name string
		st   VehicleState
	}{
		{"ignition off", VehicleState{Known: true}},
		{"ignition on", VehicleState{Known: true, Ignition: true}},
		{"door ajar", VehicleState{Known: true, Ajar: []string{"door-fr"}}},
		{"state unknown", VehicleState{}},
	}
	const (
		G  = "granted granted granted granted"
		R  = "role_not_allowed role_not_allowed role_not_allowed role_not_allowed"
		DR = "granted granted granted vehicle_state_unknown"
	)
	table := []struct {
		role           wire.Role
		device, action string
		want           string // one reason per state, in states' order
	}{
		{wire.RoleOwner, "door-fl", "unlock", G}, {wire.RoleOwner, "door-fl", "lock", G}, {wire.RoleOwner, "car", "lock", G},
		{wire.RoleOwner, "trunk", "release", G}, {wire.RoleOwner, "drive", "authorise", DR}, {wire.RoleOwner, "drive", "rearm", G},
		{wire.RoleOwner, "charge", "unlock", G}, {wire.RoleOwner, "charge", "lock", G},

		{wire.RoleDriver, "door-fl", "unlock", G}, {wire.RoleDriver, "door-fl", "lock", G}, {wire.RoleDriver, "car", "lock", G},
		{wire.RoleDriver, "trunk", "release", G}, {wire.RoleDriver, "drive", "authorise", DR}, {wire.RoleDriver, "drive", "rearm", G},
		{wire.RoleDriver, "charge", "unlock", G}, {wire.RoleDriver, "charge", "lock", G},

		{wire.RoleValet, "door-fl", "unlock", G}, {wire.RoleValet, "door-fl", "lock", G}, {wire.RoleValet, "car", "lock", G},
		{wire.RoleValet, "trunk", "release", R}, {wire.RoleValet, "drive", "authorise", DR}, {wire.RoleValet, "drive", "rearm", G},
		{wire.RoleValet, "charge", "unlock", R}, {wire.RoleValet, "charge", "lock", G},

		{wire.RoleGuest, "door-fl", "unlock", G}, {wire.RoleGuest, "door-fl", "lock", G}, {wire.RoleGuest, "car", "lock", G},
		{wire.RoleGuest, "trunk", "release", R}, {wire.RoleGuest, "drive", "authorise", R}, {wire.RoleGuest, "drive", "rearm", G},
		{wire.RoleGuest, "charge", "unlock", R}, {wire.RoleGuest, "charge", "lock", G},

		// Home roles in a car: doors as their grant says, never drive.
		{wire.RoleResident, "door-fl", "unlock", G}, {wire.RoleResident, "trunk", "release", R},
		{wire.RoleResident, "drive", "authorise", R}, {wire.RoleService, "drive", "authorise", R},
		{wire.RoleService, "door-fl", "unlock", G}, {wire.RoleService, "charge", "unlock", R},
	}
	h, c := newCarHarness(t)
	for _, row := range table {
		key := h.key(wire.P256)
		chain := h.carGrant(key, row.role)
		want := strings.Fields(row.want)
		for i, s := range states {
			t.Run(fmt.Sprintf("%s %s %s %s", row.role, row.device, row.action, s.name), func(t *testing.T) {
				c.set(VehicleState{Known: true})
				if row.action == "authorise" {
					if d := h.try(chain, key, "door-fl", "unlock"); !d.Granted {
						t.Fatalf("door unlock before the drive: %s", d.Reason)
					}
				}
				c.set(s.st)
				value := ""
				if row.role == wire.RoleValet && row.action == "authorise" {
					value = "window=10m,speed=40"
				}
				d := h.tryValue(chain, key, row.device, row.action, value)
				if string(d.Reason) != want[i] {
					t.Errorf("reason %s, want %s", d.Reason, want[i])
				}
				if a := h.lastAudit(); a.Reason != string(d.Reason) || a.Device != row.device || a.Role != string(row.role) {
					t.Errorf("audit entry %+v does not record the decision", a)
				}
			})
		}
	}
}

func TestVehicleDriveNeedsTheSameHolderAtADoor(t *testing.T) {
	h, _ := newCarHarness(t)
	alice, bob := h.key(wire.P256), h.key(wire.Ed25519)
	ac, bc := h.carGrant(alice, wire.RoleDriver), h.carGrant(bob, wire.RoleDriver)

	if d := h.try(ac, alice, "drive", "authorise"); d.Reason != ReasonNoDoorUnlock {
		t.Fatalf("drive with no door unlocked: %s", d.Reason)
	}
	if d := h.try(bc, bob, "car", "unlock"); !d.Granted {
		t.Fatal(d.Reason)
	}
	// Bob at the door does not let Alice's phone (relayed from afar) start the car.
	if d := h.try(ac, alice, "drive", "authorise"); d.Reason != ReasonNoDoorUnlock {
		t.Fatalf("drive after another holder's unlock: %s", d.Reason)
	}
	if d := h.try(ac, alice, "door-fl", "unlock"); !d.Granted {
		t.Fatal(d.Reason)
	}
	h.clk.Advance(DefaultVehiclePolicy.DoorWithin)
	if d := h.try(ac, alice, "drive", "authorise"); !d.Granted {
		t.Fatalf("drive right at DoorWithin: %s", d.Reason)
	}
	h.clk.Advance(time.Second)
	if d := h.try(ac, alice, "drive", "authorise"); d.Reason != ReasonNoDoorUnlock {
		t.Fatalf("drive past DoorWithin: %s", d.Reason)
	}
	// A refused unlock does not count.
	h2, _ := newCarHarness(t)
	guest := h2.key(wire.P256)
	gc := [][]byte{h2.issue(h2.spec(guest, func(s *GrantSpec) { s.Role, s.Devices = wire.RoleDriver, []string{"drive"} }))}
	if d := h2.try(gc, guest, "door-fl", "unlock"); d.Granted {
		t.Fatal("unlock of a door outside the grant granted")
	}
	if d := h2.try(gc, guest, "drive", "authorise"); d.Reason != ReasonNoDoorUnlock {
		t.Fatalf("drive after a refused unlock: %s", d.Reason)
	}
}

// A proof answering a challenge older than ProofWithin cannot start the
// car, although the challenge itself is still live: a proof hoarded or
// relayed slowly ages out.
func TestVehicleDriveNeedsARecentProof(t *testing.T) {
	h, _ := newCarHarness(t, func(p *VehiclePolicy) { p.ProofWithin = 10 * time.Second })
	key := h.key(wire.P256)
	chain := h.carGrant(key, wire.RoleOwner)
	if d := h.try(chain, key, "door-fl", "unlock"); !d.Granted {
		t.Fatal(d.Reason)
	}
	c := h.challenge("drive", "authorise")
	proof := prove(t, key, c)
	h.clk.Advance(10*time.Second + time.Millisecond)
	if d := h.decide(Request{Chain: chain, Proof: proof, Device: "drive", Action: "authorise"}); d.Reason != ReasonStaleProof {
		t.Fatalf("a proof %s old: %s, want stale_proof", 10*time.Second+time.Millisecond, d.Reason)
	}
	if d := h.try(chain, key, "drive", "authorise"); !d.Granted {
		t.Fatalf("a fresh proof: %s", d.Reason)
	}
}

func TestVehicleValetLimits(t *testing.T) {
	h, _ := newCarHarness(t)
	key := h.key(wire.P256)
	chain := h.carGrant(key, wire.RoleValet)
	if d := h.try(chain, key, "door-fl", "unlock"); !d.Granted {
		t.Fatal(d.Reason)
	}
	for _, tc := range []struct{ value, want string }{
		{"", "drive_limit"},                    // the grant's bounds must be stated
		{"window=10m", "drive_limit"},          // speed unstated
		{"window=11m,speed=40", "drive_limit"}, // longer than the grant
		{"window=10m,speed=41", "drive_limit"}, // faster than the grant
		{"window=10m,speed=x", "drive_limit"},  // malformed
		{"window=5m,speed=30", "granted"},
		{"window=10m,speed=40", "granted"},
	} {
		if d := h.tryValue(chain, key, "drive", "authorise", tc.value); string(d.Reason) != tc.want {
			t.Errorf("valet %q: %s, want %s", tc.value, d.Reason, tc.want)
		}
	}
	// A valet grant without a window cannot even be issued.
	_, err := IssueGrant(h.authority, h.spec(key, func(s *GrantSpec) { s.Role = wire.RoleValet }))
	if err == nil || !strings.Contains(err.Error(), "valet grant must state its drive window") {
		t.Errorf("valet grant without a window: %v", err)
	}
}

func TestVehiclePolicyNeedsState(t *testing.T) {
	o := newHarness(t).options()
	o.Vehicle = &VehiclePolicy{Drive: "drive"}
	if _, err := New(o); err == nil || !strings.Contains(err.Error(), "vehicle policy without a way to read the car's state") {
		t.Fatalf("New with a vehicle policy and no State: %v", err)
	}
}
