package cloud

import (
	"context"
	"crypto"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/liveness"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
)

// The cloud loop is a liveness loop that is not required: with the broker
// down it keeps turning (offline is normal) and the watchdog's check
// passes; once it stops turning the status names it as stalled, and the
// watchdog's check still passes (a dead cloud link never restarts the
// agent's local control).
func TestCloudLoopLivenessIsNotRequired(t *testing.T) {
	r := newRig(t)
	live := liveness.New(r.clk)
	s, err := New(Options{Site: site, Store: r.st, Devices: r.dev, Keeper: r.keeper, Authorities: []crypto.PublicKey{r.auth.Public()},
		Link: mqttlink.Options{Broker: "tcp://127.0.0.1:1", ClientID: "test"}, Clock: r.clk, Liveness: live})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stalled := func() bool {
		for _, l := range live.Stale(r.clk.Now(), true) {
			if strings.HasPrefix(l, "cloud outbox loop") {
				return true
			}
		}
		return false
	}
	// Broker down: the loop keeps turning. Each step is half its bound, so
	// a loop that missed two steps in a row would be stalled.
	for range 6 {
		r.clk.Advance(cloudBound / 2)
		waitFor(t, "the cloud loop to turn with the broker down", func() bool { return !stalled() })
		if err := live.Check(); err != nil {
			t.Fatalf("cloud down: the watchdog check failed: %v", err)
		}
	}
	cancel()
	if err := <-done; err != nil && err != context.Canceled {
		t.Fatal(err)
	}
	r.clk.Advance(cloudBound + time.Millisecond)
	if !stalled() {
		t.Fatalf("cloud loop stopped for more than its bound, Stale(all) = %q", live.Stale(r.clk.Now(), true))
	}
	if err := live.Check(); err != nil {
		t.Fatalf("a stalled cloud loop withheld the watchdog: %v", err)
	}
}
