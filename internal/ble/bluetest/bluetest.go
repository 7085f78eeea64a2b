// Package bluetest runs a fake BlueZ on a private D-Bus (a dbus-daemon the
// test starts) so that the agent's real BlueZ code runs in tests on a
// machine without Bluetooth. The fake owns org.bluez and serves both sides
// of a link, as two machines' BlueZ would: the hub's adapter hci0
// (Adapter1, GattManager1, LEAdvertisingManager1; it reads the registered
// application and advertisement back from the agent, as BlueZ does), and
// one adapter per simulated phone (hci1, hci2, ...) under which the hub
// appears as a remote device with its GATT service and characteristics,
// for a central (ble.Central) to use. A phone's write is forwarded to the
// agent's request characteristic with the phone's device path and MTU;
// the agent's notifications are forwarded to every phone that subscribed
// (BlueZ notifies all subscribers).
package bluetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// Names this fake shares with BlueZ and the agent.
const (
	ifaceAdapter = "org.bluez.Adapter1"
	ifaceDevice  = "org.bluez.Device1"
	ifaceGattMgr = "org.bluez.GattManager1"
	ifaceAdvMgr  = "org.bluez.LEAdvertisingManager1"
	ifaceService = "org.bluez.GattService1"
	ifaceChar    = "org.bluez.GattCharacteristic1"
	ifaceObjMgr  = "org.freedesktop.DBus.ObjectManager"
	ifaceProps   = "org.freedesktop.DBus.Properties"
	hubAdapter   = dbus.ObjectPath("/org/bluez/hci0")
)

// Daemon starts a dbus-daemon on a private socket for the test and
// returns its address; it is killed at cleanup. Without dbus-daemon the
// test fails under CI=true and is skipped otherwise.
func Daemon(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		const msg = "dbus-daemon is not installed (apt-get install dbus; see scripts/system-packages.txt)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "--session", "--nofork", "--print-address", "--address=unix:path="+dir+"/bus")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// The first line is the address, printed once the bus listens.
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// Dial connects to the bus at addr, closed at cleanup.
func Dial(t testing.TB, addr string) *dbus.Conn {
	t.Helper()
	c, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// BlueZ is the fake.
type BlueZ struct {
	t    testing.TB
	conn *dbus.Conn

	mu      sync.Mutex
	objects map[dbus.ObjectPath]map[string]map[string]dbus.Variant // GetManagedObjects
	props   map[dbus.ObjectPath]*prop.Properties
	app     app
	ready   chan struct{} // closed when the application and advertisement are registered
	phones  []*phone
	calls   []string // the hub-side methods called, in order
	writes  Writes
}

// Writes counts the phones' writes by how they reached the agent.
type Writes struct {
	Socket  int // as packets on a socket the agent gave by AcquireWrite
	DBus    int // as WriteValue calls to the agent
	Command int // of them, writes without response
}

type app struct {
	sender             string
	appPath, advPath   dbus.ObjectPath
	reqPath, rspPath   dbus.ObjectPath
	name               string
	serviceUUID        string
	reqUUID, rspUUID   string
	reqFlags           []string
	acquire            bool // the request characteristic has WriteAcquired: the agent takes writes on a socket
	registered, advert bool
}

type phone struct {
	b         *BlueZ
	n         int
	mtu       uint16
	adapter   dbus.ObjectPath // hciN
	hub       dbus.ObjectPath // the hub as phone n sees it
	req, rsp  dbus.ObjectPath
	self      dbus.ObjectPath // phone n as the hub sees it
	connected bool
	notifying bool
	down      chan struct{} // closed when the link goes down

	wmu  sync.Mutex // one write at a time, in order, as BlueZ's ATT queue
	sock *os.File   // the agent's socket for this phone's writes, once acquired
}

// Start serves a fake BlueZ with a powered hub adapter hci0 on the bus at
// addr.
func Start(t testing.TB, addr string) *BlueZ {
	t.Helper()
	b := &BlueZ{t: t, conn: Dial(t, addr), objects: map[dbus.ObjectPath]map[string]map[string]dbus.Variant{},
		props: map[dbus.ObjectPath]*prop.Properties{}, ready: make(chan struct{})}
	reply, err := b.conn.RequestName("org.bluez", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning org.bluez: %v %v", reply, err)
	}
	b.must(b.conn.Export(root{b}, "/", ifaceObjMgr))
	b.must(b.conn.Export(hubManager{b}, hubAdapter, ifaceGattMgr))
	b.must(b.conn.Export(hubManager{b}, hubAdapter, ifaceAdvMgr))
	b.addObject(hubAdapter, ifaceAdapter, map[string]any{"Powered": true, "Address": "00:00:00:00:00:00"}, nil)
	b.must(b.conn.AddMatchSignal(dbus.WithMatchInterface(ifaceProps), dbus.WithMatchMember("PropertiesChanged")))
	sig := make(chan *dbus.Signal, 1024)
	b.conn.Signal(sig)
	go b.forward(sig)
	return b
}

func (b *BlueZ) must(err error) {
	if err != nil {
		b.t.Fatal(err)
	}
}

// addObject exports properties (and optionally methods) at path and lists
// it in GetManagedObjects.
func (b *BlueZ) addObject(path dbus.ObjectPath, iface string, props map[string]any, methods any) {
	m := prop.Map{iface: {}}
	vs := map[string]dbus.Variant{}
	for k, v := range props {
		m[iface][k] = &prop.Prop{Value: v, Writable: true, Emit: prop.EmitTrue}
		vs[k] = dbus.MakeVariant(v)
	}
	p, err := prop.Export(b.conn, path, m)
	b.must(err)
	if methods != nil {
		b.must(b.conn.Export(methods, path, iface))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.props[path] = p
	if b.objects[path] == nil {
		b.objects[path] = map[string]map[string]dbus.Variant{}
	}
	b.objects[path][iface] = vs
}

// setProp changes a property, emitting PropertiesChanged as BlueZ does.
func (b *BlueZ) setProp(path dbus.ObjectPath, iface, name string, v any) {
	b.mu.Lock()
	p := b.props[path]
	b.objects[path][iface][name] = dbus.MakeVariant(v)
	b.mu.Unlock()
	if err := p.Set(iface, name, dbus.MakeVariant(v)); err != nil {
		b.t.Errorf("fake BlueZ: setting %s.%s: %v", path, name, err)
	}
}

type root struct{ b *BlueZ }

func (r root) GetManagedObjects() (map[dbus.ObjectPath]map[string]map[string]dbus.Variant, *dbus.Error) {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	out := map[dbus.ObjectPath]map[string]map[string]dbus.Variant{}
	for p, ifs := range r.b.objects {
		out[p] = map[string]map[string]dbus.Variant{}
		for i, ps := range ifs {
			out[p][i] = map[string]dbus.Variant{}
			for k, v := range ps {
				out[p][i][k] = v
			}
		}
	}
	return out, nil
}

type hubManager struct{ b *BlueZ }

// RegisterApplication reads the application's objects back, as BlueZ
// does, and keeps the service with its two characteristics.
func (h hubManager) RegisterApplication(msg dbus.Message, path dbus.ObjectPath, _ map[string]dbus.Variant) *dbus.Error {
	b := h.b
	sender := msg.Headers[dbus.FieldSender].Value().(string)
	var objs map[dbus.ObjectPath]map[string]map[string]dbus.Variant
	if err := b.conn.Object(sender, path).Call(ifaceObjMgr+".GetManagedObjects", 0).Store(&objs); err != nil {
		return dbus.NewError("org.bluez.Error.Failed", []any{"reading the application: " + err.Error()})
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, "RegisterApplication")
	a := &b.app
	a.sender, a.appPath = sender, path
	for p, ifs := range objs {
		if s, ok := ifs[ifaceService]; ok {
			a.serviceUUID, _ = s["UUID"].Value().(string)
		}
		if c, ok := ifs[ifaceChar]; ok {
			flags, _ := c["Flags"].Value().([]string)
			u, _ := c["UUID"].Value().(string)
			switch {
			case contains(flags, "write"):
				a.reqPath, a.reqUUID, a.reqFlags = p, u, flags
				_, a.acquire = c["WriteAcquired"]
			case contains(flags, "notify"):
				a.rspPath, a.rspUUID = p, u
			}
		}
	}
	if a.serviceUUID == "" || a.reqPath == "" || a.rspPath == "" {
		return dbus.NewError("org.bluez.Error.InvalidArguments", []any{"no service with a write and a notify characteristic"})
	}
	a.registered = true
	b.readyLocked()
	return nil
}

func (h hubManager) UnregisterApplication(path dbus.ObjectPath) *dbus.Error {
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	h.b.calls = append(h.b.calls, "UnregisterApplication")
	h.b.app.registered = false
	return nil
}

// RegisterAdvertisement reads the advertisement's properties back.
func (h hubManager) RegisterAdvertisement(msg dbus.Message, path dbus.ObjectPath, _ map[string]dbus.Variant) *dbus.Error {
	b := h.b
	sender := msg.Headers[dbus.FieldSender].Value().(string)
	var ps map[string]dbus.Variant
	if err := b.conn.Object(sender, path).Call(ifaceProps+".GetAll", 0, "org.bluez.LEAdvertisement1").Store(&ps); err != nil {
		return dbus.NewError("org.bluez.Error.Failed", []any{"reading the advertisement: " + err.Error()})
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, "RegisterAdvertisement")
	b.app.advPath = path
	b.app.name, _ = ps["LocalName"].Value().(string)
	b.app.advert = true
	b.readyLocked()
	return nil
}

func (h hubManager) UnregisterAdvertisement(path dbus.ObjectPath) *dbus.Error {
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	h.b.calls = append(h.b.calls, "UnregisterAdvertisement")
	h.b.app.advert = false
	return nil
}

func (b *BlueZ) readyLocked() {
	if b.app.registered && b.app.advert {
		select {
		case <-b.ready:
		default:
			close(b.ready)
		}
	}
}

// WaitRegistered waits until the agent registered its application and
// advertisement, and returns the advertised name.
func (b *BlueZ) WaitRegistered(ctx context.Context) (string, error) {
	select {
	case <-b.ready:
	case <-ctx.Done():
		return "", fmt.Errorf("the agent registered nothing with the fake BlueZ: %w", ctx.Err())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.app.name, nil
}

// Calls lists the hub-side BlueZ methods the agent called, in order.
func (b *BlueZ) Calls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.calls...)
}

// AddPhone adds a phone in range of the hub with its own adapter (hci1,
// hci2, ...), on which the hub appears as a remote device offering the
// registered service; links are at mtu. It returns the phone's adapter
// name, for ble.CentralOptions. Call after WaitRegistered.
func (b *BlueZ) AddPhone(mtu int) string {
	b.mu.Lock()
	n := len(b.phones) + 1
	ph := &phone{b: b, n: n, mtu: uint16(mtu), adapter: dbus.ObjectPath(fmt.Sprintf("/org/bluez/hci%d", n))}
	ph.hub = ph.adapter + "/dev_0E_DE_A6_E0_00_01"
	ph.req, ph.rsp = ph.hub+"/service0010/char0011", ph.hub+"/service0010/char0013"
	ph.self = hubAdapter + dbus.ObjectPath(fmt.Sprintf("/dev_0A_00_00_00_00_%02X", n))
	b.phones = append(b.phones, ph)
	a := b.app
	b.mu.Unlock()

	b.addObject(ph.adapter, ifaceAdapter, map[string]any{"Powered": true}, phoneAdapter{})
	b.addObject(ph.hub, ifaceDevice, map[string]any{"Name": a.name, "UUIDs": []string{a.serviceUUID}, "Connected": false}, hubDevice{ph})
	b.addObject(ph.hub+"/service0010", ifaceService, map[string]any{"UUID": a.serviceUUID, "Primary": true, "Device": ph.hub}, nil)
	b.addObject(ph.req, ifaceChar, map[string]any{"UUID": a.reqUUID, "Flags": a.reqFlags, "MTU": uint16(mtu)}, remoteReq{ph})
	b.addObject(ph.rsp, ifaceChar, map[string]any{"UUID": a.rspUUID, "Flags": []string{"notify"}, "Value": []byte{}, "Notifying": false}, remoteRsp{ph})
	b.addObject(ph.self, ifaceDevice, map[string]any{"Connected": false}, phoneDevice{ph})
	return strings.TrimPrefix(string(ph.adapter), "/org/bluez/")
}

func (ph *phone) setConnected(up bool) {
	ph.b.mu.Lock()
	was := ph.connected
	ph.connected = up
	switch {
	case up && !was:
		ph.down = make(chan struct{})
	case !up && was:
		ph.notifying = false
		close(ph.down)
	}
	ph.b.mu.Unlock()
	if !up {
		// BlueZ shuts the acquired socket when the link goes (att_disconnect_cb).
		ph.wmu.Lock()
		if ph.sock != nil {
			ph.sock.Close()
			ph.sock = nil
		}
		ph.wmu.Unlock()
	}
	if was != up {
		ph.b.setProp(ph.self, ifaceDevice, "Connected", up)
		ph.b.setProp(ph.hub, ifaceDevice, "Connected", up)
	}
}

// Drop takes phone n (1, 2, ...) out of range: both sides see the link go.
func (b *BlueZ) Drop(n int) {
	b.mu.Lock()
	ph := b.phones[n-1]
	b.mu.Unlock()
	ph.setConnected(false)
}

// Disconnected is closed when phone n's link, as it is now, goes down
// (at once when it is down).
func (b *BlueZ) Disconnected(n int) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	ph := b.phones[n-1]
	if !ph.connected {
		c := make(chan struct{})
		close(c)
		return c
	}
	return ph.down
}

// Connected reports whether phone n's link is up.
func (b *BlueZ) Connected(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.phones[n-1].connected
}

type phoneAdapter struct{}

func (phoneAdapter) StartDiscovery() *dbus.Error { return nil }
func (phoneAdapter) StopDiscovery() *dbus.Error  { return nil }

type hubDevice struct{ ph *phone }

func (d hubDevice) Connect() *dbus.Error    { d.ph.setConnected(true); return nil }
func (d hubDevice) Disconnect() *dbus.Error { d.ph.setConnected(false); return nil }

// phoneDevice is the phone as the hub sees it: the agent drops it.
type phoneDevice struct{ ph *phone }

func (d phoneDevice) Disconnect() *dbus.Error { d.ph.setConnected(false); return nil }

type remoteReq struct{ ph *phone }

// WriteValue forwards a phone's write to the agent as BlueZ does
// (src/gatt-database.c): when the agent's characteristic has WriteAcquired,
// the first write of a connection calls the agent's AcquireWrite and every
// write goes as one packet on the socket it returns, acknowledged once
// sent; else each write is a WriteValue call to the agent. A write request
// gets the agent's error; a write without response (type "command") never
// does, as over the air.
func (r remoteReq) WriteValue(value []byte, opts map[string]dbus.Variant) *dbus.Error {
	ph := r.ph
	b := ph.b
	typ, _ := opts["type"].Value().(string)
	if typ == "" {
		typ = "request"
	}
	ph.wmu.Lock()
	defer ph.wmu.Unlock()
	b.mu.Lock()
	up, a := ph.connected, b.app
	if typ == "command" {
		b.writes.Command++
	}
	b.mu.Unlock()
	if !up {
		return dbus.NewError("org.bluez.Error.NotConnected", []any{"not connected"})
	}
	if len(value) > int(ph.mtu)-3 {
		return dbus.NewError("org.bluez.Error.InvalidValueLength", []any{"longer than the MTU"})
	}
	answer := func(err *dbus.Error) *dbus.Error {
		if typ == "command" {
			return nil
		}
		return err
	}
	opt := map[string]dbus.Variant{"device": dbus.MakeVariant(ph.self), "mtu": dbus.MakeVariant(ph.mtu), "link": dbus.MakeVariant("LE")}
	if a.acquire {
		if ph.sock == nil {
			var fd dbus.UnixFD
			var mtu uint16
			if err := b.conn.Object(a.sender, a.reqPath).Call(ifaceChar+".AcquireWrite", 0, opt).Store(&fd, &mtu); err != nil {
				return answer(asDBusError(err))
			}
			if mtu == 0 || mtu > ph.mtu {
				b.t.Errorf("fake BlueZ: AcquireWrite returned MTU %d, the link's is %d", mtu, ph.mtu)
			}
			ph.sock = os.NewFile(uintptr(fd), "acquired-write")
		}
		if _, err := ph.sock.Write(value); err != nil {
			return answer(dbus.NewError("org.bluez.Error.Failed", []any{err.Error()}))
		}
		b.mu.Lock()
		b.writes.Socket++
		b.mu.Unlock()
		return nil
	}
	opt["type"] = dbus.MakeVariant(typ)
	b.mu.Lock()
	b.writes.DBus++
	b.mu.Unlock()
	return answer(asDBusError(b.conn.Object(a.sender, a.reqPath).Call(ifaceChar+".WriteValue", 0, value, opt).Err))
}

func asDBusError(err error) *dbus.Error {
	if err == nil {
		return nil
	}
	if de, ok := err.(dbus.Error); ok {
		return &de
	}
	return dbus.NewError("org.bluez.Error.Failed", []any{err.Error()})
}

// Writes reports how the phones' writes reached the agent.
func (b *BlueZ) Writes() Writes {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes
}

type remoteRsp struct{ ph *phone }

func (r remoteRsp) StartNotify() *dbus.Error {
	b := r.ph.b
	b.mu.Lock()
	r.ph.notifying = true
	a := b.app
	b.mu.Unlock()
	// BlueZ enables the agent's characteristic on the first subscriber.
	b.conn.Object(a.sender, a.rspPath).Go(ifaceChar+".StartNotify", 0, nil)
	return nil
}

func (r remoteRsp) StopNotify() *dbus.Error {
	r.ph.b.mu.Lock()
	r.ph.notifying = false
	r.ph.b.mu.Unlock()
	return nil
}

// forward copies the agent's response Value changes to every connected
// phone that subscribed, in order.
func (b *BlueZ) forward(sig chan *dbus.Signal) {
	for s := range sig {
		b.mu.Lock()
		a := b.app
		var to []*phone
		for _, ph := range b.phones {
			if ph.connected && ph.notifying {
				to = append(to, ph)
			}
		}
		b.mu.Unlock()
		if s.Sender != a.sender || s.Path != a.rspPath || len(s.Body) < 2 {
			continue
		}
		changed, _ := s.Body[1].(map[string]dbus.Variant)
		v, ok := changed["Value"].Value().([]byte)
		if !ok {
			continue
		}
		for _, ph := range to {
			b.conn.Emit(ph.rsp, ifaceProps+".PropertiesChanged", ifaceChar, map[string]dbus.Variant{"Value": dbus.MakeVariant(v)}, []string{})
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Timeout bounds a test's waits on the bus.
const Timeout = 10 * time.Second
