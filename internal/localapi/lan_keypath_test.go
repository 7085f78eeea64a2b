package localapi

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/localauth/keypathtest"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// lanTransport carries the shared key-path table over HTTPS.
type lanTransport struct {
	e  *lanEnv
	kc *KeyClient
	b  *browser
}

func (lanTransport) Name() string { return localauth.TransportLAN }

func (l lanTransport) Challenge(device, action string) (*wire.Challenge, error) {
	return l.kc.Challenge(device, action)
}

func (l lanTransport) Send(device string, req wire.ActionRequest) (localauth.Decision, error) {
	r := l.b.do("POST", "/api/v1/devices/"+device+"/action", req)
	switch r.status {
	case 200:
		var res LANActionResult
		err := json.Unmarshal(r.body, &res)
		return res.Decision, err
	case 403:
		var rf refusal
		err := json.Unmarshal(r.body, &rf)
		return rf.Decision, err
	}
	return localauth.Decision{}, fmt.Errorf("%d %s", r.status, r.body)
}

// The same table as BLE's TestBLEKeyPathTable: one table, two transports.
func TestLANKeyPathTable(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	keypathtest.Run(t, keypathtest.Hub{
		Site: lanSite, Authority: e.authority, Keeper: e.keeper, Clock: e.clk, Devices: e.hub, Door: "door", Light: "light",
	}, lanTransport{e: e, kc: e.keyClient(), b: e.browser()})
}
