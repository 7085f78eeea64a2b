package ble

import (
	"context"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// BenchmarkBLEUnlock is one whole unlock over the in-memory transport at
// MTU 23 and 247: challenge request, challenge, action, decision, through
// the real server, Keeper (bbolt file, durable audit) and devices. ns/op
// is the whole exchange, the phone's proof signature included. Frames and
// bytes both ways are per unlock; a round trip is an ATT write request
// and its response (the phone writes with response, so that BlueZ keeps
// the fragments in order); notifications are not acknowledged.
func BenchmarkBLEUnlock(b *testing.B) {
	for _, mtu := range []int{23, 247} {
		b.Run(map[int]string{23: "mtu=23", 247: "mtu=247"}[mtu], func(b *testing.B) {
			e := newEnv(b, Limits{FramesPerSecond: 1e9, FragmentsPerSecond: 1e9, IdleTimeout: time.Hour})
			chain, key := e.grant(wire.Ed25519, localauth.GrantSpec{Name: "ann", Role: wire.RoleResident, Devices: []string{"*"}})
			l := e.mustConnect(mtu)
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
			// Every write is a write request: one ATT round trip each.
			b.ReportMetric(float64(p.Sent.Fragments)/n, "att-round-trips/unlock")
		})
	}
}
