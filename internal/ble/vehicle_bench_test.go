package ble

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// BenchmarkPhoneAtTheCar times the phone at the car: the BLE exchange
// (in memory, MTU 185, connected: challenge, P-256 proof, decision with its durable
// audit entry) until the lock command frame is on the bus (the simulated
// body controller has read it from the pipe). p50 and p99 over b.N.
func BenchmarkPhoneAtTheCar(b *testing.B) {
	e := newCarEnv(b)
	chain, key := e.grant(wire.P256, localauth.GrantSpec{Name: "ana", Role: wire.RoleDriver, Devices: []string{"*"}})
	phone := NewPhone(e.mustConnect(185))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		action := "unlock"
		if i%2 == 1 {
			action = "lock"
		}
		// A second between exchanges on the fake clock (outside the
		// timing): the per-connection rate limit stays out of the figure.
		e.clk.Advance(time.Second)
		_, seen := e.sim.Commands()
		start := time.Now()
		if _, err := phone.Act(context.Background(), chain, key, "door-fl", action, ""); err != nil {
			b.Fatal(err)
		}
		<-seen
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
