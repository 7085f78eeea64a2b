package main

// The parts that fit the homes people already run: Prometheus metrics, the
// Home Assistant bridge on a local MQTT broker. Each builder returns nil when
// its section is off, and never blocks local control (principle 1).

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/metrics"
	"github.com/edgeagent/edgeagent/internal/sync/cloud"
)

// metricsService serves /metrics when metrics.listen names an address. It
// is built after the cloud link and the LAN API, whose status it reads.
func (a *agent) metricsService() (service, error) {
	listen := a.cfg.Metrics.Listen
	if listen == "" {
		return nil, nil
	}
	src := metrics.Sources{
		Time:      a.keeper.TimeStatus,
		StoreSize: func() int64 { return a.store.Health().SizeBytes },
	}
	if a.admin.Cloud != nil {
		status := a.admin.Cloud
		src.Cloud = func() metrics.Cloud {
			st, _ := status().(cloud.Status) // set by syncService
			c := metrics.Cloud{Connected: st.Connected, Attempts: st.Attempts, Pending: st.Pending, Shed: st.Dropped, Sent: st.LastSync}
			if !st.OldestPending.IsZero() {
				c.Oldest = time.Duration(st.OldestPendingS * float64(time.Second))
			}
			return c
		}
	}
	if a.admin.LAN != nil {
		info := a.admin.LAN
		src.LANSessions = func() int {
			i, _ := info().(localapi.LANInfo) // set by lanService
			return i.Sessions
		}
	}
	m := metrics.New(src)
	a.homes.metrics = m
	a.store.Observe(m)
	a.hub.ObserveActions(m.ActionTook)
	a.keeper.ObserveDecisions(m.Decided)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	a.log.Info("metrics", "listen", ln.Addr().String())
	log := a.log.With("part", "metrics")
	return func(ctx context.Context) error { return m.Serve(ctx, ln, log) }, nil
}

// homes holds the parts of this file that others read.
type homes struct {
	metrics *metrics.Metrics // nil when off
}
