package cloud

import (
	"crypto"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// TestVehicleRemoteCommandsOnTheRealHub: signed cloud commands against the
// devices hub of a car (GPIO retrofit, simulated pins, the store as its
// journal): central locking and a door lock remotely, each at most once
// (replayed → refused, after a restart too) and never after expiry; drive
// authorisation refused not_remote with the immobiliser untouched, and
// rearming carried out.
func TestVehicleRemoteCommandsOnTheRealHub(t *testing.T) {
	r := newRig(t)
	sim := devices.NewSim(r.clk)
	o := devices.DefaultVehicleOpts
	o.ID, o.Drive, o.Ignition, o.Trunk = "car", "drive", "ignition", "trunk"
	o.Doors = []devices.DoorOpts{{ID: "door-fl", Relay: "GPIO5"}, {ID: "door-fr", Relay: "GPIO13"}}
	o.DriveRelay, o.TrunkRelay, o.IgnitionPin = "GPIO17", "GPIO27", "GPIO26"
	opts := sim.Options()
	opts.Clock = r.clk
	hub, err := devices.New(devices.Config{Vehicle: &o}, opts)
	if err != nil {
		t.Fatal(err)
	}
	hub.Start(r.st, nil)
	t.Cleanup(hub.Shutdown)
	newService := func() {
		t.Helper()
		s, err := New(Options{Site: site, Store: r.st, Devices: hub, Keeper: r.keeper, Authorities: []crypto.PublicKey{r.auth.Public()},
			Link: mqttlink.Options{Broker: "tcp://127.0.0.1:1", ClientID: "test"}, Clock: r.clk, MaxCommandIDs: 16})
		if err != nil {
			t.Fatal(err)
		}
		r.s = s
	}
	newService()
	state := func(id string) string {
		for _, s := range hub.List() {
			if s.ID == id {
				return s.State
			}
		}
		return "missing"
	}
	drivePin, _ := sim.Pin("GPIO17")
	driveSafe := drivePin.Read()
	cmd := func(device, action string, edit func(c *wire.Command)) []byte {
		return r.command(func(c *wire.Command) {
			c.Device, c.Action = device, action
			if edit != nil {
				edit(c)
			}
		})
	}
	executed := func() []store.Event { return r.events(EventCommandExecuted) }
	refusals := func() []string {
		var out []string
		for _, e := range r.events(EventCommandRefused) {
			out = append(out, e.Data["device"].(string)+" "+e.Data["action"].(string)+": "+e.Data["reason"].(string))
		}
		return out
	}

	unlock := cmd("car", "unlock", nil)
	r.deliver(r.s.topics.Cmd, unlock)
	if state("car") != "unlocked" || state("door-fl") != "unlocked" {
		t.Fatalf("central unlock from the cloud: car %s, door-fl %s", state("car"), state("door-fl"))
	}
	r.deliver(r.s.topics.Cmd, cmd("door-fl", "lock", nil))
	r.deliver(r.s.topics.Cmd, cmd("car", "lock", nil))
	if state("car") != "locked" {
		t.Fatalf("central lock from the cloud: car %s", state("car"))
	}
	if evs := executed(); len(evs) != 3 {
		t.Fatalf("executed %d commands, want 3: %+v", len(evs), evs)
	}
	for _, e := range executed() {
		if e.Data["ok"] != true {
			t.Fatalf("a vehicle command failed on the hub: %+v", e.Data)
		}
	}

	// The unlock replayed (now and after a restart) and an expired one:
	// refused, the car stays locked.
	r.deliver(r.s.topics.Cmd, unlock)
	newService()
	r.deliver(r.s.topics.Cmd, unlock)
	r.deliver(r.s.topics.Cmd, cmd("door-fr", "unlock", func(c *wire.Command) {
		c.IssuedAt, c.ExpiresAt = t0.Add(-2*time.Minute).Unix(), t0.Add(-time.Minute).Unix()
	}))
	// Starting the car is not the cloud's to give, however well signed.
	r.deliver(r.s.topics.Cmd, cmd("drive", "authorise", nil))
	if state("car") != "locked" || state("drive") != "armed" || drivePin.Read() != driveSafe {
		t.Fatalf("after refused commands: car %s, drive %s, drive relay %v (safe %v)", state("car"), state("drive"), drivePin.Read(), driveSafe)
	}
	eq(t, "refusals", refusals(), []string{"car unlock: replayed", "car unlock: replayed", "door-fr unlock: expired", "drive authorise: not_remote"})

	// Rearming only moves towards safe: the cloud may.
	r.deliver(r.s.topics.Cmd, cmd("drive", "rearm", nil))
	if evs := executed(); len(evs) != 4 || evs[3].Data["device"] != "drive" || evs[3].Data["ok"] != true {
		t.Fatalf("drive rearm from the cloud: %+v", evs[len(evs)-1].Data)
	}
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s = %q, want %q", what, got, want)
		}
	}
}
