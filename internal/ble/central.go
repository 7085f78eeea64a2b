package ble

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// Central is a CentralLink over BlueZ's client API: what `edgeagent
// ble-phone` runs on a Linux laptop to act as a phone, and what the tests
// run against the fake BlueZ (bluetest). It finds the hub by its service
// UUID (and name, when given), connects, subscribes to the response
// characteristic and writes the request characteristic.
type Central struct {
	bus      *dbus.Conn
	dev      dbus.ObjectPath
	req, rsp dbus.ObjectPath
	mtu      int
	command  bool // the hub's request characteristic takes writes without response
	notes    chan []byte
	sig      chan *dbus.Signal
	done     chan struct{}
	once     sync.Once
}

// CentralOptions configure DialCentral.
type CentralOptions struct {
	Bus     *dbus.Conn
	Adapter string // default hci0
	Name    string // the hub's advertised name; "" for the first hub offering the service
}

type managedObjects = map[dbus.ObjectPath]map[string]map[string]dbus.Variant

// DialCentral connects to the hub. The hub must be known to BlueZ already
// (seen in a scan: `bluetoothctl scan le`), or appear while ctx lasts
// after DialCentral starts a discovery.
func DialCentral(ctx context.Context, o CentralOptions) (*Central, error) {
	if o.Adapter == "" {
		o.Adapter = "hci0"
	}
	c := &Central{bus: o.Bus, notes: make(chan []byte, 256), sig: make(chan *dbus.Signal, 256), done: make(chan struct{})}
	root := o.Bus.Object(bluezBus, "/")
	adapter := dbus.ObjectPath("/org/bluez/" + o.Adapter)
	if err := o.Bus.AddMatchSignalContext(ctx, dbus.WithMatchInterface(ifaceObjMgr), dbus.WithMatchMember("InterfacesAdded")); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoBlueZ, err)
	}
	o.Bus.Signal(c.sig)
	find := func() (managedObjects, error) {
		var objs managedObjects
		if err := root.CallWithContext(ctx, ifaceObjMgr+".GetManagedObjects", 0).Store(&objs); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoBlueZ, err)
		}
		for path, ifs := range objs {
			d, ok := ifs[ifaceDevice]
			if !ok || !strings.HasPrefix(string(path), string(adapter)+"/") {
				continue
			}
			uuids, _ := d["UUIDs"].Value().([]string)
			name, _ := d["Name"].Value().(string)
			if containsFold(uuids, ServiceUUID) && (o.Name == "" || name == o.Name) {
				c.dev = path
				return objs, nil
			}
		}
		return objs, nil
	}
	if _, err := find(); err != nil {
		c.Close()
		return nil, err
	}
	if c.dev == "" {
		if err := o.Bus.Object(bluezBus, adapter).CallWithContext(ctx, ifaceAdapter+".StartDiscovery", 0).Err; err != nil {
			c.Close()
			return nil, fmt.Errorf("ble: scanning on %s: %w", o.Adapter, err)
		}
		for c.dev == "" {
			select {
			case <-ctx.Done():
				c.Close()
				return nil, fmt.Errorf("ble: no hub offering the edgeagent service found on %s: %w", o.Adapter, ctx.Err())
			case <-c.sig:
				if _, err := find(); err != nil {
					c.Close()
					return nil, err
				}
			}
		}
		o.Bus.Object(bluezBus, adapter).CallWithContext(ctx, ifaceAdapter+".StopDiscovery", 0)
	}
	dev := o.Bus.Object(bluezBus, c.dev)
	if err := dev.CallWithContext(ctx, ifaceDevice+".Connect", 0).Err; err != nil {
		c.Close()
		return nil, fmt.Errorf("ble: connecting to %s: %w", c.dev, err)
	}
	objs, err := find()
	if err != nil {
		c.Close()
		return nil, err
	}
	for path, ifs := range objs {
		ch, ok := ifs[ifaceChar]
		if !ok || !strings.HasPrefix(string(path), string(c.dev)+"/") {
			continue
		}
		switch u, _ := ch["UUID"].Value().(string); strings.ToLower(u) {
		case RequestUUID:
			c.req = path
			if m, ok := ch["MTU"].Value().(uint16); ok {
				c.mtu = int(m)
			}
			flags, _ := ch["Flags"].Value().([]string)
			c.command = containsFold(flags, "write-without-response")
		case ResponseUUID:
			c.rsp = path
		}
	}
	if c.req == "" || c.rsp == "" {
		c.Close()
		return nil, fmt.Errorf("ble: %s has no edgeagent request and response characteristics (services not resolved yet?)", c.dev)
	}
	if err := o.Bus.AddMatchSignalContext(ctx, dbus.WithMatchInterface(ifaceProps), dbus.WithMatchMember("PropertiesChanged"),
		dbus.WithMatchObjectPath(c.rsp)); err != nil {
		c.Close()
		return nil, err
	}
	if err := o.Bus.AddMatchSignalContext(ctx, dbus.WithMatchInterface(ifaceProps), dbus.WithMatchMember("PropertiesChanged"),
		dbus.WithMatchObjectPath(c.dev)); err != nil {
		c.Close()
		return nil, err
	}
	if err := o.Bus.Object(bluezBus, c.rsp).CallWithContext(ctx, ifaceChar+".StartNotify", 0).Err; err != nil {
		c.Close()
		return nil, fmt.Errorf("ble: subscribing to %s: %w", c.rsp, err)
	}
	go c.pump()
	return c, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// pump turns Value changes into notifications until the hub disconnects
// or Close.
func (c *Central) pump() {
	defer close(c.notes)
	for {
		select {
		case <-c.done:
			return
		case s, ok := <-c.sig:
			if !ok || s.Name != ifaceProps+".PropertiesChanged" || len(s.Body) < 2 {
				if !ok {
					return
				}
				continue
			}
			changed, _ := s.Body[1].(map[string]dbus.Variant)
			switch s.Path {
			case c.rsp:
				if v, ok := changed["Value"].Value().([]byte); ok {
					select {
					case c.notes <- v:
					case <-c.done:
						return
					}
				}
			case c.dev:
				if up, ok := changed["Connected"].Value().(bool); ok && !up {
					return
				}
			}
		}
	}
}

// Write writes one fragment: without response (an ATT Write Command) when
// the hub offers it, else a write request. One call at a time, so BlueZ
// sends them in order; a command's call returns once BlueZ has queued it,
// with no round trip to the hub.
func (c *Central) Write(f []byte) error {
	typ := "request"
	if c.command {
		typ = "command"
	}
	err := c.bus.Object(bluezBus, c.req).Call(ifaceChar+".WriteValue", 0, f, map[string]dbus.Variant{"type": dbus.MakeVariant(typ)}).Err
	var de dbus.Error
	if errors.As(err, &de) {
		return fmt.Errorf("ble: the hub refused a write: %s %v", de.Name, de.Body)
	}
	return err
}

// WithResponse reports whether each write waits for the hub's ATT response.
func (c *Central) WithResponse() bool { return !c.command }

// Notifications delivers the response characteristic's notifications.
func (c *Central) Notifications() <-chan []byte { return c.notes }

// MTU is the negotiated ATT MTU (BlueZ's MTU property; 23 when it has none).
func (c *Central) MTU() int { return max(c.mtu, MinMTU) }

// Close unsubscribes and disconnects.
func (c *Central) Close() {
	c.once.Do(func() {
		close(c.done)
		c.bus.RemoveSignal(c.sig)
		if c.dev != "" {
			c.bus.Object(bluezBus, c.dev).Call(ifaceDevice+".Disconnect", 0)
		}
	})
}
