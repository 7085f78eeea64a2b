package ble

import (
	"context"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/benchtest"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// BenchmarkBLEUnlock is one whole unlock over the in-memory transport at
// MTU 23 and 247: challenge request, challenge, action, decision, through
// the real server, Keeper (bbolt file, durable audit) and devices. ns/op
// is the whole exchange, the phone's proof signature included. Frames and
// bytes both ways are per unlock. ATT round trips are the times the phone
// waits for the hub over the air (Phone.RoundTrips): writing without
// response, as the protocol has phones do, one per request (its answer);
// the "with-response" runs show what writes with response would cost (each
// write waits for its response, then the answer).
func BenchmarkBLEUnlock(b *testing.B) {
	for _, c := range []struct {
		name         string
		mtu          int
		withResponse bool
	}{{"mtu=23", 23, false}, {"mtu=247", 247, false}, {"mtu=247/with-response", 247, true}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, Limits{FramesPerSecond: 1e9, FragmentsPerSecond: 1e9, IdleTimeout: time.Hour})
			chain, key := e.grant(wire.P256, localauth.GrantSpec{Name: "ann", Role: wire.RoleResident, Devices: []string{"*"}})
			l := e.mustConnect(c.mtu)
			l.withResponse = c.withResponse
			p := NewPhone(l)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if _, err := p.Act(ctx, chain, key, "light", "toggle", ""); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(p.Sent.Fragments)/n, "writes/unlock")
			b.ReportMetric(float64(p.Received.Fragments)/n, "notifications/unlock")
			b.ReportMetric(float64(p.Sent.Bytes+p.Received.Bytes)/n, "bytes/unlock")
			b.ReportMetric(float64(p.RoundTrips)/n, "att-round-trips/unlock")
		})
	}
}

// BenchmarkBLEHubUnlock is the hub's work alone per unlock at MTU 247:
// reassembling and decoding the challenge request, issuing the signed
// challenge, reassembling and decoding the action, the decision (chain and
// P-256 holder proof verified, durable audit append), the device action
// (durable) and encoding the answers. The phone's work (checking the
// challenge, signing the proof, encoding and splitting) runs with the timer
// stopped, so ns/op is the hub's alone. hub-cpu-µs/unlock is the process's
// user+system CPU time (getrusage) over the same timed parts: the hub's
// work, its bbolt commits and any GC they cause, without the fsync waits.
func BenchmarkBLEHubUnlock(b *testing.B) {
	const mtu = 247
	e := newEnv(b, Limits{FramesPerSecond: 1e9, FragmentsPerSecond: 1e9, IdleTimeout: time.Hour})
	chain, key := e.grant(wire.P256, localauth.GrantSpec{Name: "ann", Role: wire.RoleResident, Devices: []string{"*"}})
	l := e.mustConnect(mtu)
	req, err := EncodeFrame(TypeChallengeRequest, 1, "", wire.ChallengeRequest{Device: "light", Action: "toggle"})
	if err != nil {
		b.Fatal(err)
	}
	reqFrags := Split(req, WriteChunk(mtu))
	answer := func() *Frame { // the phone reads the hub's answer
		re := NewReassembler(MaxFrameLimit)
		for n := range l.notes {
			fs, err := re.Feed(n[IDSize:])
			if err != nil {
				b.Fatal(err)
			}
			if len(fs) > 0 {
				f, err := DecodeFrame(fs[0])
				if err != nil {
					b.Fatal(err)
				}
				return f
			}
		}
		b.Fatal("link closed")
		return nil
	}
	var cpu time.Duration
	hub := func(frags [][]byte) {
		before := benchtest.CPUTime(b)
		b.StartTimer()
		for _, f := range frags {
			if err := l.Write(f); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu += benchtest.CPUTime(b) - before
	}
	b.StopTimer()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hub(reqFrags)
		var ans wire.ChallengeAnswer
		if f := answer(); f.Type != TypeChallenge || DecodeBody(f, &ans) != nil {
			b.Fatalf("answer %+v to a challenge request", f)
		}
		ch, _, err := wire.ParseChallenge(ans.Challenge)
		if err != nil {
			b.Fatal(err)
		}
		proof, err := wire.SignProof(key, &wire.Proof{Nonce: ch.Nonce, Hub: ch.Hub, Device: "light", Action: "toggle"})
		if err != nil {
			b.Fatal(err)
		}
		act, err := EncodeFrame(TypeAction, 2, "light", wire.ActionRequest{Action: "toggle", Chain: chain, Proof: proof})
		if err != nil {
			b.Fatal(err)
		}
		hub(Split(act, WriteChunk(mtu)))
		var d Decision
		if f := answer(); f.Type != TypeDecision || DecodeBody(f, &d) != nil || !d.Decision.Granted {
			b.Fatalf("answer %+v to an action", d)
		}
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "hub-cpu-µs/unlock")
}

// BenchmarkBLEHubUnlockARM64 runs BenchmarkBLEHubUnlock twice in one run,
// under the same conditions: this package's test binary built for the host
// and for linux/arm64, each started with the same flags, the arm64 one
// under qemu-aarch64-static (user-mode emulation: slower than a Pi's
// cores, and its fsyncs are the host's). It reports both and the ratio.
func BenchmarkBLEHubUnlockARM64(b *testing.B) {
	qemu := benchtest.Qemu(b)
	host, arm := benchtest.TestBinaries(b, "ble")
	args := []string{"-test.run=^$", "-test.bench=^BenchmarkBLEHubUnlock$", "-test.benchtime=50x"}
	var hostM, armM map[string]float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hostM = benchtest.Metrics(b, "BenchmarkBLEHubUnlock", append([]string{host}, args...)...)
		armM = benchtest.Metrics(b, "BenchmarkBLEHubUnlock", append([]string{qemu, arm}, args...)...)
	}
	b.ReportMetric(hostM["ns/op"]/1e3, "host-hub-µs/unlock")
	b.ReportMetric(hostM["hub-cpu-µs/unlock"], "host-hub-cpu-µs/unlock")
	b.ReportMetric(armM["ns/op"]/1e3, "qemu-arm64-hub-µs/unlock")
	b.ReportMetric(armM["hub-cpu-µs/unlock"], "qemu-arm64-hub-cpu-µs/unlock")
	b.ReportMetric(armM["hub-cpu-µs/unlock"]/hostM["hub-cpu-µs/unlock"], "cpu-ratio-qemu/host")
}
