package localapi

import (
	"fmt"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
)

func TestRateLimiter(t *testing.T) {
	clk := clocktest.New(time.Unix(1e9, 0))
	l := newRateLimiter(clk, 2, 3, 4) // 2/s, bursts of 3, 4 keys
	take := func(key string) bool { ok, _ := l.allow(key); return ok }
	for i := 0; i < 3; i++ {
		if !take("a") {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Errorf("over the burst: %v, retry after %v; want refused, 500ms", ok, wait)
	}
	clk.Advance(500 * time.Millisecond)
	if !take("a") || take("a") {
		t.Error("half a second refills exactly one token at 2/s")
	}

	// The table is bounded: new keys beyond it share one bucket, until
	// idle buckets (refilled: as good as new) are forgotten.
	for i := 0; i < 3; i++ {
		take(fmt.Sprint("k", i))
	}
	for i := 0; i < 3; i++ {
		if !take(fmt.Sprint("flood", i)) {
			t.Fatalf("overflow request %d refused within the shared burst", i+1)
		}
	}
	if take("flood-3") {
		t.Error("keys beyond the table do not share one bucket")
	}
	clk.Advance(2 * time.Second)
	if !take("new") {
		t.Error("idle buckets were not forgotten to make room")
	}
	if len(l.buckets) > 4+1 {
		t.Errorf("%d buckets kept, want at most 4 and the overflow", len(l.buckets))
	}

	var none *rateLimiter = newRateLimiter(clk, 0, 0, 0)
	if ok, _ := none.allow("x"); !ok || none != nil {
		t.Error("a rate of 0 must mean no limit")
	}
}
