package ble

import (
	"context"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/edgeagent/edgeagent/internal/ble/bluetest"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// The agent's real BlueZ code over a real D-Bus (a dbus-daemon of the
// test's own) against the fake BlueZ, with ble.Central as the phone: what
// `edgeagent ble-phone` runs.
type busEnv struct {
	*env
	addr string
	fake *bluetest.BlueZ
	p    *Peripheral
	name string
}

func newBusEnv(t *testing.T, lim Limits) *busEnv {
	addr := bluetest.Daemon(t)
	b := &busEnv{env: newEnv(t, lim), addr: addr, fake: bluetest.Start(t, addr)}
	ctx, cancel := context.WithTimeout(context.Background(), bluetest.Timeout)
	defer cancel()
	var err error
	b.p, err = StartPeripheral(ctx, PeripheralOptions{Bus: bluetest.Dial(t, addr), Adapter: "hci0", Name: AdvertisedName("edgeagent", testSite), Server: b.srv})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.p.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if b.name, err = b.fake.WaitRegistered(ctx); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *busEnv) central(mtu int) *Central {
	b.t.Helper()
	adapter := b.fake.AddPhone(mtu)
	ctx, cancel := context.WithTimeout(context.Background(), bluetest.Timeout)
	defer cancel()
	c, err := DialCentral(ctx, CentralOptions{Bus: bluetest.Dial(b.t, b.addr), Adapter: adapter, Name: b.name})
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(c.Close)
	return c
}

func (b *busEnv) conn(n int) *Conn {
	b.p.mu.Lock()
	defer b.p.mu.Unlock()
	return b.p.conns[dbus.ObjectPath("/org/bluez/hci0/dev_0A_00_00_00_00_0"+string(rune('0'+n)))]
}

func timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), bluetest.Timeout)
}

func TestBlueZUnlock(t *testing.T) {
	b := newBusEnv(t, Limits{})
	if want := AdvertisedName("edgeagent", testSite); b.name != want {
		t.Errorf("advertised %q, want %q", b.name, want)
	}
	chain, key := b.grant(wire.P256, localauth.GrantSpec{Name: "ann", Role: wire.RoleResident, Devices: []string{"*"}})
	for _, mtu := range []int{23, 247} {
		ctx, cancel := timeout()
		p := NewPhone(b.central(mtu))
		d, err := p.Act(ctx, chain, key, "door", "unlock", "")
		cancel()
		if err != nil || !d.Decision.Granted || b.state("door") != "unlocked" {
			t.Fatalf("MTU %d over D-Bus: %+v %v", mtu, d, err)
		}
		es, _ := b.keeper.AuditEntries(d.Decision.AuditSeq-1, 1)
		if len(es) != 1 || es[0].Transport != localauth.TransportBLE {
			t.Errorf("audit entry %+v, want transport ble", es)
		}
		b.hub.Do("door", "lock", "")
	}
	// Every write went without response on the socket the hub gave
	// BlueZ (AcquireWrite), none as a D-Bus call.
	if w := b.fake.Writes(); w.DBus != 0 || w.Socket == 0 || w.Command != w.Socket {
		t.Errorf("writes %+v, want all without response on the acquired socket", w)
	}
	if got := strings.Join(b.fake.Calls(), ","); got != "RegisterApplication,RegisterAdvertisement" {
		t.Errorf("BlueZ calls %s", got)
	}
}

// Over the limit on connections, BlueZ is asked to drop the extra central;
// a central that goes out of range mid-frame frees its slot and leaves no
// half frame behind.
func TestBlueZConnectionLimitAndDrop(t *testing.T) {
	b := newBusEnv(t, Limits{MaxConnections: 1})
	chain, key := b.grant(wire.Ed25519, localauth.GrantSpec{Name: "ann", Role: wire.RoleResident, Devices: []string{"*"}})
	c1 := b.central(23)
	c2 := b.central(23)
	ctx, cancel := timeout()
	defer cancel()
	p1 := NewPhone(c1)
	ch, err := p1.Challenge(ctx, "door", "unlock", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPhone(c2).Challenge(ctx, "door", "unlock", nil); err == nil {
		t.Fatal("a second central served over the limit of 1")
	}
	select { // the agent asked BlueZ to disconnect it: its link went down
	case _, open := <-c2.Notifications():
		for open {
			_, open = <-c2.Notifications()
		}
	case <-ctx.Done():
		t.Fatal("the extra central was not disconnected")
	}

	proof, _ := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: "door", Action: "unlock"})
	f, _ := EncodeFrame(TypeAction, 5, "door", wire.ActionRequest{Action: "unlock", Chain: chain, Proof: proof})
	frags := Split(f, WriteChunk(23))
	for _, x := range frags[:3] {
		if err := c1.Write(x); err != nil {
			t.Fatal(err)
		}
	}
	conn := b.conn(1)
	b.fake.Drop(1)
	select {
	case <-conn.Done():
	case <-ctx.Done():
		t.Fatal("the agent kept a connection whose central went away")
	}
	if b.state("door") != "locked" || b.srv.Counters().Decisions != 0 {
		t.Fatal("half a frame decided something")
	}
	// Back in range: a new connection; the rest of the old frame is not
	// a frame to it, and the hub drops it.
	if err := c1.bus.Object(bluezBus, c1.dev).Call(ifaceDevice+".Connect", 0).Err; err != nil {
		t.Fatal(err)
	}
	down := b.fake.Disconnected(1)
	if err := c1.Write(frags[3]); err != nil {
		t.Fatal(err) // a write without response: the hub's answer is to drop the link
	}
	select {
	case <-down:
	case <-ctx.Done():
		t.Fatal("the tail of a dropped connection's frame was accepted as a new frame")
	}
	if b.state("door") != "locked" || b.srv.Counters().Decisions != 0 {
		t.Fatal("the tail of a frame decided something")
	}
}
