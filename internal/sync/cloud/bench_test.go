package cloud

import (
	"bufio"
	"context"
	"crypto"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
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

// benchSite is the site of the drain benchmarks: its evt topic is the one
// both sides publish on.
const benchSite = "bench"

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

// envelopes are the payloads the agent sends for st's queued events,
// encoded as the drain encodes them (same site, same store instance): the
// raw client publishes these very bytes.
func envelopes(b *testing.B, st *store.Store) [][]byte {
	b.Helper()
	instance, err := outbox.ParseInstance(st.Instance())
	if err != nil {
		b.Fatal(err)
	}
	var out [][]byte
	for after := uint64(0); ; {
		evs, err := st.Events(after, 4096)
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		for _, ev := range evs {
			p, err := outbox.Encode(benchSite, instance, ev)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, p)
			after = ev.Seq
		}
	}
}

// drainAgent runs the agent on st until the delivered cursor is committed
// past its last event and returns the time from just before Run (which
// dials) to the moment the cursor was seen there. It reads the cursor every
// millisecond (a ticker: the error is at most that; a read costs the
// agent, not the baseline).
func drainAgent(b *testing.B, st *store.Store, brokerURL, clientID string, rate float64, n int) (took, lastCommit time.Duration) {
	b.Helper()
	s, err := New(Options{Site: benchSite, Store: st, Devices: &fakeDevices{}, Keeper: &fakeKeeper{},
		Authorities: []crypto.PublicKey{}, Window: DefaultWindow, DrainRate: rate, Limits: outbox.Limits{State: 10 * n},
		Link: mqttlink.Options{Broker: brokerURL, ClientID: clientID}})
	if err != nil {
		b.Fatal(err)
	}
	last, err := st.LastSeq()
	if err != nil {
		b.Fatal(err)
	}
	if got := s.Status().PendingTotal; got != n {
		b.Fatalf("%d events queued before the drain, want %d", got, n)
	}
	delivered := func() uint64 {
		var d uint64
		if err := st.View(func(tx *store.Tx) error { d = st.Delivered(tx); return nil }); err != nil {
			b.Fatal(err)
		}
		return d
	}
	var commits lastCommitTime
	st.Observe(&commits)
	defer st.Observe(nil)
	ctx, cancel := context.WithCancel(context.Background())
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	limit := time.NewTimer(10 * time.Minute)
	defer limit.Stop()
	start := time.Now()
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	for delivered() < last {
		select {
		case <-tick.C:
		case <-limit.C:
			b.Fatalf("the drain of %d events did not finish in 10 minutes", n)
		}
	}
	took = time.Since(start)
	cancel()
	<-done
	if got := s.Status().PendingTotal; got != 0 {
		b.Fatalf("%d events still queued with the cursor at the last one", got)
	}
	return took, time.Duration(commits.last.Load())
}

// lastCommitTime keeps how long the store's last commit took.
type lastCommitTime struct{ last atomic.Int64 }

func (c *lastCommitTime) Committed(d time.Duration, _ error) { c.last.Store(int64(d)) }
func (c *lastCommitTime) Recorded(store.Class)               {}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// drainRounds splits the backlog: the machine is shared, and a load that
// comes and goes would favour whichever side ran in its quiet moment.
const drainRounds = 10

// BenchmarkDrain drains 100 000 queued events to a local Mosquitto with the
// agent (rate limit off), and publishes the same encoded envelopes (same
// bytes, same topic) with raw paho QoS 1, nothing durable, to the same
// broker in the same run. The two sides take turns in 10 rounds of 10 000
// (raw first in even rounds, the agent first in odd ones, each round a
// fresh store and connection). ratio is the median of the 10 rounds'
// agent/raw rate ratios (each pair ran back to back; the median is as
// deaf to a burst of load on the agent's side as on the baseline's), with
// ratio-min and ratio-max their spread and ratio-of-sums the ratio of the
// two sides' total times. Both run under the same conditions: the paho
// options mqttlink sets, with its read buffer, and its connect exchange
// (will, "online", subscriptions: round trips a 10 000 round would
// otherwise charge the agent alone ten times), at most DefaultWindow (64)
// publishes awaiting their PUBACK, the clock started before the TCP
// connection is dialled and stopped when the last event is done (raw: its
// PUBACK; agent: the delivered cursor committed past it, so the agent's
// figure carries its durability, one final commit per round). The
// envelopes are encoded for the raw side before its clock starts: reading
// and encoding them is the agent's cost, not the floor's. cpu-µs/msg is
// this process's CPU time per message on each side, broker-cpu-µs/msg
// Mosquitto's (from /proc, in 10 ms ticks): the work each side costs,
// whatever the machine's load does to the rates; cpu-ratio is raw's
// (client and broker) over the agent's, what ratio would be on a machine
// whose cores the two keep busy and nothing else. s/100k-drain is the sum
// of the agent's rounds. The agent's default DrainRate (200/s) is
// BenchmarkDrainDefaultRate.
func BenchmarkDrain(b *testing.B) {
	broker := mqtttest.Start(b)
	topic := NewTopics(DefaultTopicPrefix, benchSite).Evt
	const round = backlog / drainRounds
	var agent, raw, agentCPU, rawCPU, agentBroker, rawBroker time.Duration
	var ratios []float64
	var finalCommits time.Duration
	var bytes int
	for i := range b.N {
		b.StopTimer()
		agent, raw, agentCPU, rawCPU, agentBroker, rawBroker, bytes, ratios, finalCommits = 0, 0, 0, 0, 0, 0, 0, nil, 0
		sts := make([]*store.Store, drainRounds)
		for r := range sts {
			sts[r] = queueBacklog(b, round)
		}
		b.StartTimer()
		for r := range drainRounds {
			// Each side starts from a collected heap, and the raw side's
			// envelopes exist only for its run: garbage left by one side,
			// or a heap held for the other, would make the collector's
			// work depend on the order.
			var a, w time.Duration
			runRaw := func() {
				payloads := envelopes(b, sts[r])
				if len(payloads) != round {
					b.Fatalf("%d envelopes, want %d", len(payloads), round)
				}
				for _, p := range payloads {
					bytes += len(p)
				}
				runtime.GC()
				c, bc := cpuTime(b), broker.CPUTime()
				w = rawPublish(b, broker.URL, fmt.Sprint("bench-raw-", i, "-", r), topic, payloads, DefaultWindow)
				rawCPU += cpuTime(b) - c
				rawBroker += broker.CPUTime() - bc
			}
			runAgent := func() {
				runtime.GC()
				c, bc := cpuTime(b), broker.CPUTime()
				var fc time.Duration
				a, fc = drainAgent(b, sts[r], broker.URL, fmt.Sprint("bench-agent-", i, "-", r), 1e9, round)
				finalCommits += fc
				agentCPU += cpuTime(b) - c
				agentBroker += broker.CPUTime() - bc
			}
			if r%2 == 0 {
				runRaw()
				runAgent()
			} else {
				runAgent()
				runRaw()
			}
			agent, raw = agent+a, raw+w
			ratios = append(ratios, w.Seconds()/a.Seconds()) // rates: n/a over n/w
		}
	}
	slices.Sort(ratios)
	b.ReportMetric(backlog/agent.Seconds(), "agent-msgs/s")
	b.ReportMetric(backlog/raw.Seconds(), "raw-paho-msgs/s")
	b.ReportMetric((ratios[len(ratios)/2-1]+ratios[len(ratios)/2])/2, "ratio")
	b.ReportMetric(ratios[0], "ratio-min")
	b.ReportMetric(ratios[len(ratios)-1], "ratio-max")
	b.ReportMetric(raw.Seconds()/agent.Seconds(), "ratio-of-sums")
	b.ReportMetric(agent.Seconds()*100_000/backlog, "s/100k-drain")
	b.ReportMetric(float64(agentCPU.Microseconds())/backlog, "agent-cpu-µs/msg")
	b.ReportMetric(float64(rawCPU.Microseconds())/backlog, "raw-cpu-µs/msg")
	b.ReportMetric(float64(agentBroker.Microseconds())/backlog, "agent-broker-cpu-µs/msg")
	b.ReportMetric(float64(rawBroker.Microseconds())/backlog, "raw-broker-cpu-µs/msg")
	b.ReportMetric((rawCPU+rawBroker).Seconds()/(agentCPU+agentBroker).Seconds(), "cpu-ratio")
	b.ReportMetric(float64(bytes)/backlog, "payload-B")
	b.ReportMetric(float64(finalCommits.Microseconds())/1000/drainRounds, "final-commit-ms")
}

// rawPublish is the baseline: connect as mqttlink connects (its options,
// will, status and subscriptions), then publish payloads with QoS 1 on
// topic, at most window awaiting their PUBACK, and nothing else; timed
// from before the dial to the last PUBACK.
func rawPublish(b *testing.B, brokerURL, clientID, topic string, payloads [][]byte, window int) time.Duration {
	b.Helper()
	addr, _, err := mqttlink.ParseBroker(brokerURL)
	if err != nil {
		b.Fatal(err)
	}
	// mqttlink.connect's settings, with its defaults (keepalive 30 s,
	// connect timeout 10 s), the dialer of mqttlink.New, and its read
	// buffer (16 KiB; paho reads a packet a few bytes at a time), without
	// its frame guard.
	keepAlive := mqttlink.DefaultKeepAlive
	dialer := &net.Dialer{Timeout: mqttlink.DefaultConnectTimeout, KeepAlive: 15 * time.Second}
	o := mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(clientID).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).
		SetKeepAlive(keepAlive).SetPingTimeout(10 * time.Second).SetWriteTimeout(keepAlive).
		SetConnectTimeout(mqttlink.DefaultConnectTimeout).SetAutoAckDisabled(true).SetOrderMatters(true).
		SetCustomOpenConnectionFn(func(*url.URL, mqtt.ClientOptions) (net.Conn, error) {
			c, err := dialer.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			return bufferedConn{c, bufio.NewReaderSize(c, 16<<10)}, nil
		})
	// And what mqttlink does on every connect, as the agent's link does it
	// inside the agent's clock: the last will, then "online" retained on
	// the status topic and the three subscriptions, both awaited.
	tp := NewTopics(DefaultTopicPrefix, benchSite)
	o.SetBinaryWill(tp.Status, Offline, 1, true)
	start := time.Now()
	c := mqtt.NewClient(o)
	if t := c.Connect(); !t.WaitTimeout(5*time.Second) || t.Error() != nil {
		b.Fatal(t.Error())
	}
	for _, t := range []mqtt.Token{
		c.Publish(tp.Status, 1, true, Online),
		c.SubscribeMultiple(map[string]byte{tp.Cmd: 1, tp.Cred + "/#": 1, tp.Cfg: 1}, nil),
	} {
		if !t.WaitTimeout(5*time.Second) || t.Error() != nil {
			b.Fatal("raw connect:", t.Error())
		}
	}
	// In flight, oldest first: wait for the oldest PUBACK, then take every
	// one already in after it (the cheapest wait paho allows: no timer per
	// token; the agent waits the same way).
	limit := time.NewTimer(time.Minute)
	defer limit.Stop()
	inflight := make([]mqtt.Token, 0, window)
	wait := func() {
		select {
		case <-inflight[0].Done():
		case <-limit.C:
			b.Fatal("raw publish: no PUBACK in a minute")
		}
		n := 0
		for ; n < len(inflight) && mqttlink.Done(inflight[n]); n++ {
			if err := inflight[n].Error(); err != nil {
				b.Fatal("raw publish:", err)
			}
		}
		inflight = append(inflight[:0], inflight[n:]...)
	}
	for _, p := range payloads {
		if len(inflight) == window {
			wait()
		}
		inflight = append(inflight, c.Publish(topic, 1, false, p))
	}
	for len(inflight) > 0 {
		wait()
	}
	took := time.Since(start)
	c.Disconnect(100)
	return took
}

// bufferedConn is a connection read through a buffer.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// defaultRateBacklog is the backlog BenchmarkDrainDefaultRate drains at the
// default rate: 2 000 events take about 10 s.
const defaultRateBacklog = 2_000

// BenchmarkDrainDefaultRate drains 2 000 queued events at the agent's
// default DrainRate (200/s) to a local Mosquitto and reports the time, the
// rate measured after the first window (the token bucket starts with a
// window's worth, 64, sent at once), and from these the time to drain
// 100 000 at the default: measured (the first window at once, the rest at
// the measured rate) and computed from the rate alone ((100 000 - 64) / 200).
func BenchmarkDrainDefaultRate(b *testing.B) {
	broker := mqtttest.Start(b)
	var took time.Duration
	for i := range b.N {
		b.StopTimer()
		st := queueBacklog(b, defaultRateBacklog)
		b.StartTimer()
		took, _ = drainAgent(b, st, broker.URL, fmt.Sprint("bench-default-", i), 0, defaultRateBacklog)
	}
	rate := float64(defaultRateBacklog-DefaultWindow) / took.Seconds()
	b.ReportMetric(took.Seconds(), "s/2k-drain")
	b.ReportMetric(rate, "msgs/s-after-burst")
	b.ReportMetric(float64(100_000-DefaultWindow)/rate, "s/100k-drain-measured")
	b.ReportMetric(float64(100_000-DefaultWindow)/DefaultDrainRate, "s/100k-drain-computed")
}
