package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/edgeagent/edgeagent/internal/ble"
	"github.com/edgeagent/edgeagent/internal/config"
)

// bleRunner is the agent's BLE service and why it is off.
type bleRunner struct {
	mu     sync.Mutex
	status ble.Status
	srv    *ble.Server
	run    func(ctx context.Context) error // nil when off
}

// Status is BLE's status for the admin socket.
func (r *bleRunner) Status() ble.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.status
	if r.srv != nil {
		s := r.srv.Status()
		s.Adapter, s.Name = st.Adapter, st.Name
		return s
	}
	return st
}

func (r *bleRunner) off(reason string) {
	r.mu.Lock()
	r.status = ble.Status{On: false, Reason: reason}
	r.mu.Unlock()
}

// newBLE builds the BLE peripheral from the config. When [ble] is off or
// there is no system bus, BlueZ or adapter, the runner runs nothing and its
// status says why: the agent serves everything else (principle 1).
func newBLE(p *parts) (*bleRunner, error) {
	r := &bleRunner{}
	c := p.cfg.BLE
	if !c.Enabled {
		r.off("off in the config ([ble] enabled = false)")
		return r, nil
	}
	srv, err := ble.NewServer(ble.ServerOptions{
		Keeper: p.keeper, Hub: p.hub, Site: p.cfg.Site, Log: p.log.With("part", "ble"),
		Limits: bleLimits(c),
	})
	if err != nil {
		return nil, err
	}
	bus, err := dbus.ConnectSystemBus()
	if err != nil {
		r.off(fmt.Sprintf("no D-Bus system bus: %v", err))
		p.log.Warn("ble: off", "reason", r.Status().Reason)
		return r, nil
	}
	adapter := orDefault(c.Adapter, "hci0")
	name := ble.AdvertisedName(orDefault(c.NamePrefix, "edgeagent"), p.cfg.Site)
	per, err := ble.StartPeripheral(context.Background(), ble.PeripheralOptions{Bus: bus, Adapter: adapter, Name: name, Server: srv, Log: p.log.With("part", "ble")})
	if err != nil {
		bus.Close()
		r.off(err.Error())
		p.log.Warn("ble: off", "reason", err)
		return r, nil
	}
	r.mu.Lock()
	r.srv, r.status = srv, ble.Status{On: true, Adapter: adapter, Name: name}
	r.run = func(ctx context.Context) error {
		defer bus.Close()
		err := per.Run(ctx)
		r.off("stopped")
		return err
	}
	r.mu.Unlock()
	p.log.Info("ble: advertising", "adapter", adapter, "name", name)
	return r, nil
}

// services is the peripheral, optional (a failure is logged; everything
// else goes on); none when BLE is off.
func (r *bleRunner) services() []service {
	if r.run == nil {
		return nil
	}
	return []service{{name: "ble", run: r.run, optional: true}}
}

func bleLimits(c config.BLE) ble.Limits {
	return ble.Limits{
		MaxConnections: c.MaxConnections, MaxFrame: c.MaxFrameBytes, FramesPerSecond: float64(c.FramesPerSecond),
		FragmentsPerSecond: float64(c.WritesPerSecond),
		IdleTimeout:        c.IdleTimeout.D(), FrameTimeout: c.FrameTimeout.D(),
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// cmdBLEPhone is `edgeagent ble-phone`: the phone's side of the BLE key
// path (challenge, proof, action) through this machine's BlueZ, for tests
// and for diagnosis in the field with a Linux laptop. It exits 1 when the
// hub refuses, with the reason.
func cmdBLEPhone(args []string, stdout io.Writer) error {
	fs := newFlagSet("ble-phone")
	grantFile := fs.String("grant", "", "the holder's signed grant FILE")
	ownerFile := fs.String("owner-grant", "", "for a delegated grant: the owner's signed grant FILE")
	keyFile := fs.String("key", "", "the holder's private key FILE (PKCS#8 PEM)")
	adapter := fs.String("adapter", "hci0", "this machine's BlueZ adapter")
	name := fs.String("name", "", "the hub's advertised name (default: the first hub offering the service)")
	site := fs.String("site", "", "the hub's site id, to find it by its advertised name (edgeagent-XXXXXXXX)")
	busAddr := fs.String("bus", "", "D-Bus address of BlueZ (default: the system bus; tests give their own bus with a fake BlueZ)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after")
	jsonOut := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	const use = "usage: edgeagent ble-phone --grant FILE [--owner-grant FILE] --key FILE [--adapter hciN] [--name NAME | --site ID] [--bus ADDRESS] DEVICE ACTION [VALUE]"
	if len(pos) < 2 || len(pos) > 3 {
		return usagef("%s", use)
	}
	if *grantFile == "" || *keyFile == "" {
		return usagef("ble-phone needs --grant and --key\n%s", use)
	}
	if *site != "" && *name == "" {
		*name = ble.AdvertisedName("edgeagent", *site)
	}
	device, action, value := pos[0], pos[1], ""
	if len(pos) == 3 {
		value = pos[2]
	}
	chain, key, err := loadHolder(*grantFile, *ownerFile, *keyFile)
	if err != nil {
		return err
	}
	var bus *dbus.Conn
	if *busAddr != "" {
		bus, err = dbus.Connect(*busAddr)
	} else {
		bus, err = dbus.ConnectSystemBus()
	}
	if err != nil {
		return fmt.Errorf("D-Bus: %w (is BlueZ running? systemctl status bluetooth)", err)
	}
	defer bus.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c, err := ble.DialCentral(ctx, ble.CentralOptions{Bus: bus, Adapter: *adapter, Name: *name})
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := ble.NewPhone(c).Act(ctx, chain, key, device, action, value)
	var refused *ble.RefusedError
	if errors.As(err, &refused) && res.Error != nil {
		return fmt.Errorf("%s %s refused: %s: %s (audit entry %d)", device, action, refused.Code, refused.Message, res.Decision.AuditSeq)
	}
	if err != nil {
		return err
	}
	if *jsonOut {
		return printJSON(stdout, res)
	}
	d := res.Decision
	fmt.Fprintf(stdout, "%s: %s %s\n", res.State.ID, res.State.State, attrs(*res.State))
	fmt.Fprintf(stdout, "granted to %s (%s) over BLE, audit entry %d\n", d.Name, d.Role, d.AuditSeq)
	return nil
}
