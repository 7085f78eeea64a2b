package main

// /metrics through the built binary: scraped and parsed with Prometheus's
// own text parser while a real Mosquitto goes away and events queue.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// scrape fetches and parses url.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return fams
}

// value is the one sample of fam whose labels include want (name=value
// pairs), a histogram's count; -1 when there is none.
func value(fams map[string]*dto.MetricFamily, fam string, want ...string) float64 {
	f := fams[fam]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if got[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// documentedMetrics reads the metric names from docs/operations.md's table:
// the docs and the endpoint cannot drift apart.
func documentedMetrics(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(edgeagent_[a-z_]+)` \\|").FindAllSubmatch(b, -1) {
		names = append(names, string(m[1]))
	}
	if len(names) < 15 {
		t.Fatalf("docs/operations.md lists %d metrics; the table was not found", len(names))
	}
	return names
}

func TestMetricsDocumentedAndMoving(t *testing.T) {
	broker := mqtttest.Start(t)
	port := mqtttest.FreePort(t)
	s := newSyncSite(t, broker.URL, "")
	cfg, _ := os.ReadFile(s.cfg)
	cfg = append(cfg, fmt.Sprintf("\n[metrics]\nlisten = \"127.0.0.1:%d\"\n", port)...)
	writeFile(t, s.cfg, cfg)
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	a := startAgent(t, s.cfg, s.data, "--authority", filepath.Join(s.auth, localauth.AuthorityPubFile), "--listen", "127.0.0.1:0")
	waitLong(t, 10*time.Second, "the cloud link up", func() bool { return value(scrape(t, url), "edgeagent_cloud_connected") == 1 })

	// A decision (a phone key the hub refuses: its grant names another
	// device) and an action, so that every labelled family has a sample.
	lanURL, fp := lanOf(t, a)
	dir := t.TempDir()
	keyPath, _ := keyFiles(t, dir, "guest")
	pub, err := localauth.LoadPublicKey(keyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	authority, err := localauth.LoadAuthority(s.auth)
	if err != nil {
		t.Fatal(err)
	}
	grant, err := localauth.IssueGrant(authority, localauth.GrantSpec{Site: syncSiteID, Holder: pub, Name: "gus", Role: wire.RoleGuest, Devices: []string{"hall-light"}})
	if err != nil {
		t.Fatal(err)
	}
	grantPath := writeFile(t, filepath.Join(dir, "gus.grant"), grant)
	if _, _, code := runBin(t, "do", "--agent", lanURL, "--fingerprint", fp, "--grant", grantPath, "--key", keyPath, "front-door", "unlock"); code != 1 {
		t.Fatalf("do unlock with a hall-light grant: exit %d, want 1 (refused)", code)
	}
	a.do("hall-light", "on", "")

	var before map[string]*dto.MetricFamily
	waitLong(t, 10*time.Second, "the broker's first acknowledgement", func() bool {
		before = scrape(t, url)
		return value(before, "edgeagent_cloud_last_ack_timestamp_seconds") > 0
	})
	for _, name := range documentedMetrics(t) {
		if name == "edgeagent_homeassistant_connected" {
			continue // only with [homeassistant]: TestHomeAssistant checks it
		}
		if before[name] == nil {
			t.Errorf("documented metric %s is not served", name)
		}
	}
	if v := value(before, "edgeagent_decisions_total", "result", "denied", "reason", "device_not_allowed", "transport", "lan"); v != 1 {
		t.Errorf("decisions_total{denied,device_not_allowed,lan} = %v, want 1", v)
	}
	if v := value(before, "edgeagent_gpio_action_seconds", "kind", "switch", "action", "on"); v != 1 {
		t.Errorf("gpio_action_seconds{switch,on} count = %v, want 1", v)
	}
	if v := value(before, "edgeagent_store_size_bytes"); v <= 0 {
		t.Errorf("store_size_bytes = %v", v)
	}
	if v := value(before, "edgeagent_time_floor_timestamp_seconds"); v < float64(localauth.BuildTime().Unix()) {
		t.Errorf("time floor %v is below the build time", v)
	}
	attempts := value(before, "edgeagent_cloud_connect_attempts_total")

	// The link drops; actions queue their events for the cloud.
	broker.Kill()
	waitLong(t, 10*time.Second, "cloud_connected 0", func() bool { return value(scrape(t, url), "edgeagent_cloud_connected") == 0 })
	for i := range 5 {
		a.do("hall-light", []string{"off", "on"}[i%2], "")
	}
	var down map[string]*dto.MetricFamily
	waitLong(t, 10*time.Second, "queued events in the metrics", func() bool {
		down = scrape(t, url)
		return value(down, "edgeagent_outbox_pending", "class", "state") > value(before, "edgeagent_outbox_pending", "class", "state")
	})
	if v := value(down, "edgeagent_gpio_action_seconds", "kind", "switch", "action", "off"); v != 3 {
		t.Errorf("gpio_action_seconds{switch,off} count = %v, want 3", v)
	}
	if got, was := value(down, "edgeagent_events_recorded_total", "class", "state"), value(before, "edgeagent_events_recorded_total", "class", "state"); got < was+5 {
		t.Errorf("events_recorded_total{state} went from %v to %v after 5 actions", was, got)
	}
	if got, was := value(down, "edgeagent_store_commit_seconds", "result", "ok"), value(before, "edgeagent_store_commit_seconds", "result", "ok"); got <= was {
		t.Errorf("store_commit_seconds count did not move: %v then %v", was, got)
	}
	waitLong(t, 10*time.Second, "an oldest queued age above 0 and reconnect attempts", func() bool {
		m := scrape(t, url)
		return value(m, "edgeagent_outbox_oldest_age_seconds") > 0 && value(m, "edgeagent_cloud_connect_attempts_total") > attempts
	})

	// Back: the queue drains and the link counts up.
	broker.Start()
	waitLong(t, 15*time.Second, "the queue drained", func() bool {
		m := scrape(t, url)
		return value(m, "edgeagent_cloud_connected") == 1 && value(m, "edgeagent_outbox_pending", "class", "state") == 0 &&
			value(m, "edgeagent_outbox_oldest_age_seconds") == 0
	})
}

// The endpoint refuses addresses beyond the LAN at config check.
func TestMetricsListenLocalOnly(t *testing.T) {
	for _, addr := range []string{":9101", "0.0.0.0:9101", "8.8.8.8:9101", "hub.example.com:9101"} {
		cfg, _ := newSite(t)
		b, _ := os.ReadFile(cfg)
		writeFile(t, cfg, append(b, fmt.Sprintf("\n[metrics]\nlisten = %q\n", addr)...))
		out, errOut, code := runBin(t, "config", "check", cfg)
		if code != 2 || !strings.Contains(errOut, "metrics.listen") {
			t.Errorf("metrics.listen %q: exit %d, want 2 naming metrics.listen\n%s%s", addr, code, out, errOut)
		}
	}
}

// The Grafana dashboard in deploy/ queries only metrics the agent serves,
// and uses every documented one.
func TestGrafanaDashboardUsesDocumentedMetrics(t *testing.T) {
	b, err := os.ReadFile("../../deploy/grafana/edgeagent.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Targets []struct{ Expr string } `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("deploy/grafana/edgeagent.json: %v", err)
	}
	documented := documentedMetrics(t)
	documented = append(documented, "edgeagent_ble_sessions")
	used := map[string]bool{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range regexp.MustCompile(`edgeagent_[a-z_]+`).FindAllString(tg.Expr, -1) {
				m = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count"), "_sum")
				if !slices.Contains(documented, m) {
					t.Errorf("the dashboard queries %s, which docs/operations.md does not list", m)
				}
				used[m] = true
			}
		}
	}
	for _, m := range documented {
		if !used[m] {
			t.Errorf("documented metric %s is on no dashboard panel", m)
		}
	}
}
