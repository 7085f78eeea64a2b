package main

// The parts that fit the homes people already run: Prometheus metrics, the
// Home Assistant bridge on a local MQTT broker. Each builder returns nil when
// its section is off, and never blocks local control (principle 1).

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/edgeagent/edgeagent/internal/homeassistant"
	"github.com/edgeagent/edgeagent/internal/homekit"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/metrics"
	"github.com/edgeagent/edgeagent/internal/sync/cloud"
	"github.com/edgeagent/edgeagent/internal/wire"
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
	if a.homes.ha != nil {
		src.HA = a.homes.ha.Connected
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
	metrics *metrics.Metrics      // nil when off
	ha      *homeassistant.Bridge // nil when off
	homekit *homekit.Bridge       // nil when off (homekit.go)
}

// haService builds the Home Assistant bridge from [homeassistant]: the
// embedded broker on homeassistant.listen, or an external broker, with
// discovery, state and commands acting as the configured principal.
func (a *agent) haService() (service, error) {
	h := a.cfg.HomeAssistant
	if !h.Enabled() {
		return nil, nil
	}
	h = h.WithDefaults()
	var password string
	if h.PasswordFile != "" {
		p, err := readFirstLine(h.PasswordFile)
		if err != nil {
			return nil, configError{fmt.Errorf("homeassistant.password_file: %w", err)}
		}
		password = p
	}
	topics := homeassistant.Topics{Prefix: h.TopicPrefix + "/" + a.cfg.Site, Discovery: h.DiscoveryPrefix, Node: a.cfg.Site}
	opts := homeassistant.Options{
		Broker: h.Broker, Username: h.Username, Password: password, Topics: topics, QoS: 1,
		Principal: localauth.Principal{Name: h.Principal, Role: wire.Role(h.Role), Devices: h.Devices, Actions: h.Actions},
		Devices:   a.hub, Decider: a.keeper, Events: a.store,
		DeviceInfo: map[string]any{"manufacturer": "edgeagent", "model": "edgeagent hub", "sw_version": version},
		OnCommand: func(result string) {
			if m := a.homes.metrics; m != nil {
				m.HACommand(result)
			}
		},
		Log: a.log.With("part", "homeassistant"),
	}
	var broker *homeassistant.Broker
	if h.Listen != "" {
		ln, err := net.Listen("tcp", h.Listen)
		if err != nil {
			return nil, fmt.Errorf("homeassistant.listen: %w", err)
		}
		// The bridge's own login, made for this run and never written down.
		opts.Username, opts.Password = "edgeagent-bridge", rand.Text()
		broker, err = homeassistant.NewBroker(homeassistant.BrokerOptions{
			Listener: ln, User: h.Username, Password: password, Bridge: opts.Username, BridgePassword: opts.Password,
			Topics: topics, Log: opts.Log,
		})
		if err != nil {
			ln.Close()
			return nil, err
		}
		opts.Broker, opts.QoS = "tcp://"+ln.Addr().String(), 0 // see homeassistant.Options.QoS
		a.log.Info("homeassistant broker", "listen", ln.Addr().String(), "user", h.Username)
	}
	bridge, err := homeassistant.New(opts)
	if err != nil {
		return nil, err
	}
	a.homes.ha = bridge
	a.log.Info("homeassistant bridge", "broker", opts.Broker, "principal", h.Principal, "role", h.Role, "actions", h.Actions)
	return func(ctx context.Context) error {
		if broker == nil {
			return bridge.Run(ctx)
		}
		var wg sync.WaitGroup
		var brokerErr error
		// The broker outlives the bridge by a moment: the bridge says
		// "offline" through it on the way out.
		bctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		wg.Go(func() { brokerErr = broker.Serve(bctx) })
		err := bridge.Run(ctx)
		stop()
		wg.Wait()
		return errors.Join(err, brokerErr)
	}, nil
}
