package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/ble"
	"github.com/edgeagent/edgeagent/internal/homekit"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/sync/cloud"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
)

var spaces = regexp.MustCompile(` +`)

// status prints every shape of the typed status in words: no cloud or LAN
// part, a cloud link that never connected nor synced (the zero times), one
// connected with a backlog and a warning. Never Go's "<nil>", "%!" or zero
// time (the year 1).
func TestPrintStatusShapes(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		st   localapi.Status
		want []string
		not  []string
	}{
		{"local only", localapi.Status{Site: "home-1"}, []string{"site home-1"}, []string{"cloud", "lan ", "ble ", "homekit"}},
		{"ble off", localapi.Status{Site: "home-1", BLE: &ble.Status{Reason: "no D-Bus system bus: no such file"}},
			[]string{"ble off: no D-Bus system bus: no such file"}, nil},
		{"ble on", localapi.Status{Site: "home-1", BLE: &ble.Status{On: true, Adapter: "hci0", Name: "edgeagent-1a2b3c4d", MaxConnections: 3,
			Counters: ble.Counters{Connections: 1, Decisions: 5, Granted: 4, Refused: 2, Dropped: 1}}},
			[]string{"ble advertising as edgeagent-1a2b3c4d on hci0: 1 connected (at most 3), 5 decisions (4 granted), 2 connections refused, 1 dropped"}, nil},
		{"homekit unpaired", localapi.Status{Site: "home-1", HomeKit: &homekit.Status{Name: "edgeagent", Listen: "192.168.1.2:51826", SetupCode: "123-45-678", SetupURI: "X-HM://0023ISYWYABCD", Accessories: 4}},
			[]string{"homekit edgeagent on 192.168.1.2:51826: 4 accessories, 0 pairings", "homekit setup code 123-45-678, QR payload X-HM://0023ISYWYABCD"}, nil},
		{"homekit paired", localapi.Status{Site: "home-1", HomeKit: &homekit.Status{Name: "edgeagent", SetupCode: "123-45-678", Paired: true, Pairings: 2}},
			[]string{"homekit edgeagent on (not listening yet): 0 accessories, 2 pairings", "paired: new controllers are added"}, []string{"123-45-678"}},
		{"cloud never up", localapi.Status{Site: "home-1",
			Cloud: &cloud.Status{Status: mqttlink.Status{Broker: "tcp://b:1883", LastError: "connection refused"}}},
			[]string{"cloud DOWN to tcp://b:1883 since start; 0 events pending (oldest none), last sync never", "cloud error connection refused"}, nil},
		{"cloud up with a backlog", localapi.Status{Site: "home-1",
			Cloud: &cloud.Status{Status: mqttlink.Status{Broker: "tls://b:8883", Connected: true, Since: at}, PendingTotal: 1200000,
				OldestPending: at.Add(-time.Hour), LastSync: at, Warnings: []string{"audit outbox full", "the broker refuses this hub"}},
			LAN: &localapi.LANInfo{Listen: "0.0.0.0:8443", Fingerprint: "ab:cd"}},
			[]string{"connected to tls://b:8883 since 2026-01-02T03:04:05Z; 1200000 events pending (oldest 2026-01-02T02:04:05Z), last sync 2026-01-02T03:04:05Z",
				"cloud warning audit outbox full", "cloud warning the broker refuses this hub", "lan https://0.0.0.0:8443 (certificate SHA-256 ab:cd)"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			tc.st.Started = at
			tc.st.Auth.Time = localauth.TimeStatus{Floor: at, Wall: at, Why: "synchronised"}
			if err := printStatus(&b, tc.st); err != nil {
				t.Fatal(err)
			}
			out := spaces.ReplaceAllString(b.String(), " ")
			for _, bad := range append(tc.not, "<nil>", "%!", "0001-01-01") {
				if strings.Contains(out, bad) {
					t.Errorf("status prints %q:\n%s", bad, out)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("status lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
