package cloud

import (
	"context"
	"crypto"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
	"github.com/edgeagent/edgeagent/internal/sync/outbox"
)

// backlog is the number of queued events the drain benchmark starts with.
const backlog = 100_000

// queueBacklog makes a store holding n counted events, like a hub that was
// offline for a while (a lock's audit events, state changes, telemetry).
func queueBacklog(b *testing.B, n int) *store.Store {
	b.Helper()
	st, _, err := store.Open(filepath.Join(b.TempDir(), "state.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	mqtttest.QueueEvents(b, st, n, outbox.Limits{State: 10 * n}, func(i int) *store.Event {
		return &store.Event{Class: store.ClassState, Device: "boiler", Type: "setpoint",
			Data: map[string]any{"setpoint": 20 + float64(i%100)/10}}
	})
	return st
}

// BenchmarkDrain drains 100 000 queued events to a local Mosquitto with the
// agent (rate limit off), and publishes as many payloads of the same size
// with raw paho (QoS 1, nothing durable) to the same broker in the same run.
// Both run under the same conditions: at most DefaultWindow (64) publishes
// awaiting their PUBACK, and the clock starts before the connection is made
// (the agent's Run dials, the raw client's Connect) and stops at the last
// PUBACK. The agent's default DrainRate (200/s) would make a 100 000
// backlog take 500 s: that is the limit, not what this measures.
// Run with -benchtime 1x.
func BenchmarkDrain(b *testing.B) {
	broker := mqtttest.Start(b)
	var agentRate, rawRate float64
	var payloadSize int
	for i := range b.N {
		b.StopTimer()
		st := queueBacklog(b, backlog)
		evs, _ := st.Events(0, 1)
		p, _ := outbox.NewEnvelope("bench", make([]byte, 16), evs[0]).Marshal()
		payloadSize = len(p)
		s, err := New(Options{Site: "bench", Store: st, Devices: &fakeDevices{}, Keeper: &fakeKeeper{},
			Authorities: []crypto.PublicKey{}, Window: DefaultWindow, DrainRate: 1e9, Limits: outbox.Limits{State: 10 * backlog},
			Link: mqttlink.Options{Broker: broker.URL, ClientID: fmt.Sprint("bench-agent-", i)}})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		b.StartTimer()
		start := time.Now()
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		for s.Status().PendingTotal > 0 {
			if time.Since(start) > 5*time.Minute {
				b.Fatal("drain did not finish in 5 minutes")
			}
			time.Sleep(5 * time.Millisecond)
		}
		took := time.Since(start)
		b.StopTimer()
		cancel()
		<-done
		agentRate = backlog / took.Seconds()
		b.ReportMetric(took.Seconds(), "s/100k-drain")

		rawRate = rawPublish(b, broker.URL, payloadSize, backlog, DefaultWindow)
	}
	b.ReportMetric(agentRate, "agent-msgs/s")
	b.ReportMetric(rawRate, "raw-paho-msgs/s")
	b.ReportMetric(agentRate/rawRate, "ratio")
	b.ReportMetric(float64(payloadSize), "payload-B")
}

// rawPublish is the baseline: connect, then n QoS 1 publishes, at most
// window awaiting their PUBACK, and nothing else; timed from before the
// connect to the last PUBACK.
func rawPublish(b *testing.B, url string, size, n, window int) float64 {
	start := time.Now()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("bench-raw").SetAutoReconnect(false))
	if t := c.Connect(); !t.WaitTimeout(5*time.Second) || t.Error() != nil {
		b.Fatal(t.Error())
	}
	defer c.Disconnect(100)
	payload := make([]byte, size)
	inflight := make(chan mqtt.Token, window)
	wait := func(t mqtt.Token) {
		if !t.WaitTimeout(time.Minute) || t.Error() != nil {
			b.Fatal("raw publish:", t.Error())
		}
	}
	for range n {
		if len(inflight) == cap(inflight) {
			wait(<-inflight)
		}
		inflight <- c.Publish("bench/raw", 1, false, payload)
	}
	for len(inflight) > 0 {
		wait(<-inflight)
	}
	return float64(n) / time.Since(start).Seconds()
}
