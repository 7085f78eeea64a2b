package mqttlink

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
)

// BenchmarkReconnectStorm runs 300 links in one process against a Mosquitto
// that goes down for 3 s and comes back, and reports the peak of
// connection attempts in any one second, for the jittered policy (the
// default: full jitter from 1 s, reset after a connection lasted Reset) and
// for immediate retry. Run with -benchtime 1x.
func BenchmarkReconnectStorm(b *testing.B) {
	const links = 300
	for _, policy := range []string{"jittered", "immediate"} {
		b.Run(policy, func(b *testing.B) {
			for range b.N {
				peak, total, back := storm(b, links, policy)
				b.ReportMetric(float64(peak), "peak-attempts/s")
				b.ReportMetric(float64(total), "attempts")
				b.ReportMetric(back.Seconds(), "s-to-all-back")
			}
		})
	}
}

func storm(b *testing.B, links int, policy string) (peak, total int, back time.Duration) {
	broker := mqtttest.Start(b)
	var mu sync.Mutex
	var attempts []time.Time
	var measuring atomic.Bool
	dialer := &net.Dialer{Timeout: 2 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if measuring.Load() {
			mu.Lock()
			attempts = append(attempts, time.Now())
			mu.Unlock()
		}
		return dialer.DialContext(ctx, network, addr)
	}
	bo := Backoff{Reset: time.Second} // the hubs had been connected "long enough"
	if policy == "immediate" {
		bo.Rand = func() float64 { return 0 } // every delay is zero: retry at once
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var ls []*Link
	for i := range links {
		l, err := New(Options{Broker: broker.URL, ClientID: fmt.Sprintf("storm-%s-%d", policy, i), Backoff: bo, Dial: dial,
			KeepAlive: 30 * time.Second, ConnectTimeout: 2 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		ls = append(ls, l)
		wg.Go(func() { l.Run(ctx, func(ctx context.Context, s *Session) { <-ctx.Done() }) })
	}
	defer func() { cancel(); wg.Wait() }()
	connected := func() int {
		n := 0
		for _, l := range ls {
			if l.Status().Connected {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); connected() < links; {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d links connected", connected(), links)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1100 * time.Millisecond) // past Reset
	b.ResetTimer()
	measuring.Store(true)
	broker.Kill()
	down := time.Now()
	time.Sleep(3 * time.Second)
	broker.Start()
	for deadline := time.Now().Add(60 * time.Second); connected() < links; {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d links back after 60 s", connected(), links)
		}
		time.Sleep(10 * time.Millisecond)
	}
	back = time.Since(down)
	measuring.Store(false)
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	// The peak over sliding one-second windows.
	slices.SortFunc(attempts, func(a, b time.Time) int { return a.Compare(b) })
	j := 0
	for i := range attempts {
		for attempts[i].Sub(attempts[j]) >= time.Second {
			j++
		}
		peak = max(peak, i-j+1)
	}
	return peak, len(attempts), back
}

// BenchmarkOversizedInbound offers a PUBLISH of MQTT's largest size (256
// MB) through a local Mosquitto, to a link (refused from its header) and,
// in the same run with the same broker, to a bare paho subscriber (which
// reads it whole), and reports the bytes each process side allocated per
// message offered (runtime TotalAlloc: everything allocated, collected or
// not). Run with -benchtime 1x.
func BenchmarkOversizedInbound(b *testing.B) {
	broker := mqtttest.Start(b)
	size := mqtttest.MaxPayload("t/big")
	allocated := func() uint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.TotalAlloc
	}
	b.Run("link", func(b *testing.B) {
		l, err := New(Options{Broker: broker.URL, ClientID: "bench-link", Subscriptions: []string{"t/big"},
			Backoff: Backoff{Min: 10 * time.Millisecond, Max: 20 * time.Millisecond}})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); l.Run(ctx, func(ctx context.Context, s *Session) { <-ctx.Done() }) }()
		defer func() { cancel(); <-done }()
		mqtttest.WaitFor(b, time.Minute, "the link", func() bool { return l.Status().Connected })
		var total uint64
		for i := range b.N {
			before := allocated()
			mqtttest.PublishHuge(b, broker.Addr, "bench-pub", "t/big", false, size)
			mqtttest.WaitFor(b, time.Minute, "the refusal", func() bool { tl := l.Status().TooLarge; return tl != nil && tl.Count == uint64(i+1) })
			total += allocated() - before
			mqtttest.WaitFor(b, time.Minute, "the link to come back", func() bool { return l.Status().Connected })
		}
		b.ReportMetric(float64(total)/float64(b.N)/(1<<20), "MB-alloc/msg")
	})
	b.Run("paho", func(b *testing.B) {
		c := mqtttest.Connect(b, broker.URL, "bench-paho", false)
		got := make(chan int, 1)
		if tok := c.Subscribe("t/big", 1, func(_ mqtt.Client, m mqtt.Message) { got <- len(m.Payload()) }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			b.Fatalf("subscribe: %v", tok.Error())
		}
		var total uint64
		for range b.N {
			before := allocated()
			mqtttest.PublishHuge(b, broker.Addr, "bench-pub", "t/big", false, size)
			select {
			case n := <-got:
				if n != size {
					b.Fatalf("received %d bytes of %d", n, size)
				}
			case <-time.After(time.Minute):
				b.Fatal("the message never arrived")
			}
			total += allocated() - before
		}
		b.ReportMetric(float64(total)/float64(b.N)/(1<<20), "MB-alloc/msg")
	})
}
