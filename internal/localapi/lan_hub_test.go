package localapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestLANHubInfo: GET /api/v1/hub answers without a session with what a
// phone pins (the certificate's fingerprint, the key that signs
// challenges) and the device catalogue, and with nothing a stranger on the
// LAN should not learn: no device state, no attributes, no events.
func TestLANHubInfo(t *testing.T) {
	e := newLANEnv(t, lanEnvOptions{})
	r := e.browser().do("GET", "/api/v1/hub", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/v1/hub: %d %s", r.status, r.body)
	}
	var info HubInfo
	if err := json.Unmarshal(r.body, &info); err != nil {
		t.Fatal(err)
	}
	if info.Fingerprint != e.lan.Fingerprint().String() || info.Site != lanSite {
		t.Errorf("fingerprint %s site %s, want %s %s", info.Fingerprint, info.Site, e.lan.Fingerprint(), lanSite)
	}
	if !slices.Equal(info.HubKey, e.keeper.HubPublicKey()) {
		t.Errorf("hub key %x, want the Keeper's %x", info.HubKey, e.keeper.HubPublicKey())
	}
	var ids []string
	for _, d := range info.Devices {
		ids = append(ids, d.ID)
		if !slices.Equal(d.Actions, lanActions[d.Kind]) {
			t.Errorf("%s: actions %v, want the LAN's %v", d.ID, d.Actions, lanActions[d.Kind])
		}
	}
	if want := []string{"boiler", "curtain", "door", "light"}; !slices.Equal(sortedCopy(ids), want) {
		t.Errorf("catalogue %v, want %v (no inputs: nothing to do on them)", ids, want)
	}
	for _, leak := range []string{`"state"`, `"attrs"`, `"locked"`, `"temperature"`} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("the public catalogue carries %s: %s", leak, r.body)
		}
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
