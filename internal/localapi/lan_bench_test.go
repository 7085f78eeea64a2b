package localapi

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// BenchmarkLANKeyAction measures what a phone does at the door over the
// LAN: POST /api/v1/challenge, sign the proof, POST the action with the
// grant (HTTPS, one kept-alive connection), with 10 000 grants imported in
// the Keeper. Each operation is two round trips, two signature checks
// (authority and holder), two durable commits (the decision's audit entry
// and the switch's own record) and no write for the challenge: challenges
// are stateless, the used nonce is marked in memory only.
// Rate limits are off: they would be the thing measured. It reports p50
// and p99 (target: p99 under 5 ms).
func BenchmarkLANKeyAction(b *testing.B) {
	e := newLANEnv(b, lanEnvOptions{lan: func(o *LANOptions) { o.RequestsPerSecond, o.LoginsPerMinute = -1, -1 }})
	const grants = 10000
	t0 := time.Now()
	for i := range grants {
		e.grant(localauth.GrantSpec{Name: fmt.Sprintf("user-%05d", i), Role: wire.RoleResident, Devices: []string{"*"}})
	}
	if n := e.keeper.Status().Grants; n != grants {
		b.Fatalf("%d grants held", n)
	}
	b.Logf("imported %d grants in %v", grants, time.Since(t0).Round(time.Millisecond))
	grant, key := e.issue(localauth.GrantSpec{Name: "carol", Role: wire.RoleResident, Devices: []string{"light"}})
	chain := [][]byte{grant}
	kc := e.keyClient()
	if _, err := kc.Act(chain, key, "light", "toggle", ""); err != nil { // the TLS handshake, once
		b.Fatal(err)
	}

	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		// Time moves on, so that used nonces expire and are forgotten as
		// they would be at a real door.
		e.clk.Advance(50 * time.Millisecond)
		t := time.Now()
		res, err := kc.Act(chain, key, "light", "toggle", "")
		lat = append(lat, time.Since(t))
		if err != nil || !res.Decision.Granted {
			b.Fatalf("%+v %v", res, err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)])/1e6, "p99-ms")
}
