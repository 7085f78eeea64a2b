package main

import (
	"encoding/base64"
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/edgeagent/edgeagent/internal/ble"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// BenchmarkBrowserBLEUnlock times an unlock by the web app's key over Web
// Bluetooth, measured in the browser (performance.now): the challenge
// request written in 20-byte writes without response, the challenge's
// notifications joined and its Ed25519 signature checked against the
// pinned hub key, the WebCrypto ES256 proof, the action frame (about 60
// writes), the decision's notifications, the card redrawn. The radio is
// the test's shim (browserble_test.go): each write and notification is one
// call between the page and Go over the DevTools protocol, so the figure
// is the app's and the hub's work plus that relay, not air time (see
// BenchmarkBLEUnlock for round trips and bytes at an MTU). The hub side
// negotiated MTU 247. One op is 200 unlocks on one GATT connection after
// the first press chose the hub; p50 and p99 are over those 200. Rate
// limits are raised: they would be what is measured.
func BenchmarkBrowserBLEUnlock(b *testing.B) {
	s := startLANSite(b)
	srv := bleServer(b, s, ble.Limits{FramesPerSecond: 1e6, FragmentsPerSecond: 1e6})
	ctx := newChromium(b, "en-US,en;q=0.9")
	withWebBluetooth(b, ctx, srv, 247)
	pub := pemKey(b, browserKeyPEM(b, ctx, s.url))
	grant, err := localauth.IssueGrant(s.auth, localauth.GrantSpec{Site: "home", Holder: pub, Name: "olivia", Role: wire.RoleResident, Devices: []string{"front-door"}})
	if err != nil {
		b.Fatal(err)
	}
	addGrant(b, ctx, base64.StdEncoding.EncodeToString(grant))
	if !await[bool](b, ctx, `EA.offline`) {
		b.Fatal("the app shell was not cached for offline use")
	}
	s.stopLAN()
	chrome(b, ctx, "the first unlock over Bluetooth (the chooser)",
		chromedp.Navigate(s.url),
		chromedp.WaitVisible(css(`#paths[data-path="ble"]`)),
		chromedp.Click(css(keyCard("front-door")+` button[data-action="unlock"]`)),
		chromedp.WaitVisible(css(keyCard("front-door")+`[data-state="unlocked"]`)),
	)
	const unlocks = 200
	var ms []float64
	var writes int
	for b.Loop() {
		w0 := eval[int](b, ctx, `__bleShim.writes`)
		ms = await[[]float64](b, ctx, fmt.Sprintf(`(async () => {
			const ts = [];
			for (let i = 0; i < %d; i++) {
				const t0 = performance.now();
				const r = await EA.act('front-door', 'unlock');
				ts.push(performance.now() - t0);
				if (!r.ok) throw new Error(JSON.stringify(r.data));
			}
			return ts;
		})()`, unlocks))
		writes = eval[int](b, ctx, `__bleShim.writes`) - w0
	}
	if len(ms) != unlocks {
		b.Fatalf("%d timings", len(ms))
	}
	if c := srv.Counters(); c.Dropped != 0 {
		b.Fatalf("hub counters %+v: connections dropped", c)
	}
	slices.Sort(ms)
	b.ReportMetric(ms[len(ms)/2], "p50-ms")
	b.ReportMetric(ms[len(ms)*99/100], "p99-ms")
	b.ReportMetric(float64(writes)/unlocks, "writes/unlock")
	b.ReportMetric(0, "ns/op") // one op is 200 unlocks: the per-unlock figures are above
}
