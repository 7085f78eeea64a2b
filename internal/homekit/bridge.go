// Package homekit owns the hub's HomeKit bridge (Apple Home with no cloud):
// one HAP accessory per device (lock mechanism, switch or lightbulb,
// thermostat, window covering, contact and motion sensors) served on the
// LAN by github.com/brutella/hap, the devices' state pushed to paired
// controllers, and the bridge's pairing state: its long-term key pair, the
// controllers' pairings, its setup code and accessory ids (Store, in the
// security directory, so that a store recovery unpairs no one).
//
// Apple Home is a configured local principal (localauth.Principal,
// transport "homekit"): every write is decided by localauth against the
// devices and actions the config gives it, and audited like a person's,
// before any output moves; a refused write leaves the characteristic as
// it was.
package homekit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/brutella/hap"
	"github.com/brutella/hap/accessory"
	haplog "github.com/brutella/hap/log"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
)

// Devices is what the bridge needs of the device hub.
type Devices interface {
	Do(id, action, value string) (devices.State, error)
	List() []devices.State
}

// Decider is what the bridge needs of localauth: a principal's decision,
// recorded before it returns.
type Decider interface {
	DecidePrincipal(p localauth.Principal, device, action string) (localauth.Decision, error)
}

// Options configure a Bridge.
type Options struct {
	// Listen is the HAP server's address, IP:PORT (port 0: any).
	Listen string
	// Interfaces the bridge is announced on by mDNS (Bonjour), e.g.
	// ["eth0"]; empty: every interface with multicast.
	Interfaces []string
	// Name is the bridge's name in the Home app.
	Name string
	// Lights are the switch ids shown as lightbulbs (the others as switches).
	Lights []string
	// Principal is who the Home app's writes act as (Transport is set to
	// "homekit").
	Principal localauth.Principal
	Devices   Devices
	Decider   Decider
	// Store holds the pairing state (OpenStore).
	Store *Store
	// Version is the firmware revision shown in the Home app.
	Version string
	// Poll is how often the devices' state is read; default DefaultPoll.
	Poll time.Duration
	// OnCommand counts each write by result: granted, denied, failed.
	// Optional.
	OnCommand func(result string)
	Clock     clock.Clock  // default clock.Real{}
	Log       *slog.Logger // default: silent
}

// DefaultPoll is how often the bridge reads the devices' state.
const DefaultPoll = 500 * time.Millisecond

// Bridge is the HAP server and its accessories. Run it once.
type Bridge struct {
	o        Options
	srv      *hap.Server
	devs     []*device
	code     string
	setupID  string
	deviceID string

	// mu orders a write's decision, action and state copy against the poll's
	// copy, so that a poll read before a write never overwrites its result.
	mu sync.Mutex

	smu      sync.Mutex
	listenAt string // the address the server listens on, once it does
}

// New checks the options, loads or makes the setup code, and builds the
// accessories.
func New(o Options) (*Bridge, error) {
	if o.Listen == "" || o.Devices == nil || o.Decider == nil || o.Store == nil {
		return nil, fmt.Errorf("%w: listen, devices, decider and store are required", ErrBadOptions)
	}
	if o.Principal.Name == "" || !o.Principal.Role.Valid() {
		return nil, fmt.Errorf("%w: principal %q role %q", ErrBadOptions, o.Principal.Name, o.Principal.Role)
	}
	o.Principal.Transport = "homekit"
	if o.Name == "" {
		o.Name = "edgeagent"
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.OnCommand == nil {
		o.OnCommand = func(string) {}
	}
	quietHAP()
	b := &Bridge{o: o}
	var err error
	if b.code, err = b.keep(keySetupCode, NewSetupCode, ValidSetupCode); err != nil {
		return nil, err
	}
	if b.setupID, err = b.keep(keySetupID, newSetupID, func(s string) bool { return len(s) == 4 }); err != nil {
		return nil, err
	}
	list := o.Devices.List()
	ids := make([]string, len(list))
	for i, st := range list {
		ids[i] = st.ID
	}
	aids, err := o.Store.AIDs(ids)
	if err != nil {
		return nil, err
	}
	info := accessory.Info{Manufacturer: "edgeagent", Firmware: o.Version}
	var accs []*accessory.A
	for _, st := range list {
		if d := newDevice(st, aids[st.ID], isLight(o.Lights, st.ID), info, b.command); d != nil {
			b.devs = append(b.devs, d)
			accs = append(accs, d.acc)
		}
	}
	br := accessory.NewBridge(accessory.Info{Name: o.Name, Manufacturer: "edgeagent", Model: "edgeagent hub", SerialNumber: "bridge", Firmware: o.Version})
	br.Id = 1
	srv, err := hap.NewServer(o.Store, br.A, accs...)
	if err != nil {
		return nil, fmt.Errorf("homekit: %w", err)
	}
	srv.Pin, srv.SetupId, srv.Addr, srv.Ifaces = b.code, b.setupID, o.Listen, o.Interfaces
	b.srv = srv
	uuid, err := o.Store.Get("uuid") // made by hap.NewServer: the "id" controllers know the bridge by
	if err != nil {
		return nil, fmt.Errorf("homekit: %w", err)
	}
	b.deviceID = string(uuid)
	return b, nil
}

// keep returns the bridge's value under key, drawing and saving one first
// when there is none (or the one there is not valid).
func (b *Bridge) keep(key string, draw func() (string, error), valid func(string) bool) (string, error) {
	if v, err := b.o.Store.Get(key); err == nil && valid(string(v)) {
		return string(v), nil
	}
	v, err := draw()
	if err != nil {
		return "", err
	}
	if err := b.o.Store.Set(key, []byte(v)); err != nil {
		return "", err
	}
	return v, nil
}

// Status is the bridge's state for `edgeagent status` and `edgeagent
// homekit`. SetupCode and SetupURI let anyone who reads them pair while no
// controller is paired: show them to root and owners only.
type Status struct {
	Name        string `json:"name"`
	Listen      string `json:"listen"` // where it serves, once it does
	DeviceID    string `json:"device_id"`
	SetupCode   string `json:"setup_code"` // XXX-XX-XXX
	SetupURI    string `json:"setup_uri"`  // X-HM://, the QR code's payload
	Paired      bool   `json:"paired"`     // no new controller pairs with the code once one has
	Pairings    int    `json:"pairings"`
	Accessories int    `json:"accessories"`
}

// Status reports the bridge's state.
func (b *Bridge) Status() Status {
	b.smu.Lock()
	listen := b.listenAt
	b.smu.Unlock()
	st := b.o.Store.Stored()
	st.Name, st.Listen, st.Accessories = b.o.Name, listen, len(b.devs)
	return st
}

// Run serves HAP and copies the devices' state to the accessories until
// ctx ends. ready, when not nil, is closed once the server listens.
func (b *Bridge) Run(ctx context.Context, ready chan<- struct{}) error {
	done := make(chan error, 1)
	started := listening.expect()
	go func() { done <- b.srv.ListenAndServe(ctx) }()
	select {
	case addr := <-started:
		listening.release()
		b.smu.Lock()
		b.listenAt = addr
		b.smu.Unlock()
		b.o.Log.Info("homekit: serving", "listen", addr, "name", b.o.Name, "paired", b.o.Store.Pairings() > 0)
		if ready != nil {
			close(ready)
		}
	case err := <-done:
		listening.release()
		return fmt.Errorf("homekit: %s: %w", b.o.Listen, err)
	}
	for {
		tick := make(chan struct{})
		t := b.o.Clock.AfterFunc(b.o.Poll, func() { close(tick) })
		select {
		case <-ctx.Done():
			t.Stop()
			err := <-done // hap closes its listener and connections on ctx
			if err != nil && !errors.Is(err, io.EOF) && ctx.Err() == nil {
				return err
			}
			return ctx.Err()
		case err := <-done:
			t.Stop()
			return fmt.Errorf("homekit: server stopped: %w", err)
		case <-tick:
		}
		b.refresh()
	}
}

// refresh copies every device's state into its accessory.
func (b *Bridge) refresh() {
	b.mu.Lock()
	defer b.mu.Unlock()
	byID := map[string]devices.State{}
	for _, st := range b.o.Devices.List() {
		byID[st.ID] = st
	}
	for _, d := range b.devs {
		if st, ok := byID[d.id]; ok {
			d.set(st)
		}
	}
}

// command decides and carries out one write as the principal: the
// decision is recorded before anything moves. It returns a HAP status; a
// non-zero one leaves the characteristic's value as it was.
func (b *Bridge) command(dev, action, value string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, err := b.o.Decider.DecidePrincipal(b.o.Principal, dev, action)
	if err != nil {
		b.o.Log.Error("homekit: decision not recorded; nothing done", "device", dev, "action", action, "err", err)
		b.o.OnCommand("failed")
		return hap.JsonStatusServiceCommunicationFailure
	}
	if !d.Granted {
		b.o.Log.Info("homekit: refused", "device", dev, "action", action, "reason", d.Reason, "principal", d.Name, "audit", d.AuditSeq)
		b.o.OnCommand("denied")
		return hap.JsonStatusInsufficientPrivileges
	}
	if _, err := b.o.Devices.Do(dev, action, value); err != nil {
		b.o.Log.Warn("homekit: action failed", "device", dev, "action", action, "err", err)
		b.o.OnCommand("failed")
		return hap.JsonStatusServiceCommunicationFailure
	}
	b.o.OnCommand("granted")
	return 0
}

// hap logs through two package-level loggers: Info to stdout (the agent's
// log is slog on stderr), Debug nowhere. quietHAP silences Info and reads
// Debug for the one line that says the server listens ("listening at
// ADDR", after net.Listen and before Serve), since hap has no other way to
// tell; a connection made after it waits in the kernel's backlog.
func quietHAP() {
	quietOnce.Do(func() {
		haplog.Info.SetOutput(io.Discard)
		haplog.Debug.SetOutput(&listening)
		haplog.Debug.SetFlags(0)
	})
}

var quietOnce sync.Once

// listening carries hap's "listening at ADDR" to the one bridge starting:
// starts are serialised, so the line is that bridge's.
var listening listenWatch

type listenWatch struct {
	start sync.Mutex // held from expect to release
	mu    sync.Mutex
	ch    chan string
}

func (w *listenWatch) expect() <-chan string {
	w.start.Lock()
	ch := make(chan string, 1)
	w.mu.Lock()
	w.ch = ch
	w.mu.Unlock()
	return ch
}

func (w *listenWatch) release() {
	w.mu.Lock()
	w.ch = nil
	w.mu.Unlock()
	w.start.Unlock()
}

var listeningAt = []byte("listening at ")

// Write takes one log line of hap's Debug logger.
func (w *listenWatch) Write(p []byte) (int, error) {
	i := bytes.Index(p, listeningAt)
	if i < 0 {
		return len(p), nil
	}
	addr := string(bytes.TrimSpace(p[i+len(listeningAt):]))
	w.mu.Lock()
	if w.ch != nil {
		select {
		case w.ch <- addr:
		default:
		}
	}
	w.mu.Unlock()
	return len(p), nil
}
