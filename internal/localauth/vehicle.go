package localauth

import (
	"encoding/binary"
	"slices"
	"time"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// VehiclePolicy is what a car adds to Decide (docs/protocol.md, "Vehicle"):
// which devices are its doors, trunk, drive authorisation and charge port,
// how to read its state, and how recent the proofs behind a start must be.
// Start from DefaultVehiclePolicy.
type VehiclePolicy struct {
	Doors      []string // door devices and the central lock
	Trunk      string
	Drive      string
	ChargePort string
	// ProofWithin: drive authorisation needs a holder proof answering a
	// challenge issued at most this long ago (a relayed or hoarded proof
	// ages out).
	ProofWithin time.Duration
	// DoorFirst: drive authorisation also needs a door unlocked by the same
	// holder key within DoorWithin: the phone was at the car.
	DoorFirst  bool
	DoorWithin time.Duration
	// State reads the car (devices.Hub.Vehicle); required.
	State func() VehicleState
}

// DefaultVehiclePolicy: proofs within 30 s, a door unlocked by the same
// holder within 5 min before a start.
var DefaultVehiclePolicy = VehiclePolicy{ProofWithin: 30 * time.Second, DoorFirst: true, DoorWithin: 5 * time.Minute}

// VehicleState is the car as the policy sees it.
type VehicleState struct {
	Known    bool // false while the car's status is missing (CAN silent)
	Ignition bool
	Ajar     []string
}

// Vehicle reasons (step 6, after device and action).
const (
	// The role may not do this to a car whatever its grant lists: guests
	// open doors only, valets never the trunk, only owners, drivers and
	// valets drive.
	ReasonRoleNotAllowed Reason = "role_not_allowed"
	// Drive authorisation while the car's state is unknown.
	ReasonVehicleUnknown Reason = "vehicle_state_unknown"
	// The drive proof answers a challenge older than ProofWithin.
	ReasonStaleProof Reason = "stale_proof"
	// No door was unlocked by this holder within DoorWithin.
	ReasonNoDoorUnlock Reason = "no_door_unlock"
	// The drive value asks for more than the grant's drive window or
	// speed bound, or leaves a bound the grant sets unstated.
	ReasonDriveLimit Reason = "drive_limit"
)

// Vehicle action classes the policy tells apart.
const (
	vDoorLock     = "door lock"
	vDoorUnlock   = "door unlock"
	vTrunk        = "trunk release"
	vDrive        = "drive authorise"
	vRearm        = "drive rearm"
	vChargeLock   = "charge-port lock"
	vChargeUnlock = "charge-port unlock"
)

// vehicleClass names what action on device is, or "" when device is not
// part of the car.
func (p *VehiclePolicy) class(device, action string) string {
	kind := ""
	switch {
	case p == nil:
	case slices.Contains(p.Doors, device):
		kind = "door"
	case device == p.Trunk && p.Trunk != "":
		kind = "trunk"
	case device == p.Drive && p.Drive != "":
		kind = "drive"
	case device == p.ChargePort && p.ChargePort != "":
		kind = "charge-port"
	}
	if kind == "" {
		return ""
	}
	return kind + " " + action
}

// vehicleRule is the role and state part of the policy: who may do what
// to a car in which state. Grants still list devices and actions (checked
// before); this narrows them by role. Locking is never refused: it only
// makes the car safer. Unlocking doors is never refused for the car's
// state: nobody is locked out of their car by a silent bus.
func vehicleRule(role wire.Role, class string, st VehicleState) Reason {
	drives := role == wire.RoleOwner || role == wire.RoleDriver || role == wire.RoleValet
	switch class {
	case vDoorLock, vDoorUnlock, vChargeLock, vRearm:
		return ""
	case vTrunk:
		if role == wire.RoleOwner || role == wire.RoleDriver {
			return ""
		}
		return ReasonRoleNotAllowed
	case vChargeUnlock:
		if role == wire.RoleOwner || role == wire.RoleDriver {
			return ""
		}
		return ReasonRoleNotAllowed
	case vDrive:
		if !drives {
			return ReasonRoleNotAllowed
		}
		if !st.Known {
			return ReasonVehicleUnknown
		}
		return ""
	}
	// Another action on a car's device: the device refuses it.
	return ""
}

// driveLimitOK checks the value of a drive authorisation against the
// grant's bounds: a bound the grant sets must be stated and within it.
func driveLimitOK(g *wire.Grant, value string) bool {
	l, err := wire.ParseDriveLimit(value)
	if err != nil {
		return false
	}
	if g.DriveWindow > 0 && (l.Window == 0 || l.Window > time.Duration(g.DriveWindow)*time.Second) {
		return false
	}
	if g.MaxSpeed > 0 && (l.SpeedKMH == 0 || l.SpeedKMH > int(g.MaxSpeed)) {
		return false
	}
	return true
}

// checkVehicle is step 6's vehicle part for a verified chain. k.mu is not
// held.
func (k *Keeper) checkVehicle(c *chain, req Request, nonce []byte) Reason {
	p := k.opts.Vehicle
	class := p.class(req.Device, req.Action)
	if class == "" {
		return ""
	}
	var st VehicleState
	if class == vDrive {
		st = p.State()
	}
	for _, g := range c.grants() {
		if r := vehicleRule(g.Role, class, st); r != "" {
			return r
		}
	}
	if class != vDrive {
		return ""
	}
	for _, g := range c.grants() {
		if !driveLimitOK(g, req.Value) {
			return ReasonDriveLimit
		}
	}
	k.mu.Lock()
	now := time.Unix(0, k.nonceNowLocked())
	unlocked, ok := k.doorUnlocks[c.leafHolder]
	k.mu.Unlock()
	expires := time.Unix(0, int64(binary.BigEndian.Uint64(nonce[:8])))
	if now.Sub(expires.Add(-k.opts.ChallengeTTL)) > p.ProofWithin {
		return ReasonStaleProof
	}
	if p.DoorFirst && (!ok || now.Sub(unlocked) > p.DoorWithin) {
		return ReasonNoDoorUnlock
	}
	return ""
}

// maxDoorUnlocks bounds the holders remembered for DoorFirst; each entry is
// a granted, audited door unlock.
const maxDoorUnlocks = 1024

// noteDoorUnlock remembers a granted door unlock by the holder key, for
// DoorFirst. k.mu is held.
func (k *Keeper) noteDoorUnlock(d Decision, now time.Time) {
	p := k.opts.Vehicle
	if p == nil || !d.Granted || p.class(d.Device, d.Action) != vDoorUnlock {
		return
	}
	if k.doorUnlocks == nil {
		k.doorUnlocks = map[wire.ID]time.Time{}
	}
	if len(k.doorUnlocks) >= maxDoorUnlocks {
		for id, t := range k.doorUnlocks {
			if now.Sub(t) > p.DoorWithin {
				delete(k.doorUnlocks, id)
			}
		}
		if len(k.doorUnlocks) >= maxDoorUnlocks {
			clear(k.doorUnlocks) // a flood of audited unlocks: forget, never refuse a door
		}
	}
	k.doorUnlocks[d.KeyID] = now
}
