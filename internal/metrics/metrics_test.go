package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
)

// A part that is off has no metrics (a hub without a cloud link shows no
// cloud_connected 0, which would read as an outage); one that is on shows
// what its source says at the scrape.
func TestSourcesAtScrape(t *testing.T) {
	pending := 3
	m := New(Sources{
		Cloud: func() Cloud {
			return Cloud{Connected: false, Attempts: 7, Pending: map[string]int{"audit": pending}, Oldest: 90 * time.Second, Shed: map[string]uint64{"telemetry": 2}}
		},
		Time: func() localauth.TimeStatus {
			return localauth.TimeStatus{Floor: time.Unix(1_800_000_000, 0), Wall: time.Unix(1_800_000_010, 0), AnchorAge: -1}
		},
	})
	m.Recorded(store.ClassAudit)
	m.Decided(localauth.Decision{Granted: false, Reason: localauth.ReasonRevoked}, "ble")
	m.Committed(3*time.Millisecond, nil)
	m.HomeKitCommand("denied")
	scrape := func() map[string]float64 {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for name, f := range fams {
			for _, mt := range f.Metric {
				key := name
				for _, l := range mt.Label {
					key += "," + l.GetName() + "=" + l.GetValue()
				}
				switch {
				case mt.Gauge != nil:
					out[key] = mt.Gauge.GetValue()
				case mt.Counter != nil:
					out[key] = mt.Counter.GetValue()
				case mt.Histogram != nil:
					out[key] = float64(mt.Histogram.GetSampleCount())
				}
			}
		}
		return out
	}
	got := scrape()
	for key, want := range map[string]float64{
		"edgeagent_cloud_connected":                                            0,
		"edgeagent_cloud_connect_attempts_total":                               7,
		"edgeagent_outbox_pending,class=audit":                                 3,
		"edgeagent_outbox_pending,class=telemetry":                             0,
		"edgeagent_outbox_oldest_age_seconds":                                  90,
		"edgeagent_events_shed_total,class=telemetry":                          2,
		"edgeagent_events_recorded_total,class=audit":                          1,
		"edgeagent_events_recorded_total,class=state":                          0,
		"edgeagent_decisions_total,reason=revoked,result=denied,transport=ble": 1,
		"edgeagent_time_floor_lag_seconds":                                     10,
		"edgeagent_time_anchor_age_seconds":                                    -1,
		"edgeagent_time_trusted":                                               0,
		"edgeagent_store_commit_seconds,result=ok":                             1,
		"edgeagent_homekit_commands_total,result=denied":                       1,
		"edgeagent_homekit_commands_total,result=granted":                      0,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
	for _, absent := range []string{"edgeagent_lan_sessions", "edgeagent_ble_sessions", "edgeagent_homeassistant_connected", "edgeagent_store_size_bytes"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s served without its source", absent)
		}
	}
	pending = 5
	if v := scrape()["edgeagent_outbox_pending,class=audit"]; v != 5 {
		t.Errorf("outbox_pending after the source moved: %v, want 5", v)
	}
}
