package cloud

import (
	"context"
	"crypto"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
	"github.com/edgeagent/edgeagent/internal/sync/outbox"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// The whole service against a real Mosquitto: the outbox drains in order,
// the state document is retained, a command arrives through the broker,
// and Run stops cleanly.
func TestRunAgainstMosquitto(t *testing.T) {
	b := mqtttest.Start(t)
	r := newRig(t)
	tp := NewTopics(DefaultTopicPrefix, site)
	evt := mqtttest.Listen(t, b.URL, "cloud-evt", false, tp.Evt, tp.State, tp.Status)
	for range 300 {
		r.s.audit(store.Event{Class: store.ClassTelemetry, Device: "boiler", Type: "temperature", Data: map[string]any{"t": 20.5}})
	}
	s, err := New(Options{Site: site, Store: r.st, Devices: r.dev, Keeper: r.keeper, Authorities: []crypto.PublicKey{r.auth.Public()},
		Link: mqttlink.Options{Broker: b.URL, ClientID: "hub"}, Window: 8, DrainRate: 1e6, StateInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	var last uint64
	var got, states int
	var online bool
	deadline := time.After(10 * time.Second)
	for got < 300 || states == 0 || !online {
		select {
		case m := <-evt.C:
			switch m.Topic() {
			case tp.Evt:
				e, err := outbox.DecodeEnvelope(m.Payload())
				if err != nil {
					t.Fatal(err)
				}
				if e.Seq <= last {
					t.Fatalf("seq %d after %d", e.Seq, last)
				}
				last = e.Seq
				got++
			case tp.State:
				d, err := DecodeStateDoc(m.Payload())
				if err != nil || d.Site != site || len(d.Devices) != 2 {
					t.Fatalf("state doc %+v %v", d, err)
				}
				states++
			case tp.Status:
				online = string(m.Payload()) == "online"
			}
		case <-deadline:
			t.Fatalf("after 10 s: %d events, %d state documents, online %v", got, states, online)
		}
	}
	waitFor(t, "the outbox to empty", func() bool { return s.Status().PendingTotal == 0 })
	if st := s.Status(); !st.Connected || st.LastSync.IsZero() {
		t.Fatalf("status %+v", st)
	}

	// A command through the broker.
	cloud := mqtttest.Connect(t, b.URL, "cloud-cmd", false)
	mqtttest.Publish(t, cloud, tp.Cmd, false, r.command(func(c *wire.Command) { c.IssuedAt, c.ExpiresAt = time.Now().Unix(), time.Now().Add(time.Minute).Unix() }))
	waitFor(t, "the command", func() bool { return len(r.dev.Calls()) == 1 })

	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not stop within 3 s")
	}
	// Stopping said "offline" (a clean DISCONNECT suppresses the will).
	waitFor(t, "offline", func() bool {
		for {
			select {
			case m := <-evt.C:
				if m.Topic() == tp.Status && string(m.Payload()) == "offline" {
					return true
				}
			default:
				return false
			}
		}
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLimiter(t *testing.T) {
	clk := clocktest.New(t0)
	l := limiter{rate: 10, burst: 3}
	for i := range 3 {
		if ok, _ := l.take(clk.Now()); !ok {
			t.Fatalf("burst token %d refused", i)
		}
	}
	ok, wait := l.take(clk.Now())
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("after the burst: %v, wait %s", ok, wait)
	}
	clk.Advance(100 * time.Millisecond)
	if ok, _ := l.take(clk.Now()); !ok {
		t.Fatal("refill refused")
	}
	clk.Advance(time.Hour) // never more than the burst
	n := 0
	for {
		if ok, _ := l.take(clk.Now()); !ok {
			break
		}
		n++
	}
	if n != 3 {
		t.Fatalf("%d tokens after an hour, want the burst of 3", n)
	}
}
