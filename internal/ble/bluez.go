package ble

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// The GATT service's UUIDs (docs/protocol.md). Random (version 4), fixed
// for good: phones look for the service by them.
const (
	ServiceUUID  = "6e0a7c52-5b1f-4d8e-9c3a-2f7d1e40b001"
	RequestUUID  = "6e0a7c52-5b1f-4d8e-9c3a-2f7d1e40b002" // write
	ResponseUUID = "6e0a7c52-5b1f-4d8e-9c3a-2f7d1e40b003" // notify
)

// BlueZ's D-Bus names (doc/org.bluez.*.rst in BlueZ).
const (
	bluezBus       = "org.bluez"
	ifaceAdapter   = "org.bluez.Adapter1"
	ifaceDevice    = "org.bluez.Device1"
	ifaceGattMgr   = "org.bluez.GattManager1"
	ifaceAdvMgr    = "org.bluez.LEAdvertisingManager1"
	ifaceService   = "org.bluez.GattService1"
	ifaceChar      = "org.bluez.GattCharacteristic1"
	ifaceAdv       = "org.bluez.LEAdvertisement1"
	ifaceObjMgr    = "org.freedesktop.DBus.ObjectManager"
	ifaceProps     = "org.freedesktop.DBus.Properties"
	appPath        = dbus.ObjectPath("/io/edgeagent/ble")
	servicePath    = appPath + "/service0"
	requestPath    = servicePath + "/char0"
	responsePath   = servicePath + "/char1"
	advertPath     = appPath + "/advert0"
	callTimeout    = 5 * time.Second // every call to BlueZ is bounded
	errNotAllowed  = "org.bluez.Error.NotPermitted"
	errFailed      = "org.bluez.Error.Failed"
	errInvalidArgs = "org.bluez.Error.InvalidArguments"
)

// PeripheralOptions configure a Peripheral.
type PeripheralOptions struct {
	Bus     *dbus.Conn // the system bus (or a test's private bus); required
	Adapter string     // e.g. "hci0"; required
	Name    string     // the advertised local name (AdvertisedName); required
	Server  *Server    // required
	Log     *slog.Logger
}

// Peripheral is the hub's GATT server over BlueZ: it exports the
// application (service, request and response characteristics) and the
// advertisement on the bus, registers them with the adapter, and turns
// BlueZ's WriteValue calls into Server connections.
type Peripheral struct {
	o     PeripheralOptions
	log   *slog.Logger
	props *prop.Properties // the response characteristic's: Value changes are the notifications

	mu    sync.Mutex
	conns map[dbus.ObjectPath]*Conn
}

// StartPeripheral checks that BlueZ and the adapter are there, exports
// the objects and registers them. ErrNoBlueZ when there is no BlueZ or no
// such adapter: the caller runs without BLE.
func StartPeripheral(ctx context.Context, o PeripheralOptions) (*Peripheral, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	p := &Peripheral{o: o, log: o.Log, conns: map[dbus.ObjectPath]*Conn{}}
	adapter := p.adapterPath()
	var powered dbus.Variant
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := o.Bus.Object(bluezBus, adapter).CallWithContext(cctx, ifaceProps+".Get", 0, ifaceAdapter, "Powered").Store(&powered); err != nil {
		return nil, fmt.Errorf("%w: adapter %s: %v", ErrNoBlueZ, o.Adapter, err)
	}
	if on, _ := powered.Value().(bool); !on {
		return nil, fmt.Errorf("%w: adapter %s is powered off (bluetoothctl power on)", ErrNoBlueZ, o.Adapter)
	}
	if err := p.export(); err != nil {
		return nil, err
	}
	// Disconnections: BlueZ sets Device1.Connected false.
	if err := o.Bus.AddMatchSignalContext(cctx, dbus.WithMatchInterface(ifaceProps), dbus.WithMatchMember("PropertiesChanged"),
		dbus.WithMatchPathNamespace(adapter), dbus.WithMatchArg(0, ifaceDevice)); err != nil {
		return nil, fmt.Errorf("ble: watching disconnections: %w", err)
	}
	if err := o.Bus.Object(bluezBus, adapter).CallWithContext(cctx, ifaceGattMgr+".RegisterApplication", 0, appPath, map[string]dbus.Variant{}).Err; err != nil {
		p.unexport()
		return nil, fmt.Errorf("ble: registering the GATT application with %s: %w", o.Adapter, err)
	}
	if err := o.Bus.Object(bluezBus, adapter).CallWithContext(cctx, ifaceAdvMgr+".RegisterAdvertisement", 0, advertPath, map[string]dbus.Variant{}).Err; err != nil {
		p.stop()
		return nil, fmt.Errorf("ble: registering the advertisement with %s: %w", o.Adapter, err)
	}
	return p, nil
}

func (p *Peripheral) adapterPath() dbus.ObjectPath {
	return dbus.ObjectPath("/org/bluez/" + p.o.Adapter)
}

// Run serves until ctx ends, then unregisters (each call bounded).
func (p *Peripheral) Run(ctx context.Context) error {
	sig := make(chan *dbus.Signal, 16)
	p.o.Bus.Signal(sig)
	defer p.o.Bus.RemoveSignal(sig)
	for {
		select {
		case <-ctx.Done():
			p.stop()
			return nil
		case s, ok := <-sig:
			if !ok {
				return errors.New("ble: the D-Bus connection closed")
			}
			p.signal(s)
		}
	}
}

// signal handles a Device1 PropertiesChanged: Connected false ends that
// central's connection.
func (p *Peripheral) signal(s *dbus.Signal) {
	if s.Name != ifaceProps+".PropertiesChanged" || len(s.Body) < 2 {
		return
	}
	if iface, _ := s.Body[0].(string); iface != ifaceDevice {
		return
	}
	changed, _ := s.Body[1].(map[string]dbus.Variant)
	if v, ok := changed["Connected"]; ok {
		if up, _ := v.Value().(bool); !up {
			p.mu.Lock()
			c := p.conns[s.Path]
			delete(p.conns, s.Path)
			p.mu.Unlock()
			if c != nil {
				c.Close()
			}
		}
	}
}

func (p *Peripheral) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	a := p.o.Bus.Object(bluezBus, p.adapterPath())
	if err := a.CallWithContext(ctx, ifaceAdvMgr+".UnregisterAdvertisement", 0, advertPath).Err; err != nil {
		p.log.Warn("ble: unregistering the advertisement", "err", err)
	}
	if err := a.CallWithContext(ctx, ifaceGattMgr+".UnregisterApplication", 0, appPath).Err; err != nil {
		p.log.Warn("ble: unregistering the GATT application", "err", err)
	}
	p.mu.Lock()
	conns := p.conns
	p.conns = map[dbus.ObjectPath]*Conn{}
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	p.unexport()
}

// The exported objects. Methods of these types are D-Bus methods.
type (
	objectManager struct{ p *Peripheral }
	requestChar   struct{ p *Peripheral }
	responseChar  struct{ p *Peripheral }
	advertisement struct{}
)

func (p *Peripheral) managed() map[dbus.ObjectPath]map[string]map[string]dbus.Variant {
	v := dbus.MakeVariant
	return map[dbus.ObjectPath]map[string]map[string]dbus.Variant{
		servicePath: {ifaceService: {"UUID": v(ServiceUUID), "Primary": v(true)}},
		requestPath: {ifaceChar: {"UUID": v(RequestUUID), "Service": v(servicePath), "Flags": v(requestFlags), "WriteAcquired": v(false)}},
		responsePath: {ifaceChar: {"UUID": v(ResponseUUID), "Service": v(servicePath), "Flags": v([]string{"notify"}),
			"Value": v(p.props.GetMust(ifaceChar, "Value"))}},
	}
}

func (o objectManager) GetManagedObjects() (map[dbus.ObjectPath]map[string]map[string]dbus.Variant, *dbus.Error) {
	return o.p.managed(), nil
}

// requestFlags: a phone writes without response (ATT Write Command), so
// that a frame of several fragments costs no round trip per fragment; with
// response still works. The WriteAcquired property beside them tells
// BlueZ that the hub takes writes on a socket (AcquireWrite): over D-Bus,
// godbus runs every method call on its own goroutine, so unacknowledged
// writes could be handled out of order; on the socket they arrive in the
// order they came over the air.
var requestFlags = []string{"write", "write-without-response"}

// AcquireWrite is BlueZ asking for a socket to carry a central's writes,
// on its first write on a connection (doc/org.bluez.GattCharacteristic.rst:
// the server returns the fd and an MTU no larger than the negotiated one).
// The hub keeps one end of a SOCK_SEQPACKET pair, one packet per ATT write,
// in order; BlueZ shuts its end when the central disconnects.
func (r requestChar) AcquireWrite(opts map[string]dbus.Variant) (dbus.UnixFD, uint16, *dbus.Error) {
	dev, _ := opts["device"].Value().(dbus.ObjectPath)
	if dev == "" {
		return 0, 0, dbus.NewError(errInvalidArgs, []any{"no device"})
	}
	mtu, _ := opts["mtu"].Value().(uint16)
	if mtu == 0 {
		mtu = MinMTU
	}
	fd, err := r.p.acquire(dev, int(mtu))
	if err != nil {
		return 0, 0, dbus.NewError(errNotAllowed, []any{err.Error()})
	}
	return dbus.UnixFD(fd), mtu, nil
}

// acquire opens a connection for dev fed by a socket and returns the end
// for BlueZ. godbus sends the reply, and so the fd, after AcquireWrite
// returns: the hub closes its copy of BlueZ's end once the first packet
// proves BlueZ holds it (BlueZ acquires on a write and sends that write at
// once); after that, BlueZ closing its end is the end of the stream.
func (p *Peripheral) acquire(dev dbus.ObjectPath, mtu int) (int, error) {
	ours, theirs, err := seqpacketPair()
	if err != nil {
		return 0, fmt.Errorf("ble: a socket for %s: %w", dev, err)
	}
	p.mu.Lock()
	old := p.conns[dev]
	delete(p.conns, dev)
	p.mu.Unlock()
	if old != nil {
		old.Close() // BlueZ acquires again only after dropping the old socket
	}
	c, err := p.open(dev, mtu)
	if err != nil {
		ours.Close()
		theirs.Close()
		return 0, err
	}
	go func() { // the socket lives as long as the connection
		<-c.Done()
		ours.Close()
	}()
	fd := int(theirs.Fd()) // before readSocket may close it
	go p.readSocket(dev, c, ours, theirs)
	return fd, nil
}

// readSocket feeds a central's writes from its socket to its connection
// until either ends.
func (p *Peripheral) readSocket(dev dbus.ObjectPath, c *Conn, sock net.Conn, theirs *os.File) {
	held := false // BlueZ is known to hold its end
	defer func() {
		if !held {
			// The connection ended before any write: the reply carrying the
			// fd may not be sent yet, and closing now could let godbus pass
			// a reused fd number. It goes out microseconds after AcquireWrite
			// returns; close well after.
			p.o.Server.clk.AfterFunc(callTimeout, func() { theirs.Close() })
		}
		c.Close()
		p.mu.Lock()
		if p.conns[dev] == c {
			delete(p.conns, dev)
		}
		p.mu.Unlock()
	}()
	buf := make([]byte, MaxMTU)
	for {
		n, err := sock.Read(buf)
		if err != nil {
			return // the central went away, or the connection ended
		}
		if !held {
			held = true
			theirs.Close()
		}
		if c.Receive(buf[:n]) != nil {
			return // dropped: the link asked BlueZ to disconnect the central
		}
	}
}

// open accepts a central as a connection of the Server; over the limit it
// asks BlueZ to drop the central.
func (p *Peripheral) open(dev dbus.ObjectPath, mtu int) (*Conn, error) {
	c, err := p.o.Server.Open(&bluezLink{p: p, dev: dev}, string(dev), mtu)
	if err != nil {
		go p.disconnect(dev)
		return nil, err
	}
	p.mu.Lock()
	p.conns[dev] = c
	p.mu.Unlock()
	return c, nil
}

// WriteValue is a central's write over D-Bus: one fragment, when BlueZ
// does not use AcquireWrite (an old BlueZ). Only plain writes at offset 0
// (no long writes: fragments are ours to make).
func (r requestChar) WriteValue(value []byte, opts map[string]dbus.Variant) *dbus.Error {
	dev, _ := opts["device"].Value().(dbus.ObjectPath)
	if dev == "" {
		return dbus.NewError(errInvalidArgs, []any{"no device"})
	}
	if off, _ := opts["offset"].Value().(uint16); off != 0 {
		return dbus.NewError(errNotAllowed, []any{"long writes are not used by this protocol"})
	}
	mtu, _ := opts["mtu"].Value().(uint16)
	return r.p.write(dev, int(mtu), value)
}

func (p *Peripheral) write(dev dbus.ObjectPath, mtu int, value []byte) *dbus.Error {
	if mtu == 0 {
		mtu = MinMTU // an old BlueZ that does not say: the safe size
	}
	p.mu.Lock()
	c := p.conns[dev]
	p.mu.Unlock()
	if c == nil {
		var err error
		if c, err = p.open(dev, mtu); err != nil {
			return dbus.NewError(errNotAllowed, []any{err.Error()})
		}
	}
	c.SetMTU(mtu)
	if err := c.Receive(value); err != nil {
		return dbus.NewError(errFailed, []any{err.Error()})
	}
	return nil
}

// disconnect asks BlueZ to drop a central.
func (p *Peripheral) disconnect(dev dbus.ObjectPath) {
	p.mu.Lock()
	delete(p.conns, dev)
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := p.o.Bus.Object(bluezBus, dev).CallWithContext(ctx, ifaceDevice+".Disconnect", 0).Err; err != nil {
		p.log.Warn("ble: disconnecting a central", "device", dev, "err", err)
	}
}

func (responseChar) StartNotify() *dbus.Error { return nil }
func (responseChar) StopNotify() *dbus.Error  { return nil }
func (advertisement) Release() *dbus.Error    { return nil }

// bluezLink is one central as the Server sees it.
type bluezLink struct {
	p   *Peripheral
	dev dbus.ObjectPath
}

// Notify sets the response characteristic's Value: BlueZ notifies every
// central that subscribed (it has no per-central notification), hence the
// request id on every fragment.
func (l *bluezLink) Notify(f []byte) error {
	if err := l.p.props.Set(ifaceChar, "Value", dbus.MakeVariant(f)); err != nil {
		return err // not a nil *dbus.Error in a non-nil error
	}
	return nil
}

func (l *bluezLink) Close() { go l.p.disconnect(l.dev) }

func (p *Peripheral) export() error {
	b := p.o.Bus
	props, err := prop.Export(b, responsePath, prop.Map{ifaceChar: {
		"UUID":    {Value: ResponseUUID, Emit: prop.EmitConst},
		"Service": {Value: servicePath, Emit: prop.EmitConst},
		"Flags":   {Value: []string{"notify"}, Emit: prop.EmitConst},
		"Value":   {Value: []byte{}, Writable: true, Emit: prop.EmitTrue},
	}})
	if err != nil {
		return fmt.Errorf("ble: exporting: %w", err)
	}
	p.props = props
	v := func(x any) *prop.Prop { return &prop.Prop{Value: x, Emit: prop.EmitConst} }
	for _, e := range []struct {
		obj   any
		path  dbus.ObjectPath
		iface string
		props prop.Map
	}{
		{objectManager{p}, appPath, ifaceObjMgr, nil},
		{nil, servicePath, "", prop.Map{ifaceService: {"UUID": v(ServiceUUID), "Primary": v(true)}}},
		{requestChar{p}, requestPath, ifaceChar, prop.Map{ifaceChar: {
			"UUID": v(RequestUUID), "Service": v(servicePath), "Flags": v(requestFlags), "WriteAcquired": v(false),
		}}},
		{responseChar{p}, responsePath, ifaceChar, nil},
		{advertisement{}, advertPath, ifaceAdv, prop.Map{ifaceAdv: {
			"Type": v("peripheral"), "ServiceUUIDs": v([]string{ServiceUUID}), "LocalName": v(p.o.Name),
		}}},
	} {
		if e.obj != nil {
			if err := b.Export(e.obj, e.path, e.iface); err != nil {
				return fmt.Errorf("ble: exporting %s: %w", e.path, err)
			}
		}
		if e.props != nil {
			if _, err := prop.Export(b, e.path, e.props); err != nil {
				return fmt.Errorf("ble: exporting %s: %w", e.path, err)
			}
		}
	}
	return nil
}

func (p *Peripheral) unexport() {
	for _, path := range []dbus.ObjectPath{appPath, servicePath, requestPath, responsePath, advertPath} {
		for _, iface := range []string{ifaceObjMgr, ifaceChar, ifaceAdv, ifaceProps} {
			p.o.Bus.Export(nil, path, iface)
		}
	}
}

// AdvertisedName is the local name the hub advertises: prefix, a dash and
// 8 hex digits of SHA-256 over the site id. A phone that knows its site
// finds its hub by it; a passer-by learns neither the site id nor an
// address from it (it is stable, so it does tell the same hub seen twice).
func AdvertisedName(prefix, site string) string {
	h := sha256.Sum256([]byte("edgeagent ble name\x00" + site))
	return prefix + "-" + hex.EncodeToString(h[:4])
}

// seqpacketPair returns a connected AF_UNIX SOCK_SEQPACKET pair: the hub's
// end as a net.Conn (reads return one packet each, and unblock on Close),
// BlueZ's end as a file to pass over D-Bus.
func seqpacketPair() (net.Conn, *os.File, error) {
	syscall.ForkLock.RLock() // no child inherits the fds between socketpair and CloseOnExec
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, err
	}
	f := os.NewFile(uintptr(fds[0]), "ble-write")
	ours, err := net.FileConn(f) // a dup, in the runtime's poller
	f.Close()
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, err
	}
	return ours, os.NewFile(uintptr(fds[1]), "ble-write-bluez"), nil
}
