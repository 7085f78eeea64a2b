package ble

import (
	"context"
	"crypto"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/canbus"
	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// carConfig is deploy/vehicle/edgeagent.vehicle.toml with a slow status
// cycle, so that the fake clock can pass the drive window without the bus
// falling silent.
func carConfig(t testing.TB) *config.Config {
	t.Helper()
	const path = "../../deploy/vehicle/edgeagent.vehicle.toml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Site = testSite
	cfg.Vehicle.CAN.StatusPeriod = config.Duration(time.Hour)
	return cfg
}

// carEnv is the phone at the car with no network: the BLE server on the
// in-memory transport, a Keeper with the vehicle policy, the hub's CAN
// car on one end of a pipe and the simulated body controller on the other.
type carEnv struct {
	*env
	sim    *canbus.BodySim
	status chan struct{} // a status frame reached the hub
}

func newCarEnv(t testing.TB) *carEnv {
	t.Helper()
	cfg := carConfig(t)
	e := &carEnv{env: &env{t: t, clk: clocktest.New(time.Now().UTC().Truncate(time.Second))}, status: make(chan struct{}, 16)}
	k := cfg.Vehicle.CAN
	commands, status := k.CANSignals(cfg.Vehicle)
	dbcPath := k.DBCPath(cfg.File)
	data, err := os.ReadFile(dbcPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := canbus.Parse(dbcPath, data, commands, status)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	bus := canbus.New(a, db)
	if e.sim, err = canbus.NewBodySim(b, dbcPath, data, commands, status); err != nil {
		t.Fatal(err)
	}
	e.sim.Locks = map[string]string{"LockCmdFL": "LockedFL", "LockCmdFR": "LockedFR", "LockCmdRL": "LockedRL", "LockCmdRR": "LockedRR"}
	for _, s := range []string{"LockedFL", "LockedFR", "LockedRL", "LockedRR"} {
		e.sim.Set(s, 1)
	}
	dc := cfg.Devices()
	dc.Vehicle.Bus = bus
	hw := devices.NewSim(e.clk)
	if e.hub, err = devices.New(dc, devices.Options{Clock: e.clk, Pin: hw.Pin}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, _, err := store.Open(filepath.Join(dir, "state.db"), store.Options{Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secstate.Open(filepath.Join(dir, "security"))
	if err != nil {
		t.Fatal(err)
	}
	e.hub.Start(st, nil)
	if e.authority, err = wire.GenerateKey(wire.Ed25519); err != nil {
		t.Fatal(err)
	}
	policy := cfg.VehiclePolicy()
	policy.State = func() localauth.VehicleState {
		s, _ := e.hub.Vehicle()
		return localauth.VehicleState{Known: s.Known, Ignition: s.Ignition, Ajar: s.Ajar}
	}
	if e.keeper, err = localauth.New(localauth.Options{
		Site: testSite, Store: st, SecState: sec, Clock: e.clk, Vehicle: policy,
		Authorities: []crypto.PublicKey{e.authority.Public()}, NTPSynced: func() bool { return true },
	}); err != nil {
		t.Fatal(err)
	}
	if e.srv, err = NewServer(ServerOptions{Keeper: e.keeper, Hub: e.hub, Site: testSite, Limits: DefaultLimits, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
	go e.sim.ReadCommands()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		bus.Run(ctx, func(v map[string]float64) { e.hub.VehicleStatus(v); e.status <- struct{}{} })
	}()
	t.Cleanup(func() {
		cancel()
		b.Close()
		<-done
		if _, err := e.keeper.VerifyAudit(); err != nil {
			t.Errorf("audit chain: %v", err)
		}
		e.hub.Shutdown()
		e.keeper.Close()
		st.Close()
	})
	e.sendStatus()
	return e
}

// sendStatus sends one status frame and waits until the hub has it.
func (e *carEnv) sendStatus() {
	e.t.Helper()
	if err := e.sim.SendStatus(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	<-e.status
}

// act is the phone's whole exchange over BLE: challenge, proof, decision.
// It returns "" when granted and done, else the refusal's code.
func (e *carEnv) act(chain [][]byte, key crypto.Signer, device, action, value string) string {
	e.t.Helper()
	// A fresh connection each time: the hub may drop a phone after a
	// refusal, and a phone at a car reconnects.
	_, err := NewPhone(e.mustConnect(185)).Act(context.Background(), chain, key, device, action, value)
	var re *RefusedError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &re):
		return re.Code
	}
	e.t.Fatalf("%s %s: %v", device, action, err)
	return ""
}

// The phone at the car, no network anywhere: unlock the driver's door,
// authorise the drive, turn the ignition on, keep the authorisation past
// its window while the engine runs, turn the ignition off: re-armed.
func TestPhoneAtTheCar(t *testing.T) {
	e := newCarEnv(t)
	chain, key := e.grant(wire.P256, localauth.GrantSpec{Name: "ana", Role: wire.RoleDriver, Devices: []string{"*"}})

	if c := e.act(chain, key, "drive", "authorise", ""); c != "no_door_unlock" {
		t.Fatalf("drive before any door: %s", c)
	}
	_, seen := e.sim.Commands()
	if c := e.act(chain, key, "door-fl", "unlock", ""); c != "" {
		t.Fatalf("unlock: %s", c)
	}
	<-seen
	if e.sim.Get("LockedFL") != 0 || e.sim.Get("LockedFR") != 1 {
		t.Fatal("the body controller did not unlock the driver's door alone")
	}
	e.sendStatus()
	if e.state("door-fl") != "unlocked" {
		t.Fatalf("door-fl = %s after the status frame", e.state("door-fl"))
	}

	_, seen = e.sim.Commands()
	if c := e.act(chain, key, "drive", "authorise", ""); c != "" {
		t.Fatalf("authorise: %s", c)
	}
	<-seen
	if cmds, _ := e.sim.Commands(); cmds[len(cmds)-1]["DriveAllowed"] != 1 {
		t.Fatalf("last command %v, want DriveAllowed 1", cmds[len(cmds)-1])
	}
	e.sim.Set("Ignition", 1)
	e.sendStatus()
	e.clk.Advance(devices.DefaultVehicleOpts.DriveWindow + time.Minute)
	if e.state("drive") != "authorised" {
		t.Fatalf("drive = %s with the ignition on past the window, want authorised", e.state("drive"))
	}

	_, seen = e.sim.Commands()
	e.sim.Set("Ignition", 0)
	e.sendStatus()
	<-seen
	if cmds, _ := e.sim.Commands(); cmds[len(cmds)-1]["DriveAllowed"] != 0 {
		t.Fatalf("last command %v, want DriveAllowed 0 (re-armed)", cmds[len(cmds)-1])
	}
	if e.state("drive") != "armed" {
		t.Fatalf("drive = %s after ignition off", e.state("drive"))
	}
	// The next start needs a new proof (and the door is still fresh).
	if c := e.act(chain, key, "drive", "authorise", ""); c != "" {
		t.Fatalf("authorise again: %s", c)
	}
}

// A guest's phone opens the doors and cannot start the car; a silent bus
// refuses the drive and still opens the door.
func TestPhoneAtTheCarRefusals(t *testing.T) {
	e := newCarEnv(t)
	gc, gk := e.grant(wire.P256, localauth.GrantSpec{Name: "gus", Role: wire.RoleGuest, Devices: []string{"*"}})
	oc, ok := e.grant(wire.P256, localauth.GrantSpec{Name: "ana", Role: wire.RoleOwner, Devices: []string{"*"}})
	if c := e.act(gc, gk, "car", "unlock", ""); c != "" {
		t.Fatalf("guest unlock: %s", c)
	}
	if c := e.act(gc, gk, "drive", "authorise", ""); c != "role_not_allowed" {
		t.Fatalf("guest drive: %s", c)
	}
	if c := e.act(oc, ok, "door-fl", "unlock", ""); c != "" {
		t.Fatalf("owner unlock: %s", c)
	}
	// Four status periods without a frame: the bus is declared silent
	// half a period after the third missing frame was due.
	e.clk.Advance(4 * time.Hour)
	if c := e.act(oc, ok, "drive", "authorise", ""); c != "vehicle_state_unknown" {
		t.Fatalf("drive on a silent bus: %s", c)
	}
	if c := e.act(oc, ok, "door-fl", "unlock", ""); c != "" {
		t.Fatalf("unlock on a silent bus: %s", c)
	}
}
