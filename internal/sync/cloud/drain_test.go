package cloud

import (
	"context"
	"crypto"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
	"github.com/edgeagent/edgeagent/internal/sync/outbox"
)

// commitCounter counts the store's durable commits.
type commitCounter struct{ n atomic.Int64 }

func (c *commitCounter) Committed(_ time.Duration, err error) {
	if err == nil {
		c.n.Add(1)
	}
}

func (c *commitCounter) Recorded(store.Class) {}

// drainRig is a Service on a fake clock with n queued events, draining to
// a real Mosquitto (which answers PUBACKs at once: TCP_NODELAY) with a
// listener on the evt topic, and a count of the commits made once it runs.
type drainRig struct {
	s       *Service
	clk     *clocktest.Fake
	evt     *mqtttest.Listener
	commits *commitCounter
}

func startDrain(t *testing.T, n, window int, rate float64) *drainRig {
	t.Helper()
	b := mqtttest.Start(t, "set_tcp_nodelay true")
	st, _, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mqtttest.QueueEvents(t, st, n, outbox.Limits{}, func(i int) *store.Event {
		return &store.Event{Class: store.ClassAudit, Device: "door", Type: "unlocked"}
	})
	r := &drainRig{clk: clocktest.New(t0), commits: &commitCounter{}}
	r.evt = mqtttest.Listen(t, b.URL, "cloud-evt", false, NewTopics(DefaultTopicPrefix, site).Evt)
	r.s, err = New(Options{Site: site, Store: st, Devices: &fakeDevices{}, Keeper: &fakeKeeper{}, Authorities: []crypto.PublicKey{},
		Link: mqttlink.Options{Broker: b.URL, ClientID: "hub"}, Window: window, DrainRate: rate, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	st.Observe(r.commits)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// receive waits (at most 5 s) for k events at the cloud's listener.
func (r *drainRig) receive(t *testing.T, k int) {
	t.Helper()
	for i := range k {
		select {
		case <-r.evt.C:
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d of %d not received in 5 s", i+1, k)
		}
	}
}

// The attack: a backlog drained at the default rate against a broker that
// answers at once. A refused token used to arm nothing while the
// watchdog's alarm (a second ahead) was set, so after each window's PUBACKs
// the drain slept until the watchdog: 62 events/s at the default 200, and
// 100 000 events took 27 minutes, not 8 min 20 s. And every PUBACK batch
// cost a commit (an fsync: 200 a second at the default rate, an SD card
// wears by them), where a commit a second loses nothing: a crash before it
// only sends those events again.
func TestDrainKeepsItsRateAndGroupsItsCommits(t *testing.T) {
	const window, rate, queued = 4, 50, 40 // a token every 20 ms
	r := startDrain(t, queued, window, rate)
	r.receive(t, window) // the burst: the bucket starts full

	// 16 more events need 16 tokens: 320 ms of fake time. The clock moves
	// a token's worth whenever no event has come for 100 ms of real time
	// (a slow machine may only make that run longer, never fail it); held
	// back by the watchdog, they would need 4 s.
	var moved time.Duration
	for got := 0; got < 16; {
		select {
		case <-r.evt.C:
			got++
		case <-time.After(100 * time.Millisecond):
			if moved >= 5*time.Second {
				t.Fatalf("%d of 16 events after %s of fake time", got, moved)
			}
			r.clk.Advance(20 * time.Millisecond)
			moved += 20 * time.Millisecond
		}
	}
	if moved > 500*time.Millisecond {
		t.Fatalf("16 events at %d/s took %s of fake time, want about 320 ms", rate, moved)
	}
	// 20 acknowledged in less than a second, the backlog not drained: no
	// commit yet (not one per PUBACK).
	if n := r.commits.n.Load(); n != 0 {
		t.Fatalf("%d commits while draining for %s, want none before a second", n, moved)
	}
	// A second later the acknowledged ones are recorded, in one commit.
	r.clk.Advance(recordEvery)
	mqtttest.WaitFor(t, 5*time.Second, "the cursor to be recorded", func() bool { return r.s.Status().PendingTotal < queued-window })
	if n := r.commits.n.Load(); n != 1 {
		t.Fatalf("%d commits for the first second's PUBACKs, want 1", n)
	}
}

// A drain that has caught up records its cursor at once, in one commit for
// everything acknowledged (the clock never moves here: no timer helps).
func TestDrainRecordsTheCursorOnceCaughtUp(t *testing.T) {
	const n = 100
	r := startDrain(t, n, n, DefaultDrainRate)
	r.receive(t, n)
	mqtttest.WaitFor(t, 5*time.Second, "the outbox to empty", func() bool { return r.s.Status().PendingTotal == 0 })
	if c := r.commits.n.Load(); c != 1 {
		t.Fatalf("%d commits to record %d PUBACKs, want 1", c, n)
	}
}
