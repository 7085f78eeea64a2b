package ble

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

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

// A status request (type 5) answers what a grant allows here: an owner's
// "*" lists every device with the actions offered for its kind; a guest an
// owner delegated one action on the light to sees that alone, through the
// owner's grant as held; a chain the hub cannot tie to a held grant gets
// an error frame with the reason and no device list.
func TestBLEStatusFrame(t *testing.T) {
	e := newEnv(t, Limits{FramesPerSecond: 1000})
	owner, ownerKey := e.grant(wire.P256, localauth.GrantSpec{Name: "olga", Role: wire.RoleOwner, Devices: []string{"*"}})
	guestKey, err := wire.GenerateKey(wire.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	guest, err := localauth.Delegate(owner[0], ownerKey, localauth.GrantSpec{
		Holder: guestKey.Public(), Name: "gus", Devices: []string{"light"}, Actions: []string{"on"},
		IssuedAt: e.clk.Now(), NotAfter: e.clk.Now().Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := e.grant(wire.Ed25519, localauth.GrantSpec{Name: "sam", Role: wire.RoleResident, Devices: []string{"*"}})
	if _, err := e.keeper.Import(mustRevocation(t, e, stranger[0])); err != nil {
		t.Fatal(err)
	}
	p := NewPhone(e.mustConnect(185))
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		chain [][]byte
		want  []StatusDevice
		code  string
	}{
		{"owner", owner, []StatusDevice{{"door", "lock", []string{"lock", "unlock"}}, {"light", "switch", []string{"on", "off", "toggle"}}}, ""},
		{"delegated guest", [][]byte{guest, owner[0]}, []StatusDevice{{"light", "switch", []string{"on"}}}, ""},
		{"guest without the owner's grant", [][]byte{guest}, nil, string(localauth.ReasonMissingDelegator)},
		{"guest with another owner grant", [][]byte{guest, stranger[0]}, nil, string(localauth.ReasonChainMismatch)},
		{"revoked", stranger, nil, string(localauth.ReasonRevoked)},
		{"not a grant", [][]byte{{0xa0}}, nil, string(localauth.ReasonMalformedGrant)},
	} {
		st, err := p.Status(ctx, c.chain)
		if c.code != "" {
			var re *RefusedError
			if !errors.As(err, &re) || re.Code != c.code || st.Devices != nil {
				t.Errorf("%s: %+v %v, want refused %s", c.name, st, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		slices.SortFunc(st.Devices, func(a, b StatusDevice) int { return strings.Compare(a.ID, b.ID) })
		if !reflect.DeepEqual(st.Devices, c.want) || st.Site != testSite || !st.TimeTrusted || st.Time != e.clk.Now().Unix() {
			t.Errorf("%s: status %+v, want devices %+v on site %s at trusted time %d", c.name, st, c.want, testSite, e.clk.Now().Unix())
		}
	}
	if e.srv.Counters().Decisions != 0 {
		t.Error("a status request was counted as a decision")
	}
}

func mustRevocation(t *testing.T, e *env, grant []byte) []byte {
	t.Helper()
	info, err := localauth.ParseGrant(grant)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := localauth.IssueRevocation(e.authority, localauth.RevocationSpec{Site: testSite, Serial: 1, GrantIDs: []string{info.ID.String()}, IssuedAt: e.clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}
