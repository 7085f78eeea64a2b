package ble

import (
	"context"
	"testing"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/localauth/keypathtest"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// The same table as the LAN's TestLANKeyPathTable, over BLE frames at the
// smallest and a common MTU: one table, two transports.
func TestBLEKeyPathTable(t *testing.T) {
	for _, mtu := range []int{23, 247} {
		e := newEnv(t, Limits{FramesPerSecond: 1000})
		keypathtest.Run(t, keypathtest.Hub{
			Site: testSite, Authority: e.authority, Keeper: e.keeper, Clock: e.clk, Devices: e.hub, Door: "door", Light: "light",
		}, bleTransport{NewPhone(e.mustConnect(mtu))})
	}
}

// A whole unlock at every MTU a phone negotiates: the frames are split to
// the MTU both ways, reassembled, and the door opens.
func TestBLEFragmentation(t *testing.T) {
	for _, mtu := range []int{23, 185, 247, 517} {
		e := newEnv(t, Limits{})
		chain, key := e.grant(wire.P256, localauth.GrantSpec{Name: "ann", Role: wire.RoleResident, Devices: []string{"*"}})
		l := e.mustConnect(mtu)
		p := NewPhone(l)
		d, err := p.Act(context.Background(), chain, key, "door", "unlock", "")
		if err != nil || !d.Decision.Granted || d.State == nil || d.State.State != "unlocked" {
			t.Fatalf("MTU %d: %+v %v", mtu, d, err)
		}
		if e.state("door") != "unlocked" {
			t.Errorf("MTU %d: door %s", mtu, e.state("door"))
		}
		// Every write fits an ATT write at this MTU; the action needed several at 23.
		if mtu == 23 && p.Sent.Fragments < 10 {
			t.Errorf("MTU 23: only %d writes for an unlock: not split?", p.Sent.Fragments)
		}
		if p.Sent.Bytes > p.Sent.Fragments*WriteChunk(mtu) || p.Received.Bytes > p.Received.Fragments*(mtu-ATTOverhead) {
			t.Errorf("MTU %d: a fragment over the MTU: %+v %+v", mtu, p.Sent, p.Received)
		}
	}
}
