package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/edgeagent/edgeagent/internal/canbus"
	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
)

// vehicleLink is a CAN car's bus and, with --sim, the simulated body
// controller on the other end of it. Nil fields: no CAN car.
type vehicleLink struct {
	bus *canbus.Bus
	sim *canbus.BodySim
	log *slog.Logger
}

// openVehicle reads the DBC named by [vehicle.can] and opens the
// interface, or, with sim, a simulated body controller in the process. A
// DBC that lacks a configured signal stops the agent with an error naming
// the file and the signal: a car must never be driven by a guess.
func openVehicle(cfg *config.Config, sim bool, log *slog.Logger) (*vehicleLink, error) {
	v := &vehicleLink{log: log.With("part", "canbus")}
	if cfg.Vehicle == nil || cfg.Vehicle.CAN == nil {
		return v, nil
	}
	k := cfg.Vehicle.CAN
	commands, status := k.CANSignals(cfg.Vehicle)
	path := k.DBCPath(cfg.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vehicle.can.dbc: %w: %v", canbus.ErrDBC, err)
	}
	db, err := canbus.Parse(path, data, commands, status)
	if err != nil {
		return nil, fmt.Errorf("vehicle.can.dbc: %w", err)
	}
	if !sim {
		if v.bus, err = canbus.Dial(k.Interface, db); err != nil {
			return nil, fmt.Errorf("vehicle.can.interface: %w", err)
		}
		return v, nil
	}
	a, b := net.Pipe()
	v.bus = canbus.New(a, db)
	if v.sim, err = canbus.NewBodySim(b, path, data, commands, status); err != nil {
		return nil, err
	}
	v.sim.Locks = map[string]string{}
	for _, d := range cfg.Vehicle.Doors {
		v.sim.Locks[d.LockCommand] = d.LockStatus
		v.sim.Set(d.LockStatus, 1) // the simulated car starts locked
	}
	return v, nil
}

// hubBus is the devices.Bus, nil without a CAN car.
func (v *vehicleLink) hubBus() devices.Bus {
	if v.bus == nil {
		return nil
	}
	return v.bus
}

// services reads the bus into the hub (and runs the simulated controller).
func (v *vehicleLink) services(cfg *config.Config, hub *devices.Hub) []service {
	if v.bus == nil {
		return nil
	}
	s := []service{{name: "can bus", run: func(ctx context.Context) error { return v.bus.Run(ctx, hub.VehicleStatus) }}}
	if v.sim != nil {
		period := cfg.VehicleOpts().StatusPeriod
		s = append(s, service{name: "simulated body controller", run: func(ctx context.Context) error { return v.sim.Run(ctx, period) }})
	}
	return s
}

// vehiclePolicy is the car's policy for localauth, reading the hub.
func vehiclePolicy(cfg *config.Config, hub *devices.Hub) *localauth.VehiclePolicy {
	p := cfg.VehiclePolicy()
	if p == nil {
		return nil
	}
	p.State = func() localauth.VehicleState {
		s, _ := hub.Vehicle()
		return localauth.VehicleState{Known: s.Known, Ignition: s.Ignition, Ajar: s.Ajar}
	}
	return p
}
