package main

// The parts that fit the homes people already run: Prometheus metrics, the
// Home Assistant bridge on a local MQTT broker, the HomeKit bridge
// (homekit.go). Each builder returns nil when
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
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/metrics"
	"github.com/edgeagent/edgeagent/internal/sync/cloud"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// homesPart is the metrics endpoint and the Home Assistant bridge (each nil
// when its section is off), and runs the HomeKit bridge (built before the
// LAN: homekit.go).
type homesPart struct {
	metrics *metrics.Metrics
	ha      *homeassistant.Bridge
	runs    []service
}

// newHomes builds the Home Assistant bridge and takes the HomeKit one (built
// before the LAN, which shows its setup code), then the metrics that count
// their commands and read the cloud link's and the LAN API's status (each
// nil when that part is not running).
func newHomes(p *parts, hk *homekitPart, cloudStatus func() cloud.Status, lanInfo func() localapi.LANInfo) (*homesPart, error) {
	h := &homesPart{}
	ha, err := newHA(p, func(result string) {
		if h.metrics != nil {
			h.metrics.HACommand(result)
		}
	})
	if err != nil {
		return nil, err
	}
	if ha != nil {
		h.ha = ha.bridge
		h.runs = append(h.runs, service{name: "home assistant", run: ha.run, optional: true})
	}
	hk.count = func(result string) {
		if h.metrics != nil {
			h.metrics.HomeKitCommand(result)
		}
	}
	h.runs = append(h.runs, hk.services()...)
	m, run, err := newMetrics(p, h.ha, cloudStatus, lanInfo)
	if err != nil {
		return nil, err
	}
	if m != nil {
		h.metrics = m
		h.runs = append(h.runs, service{name: "metrics", run: run, optional: true})
	}
	return h, nil
}

func (h *homesPart) services() []service { return h.runs }

// newMetrics serves /metrics when metrics.listen names an address.
func newMetrics(p *parts, ha *homeassistant.Bridge, cloudStatus func() cloud.Status, lanInfo func() localapi.LANInfo) (*metrics.Metrics, func(context.Context) error, error) {
	listen := p.cfg.Metrics.Listen
	if listen == "" {
		return nil, nil, nil
	}
	src := metrics.Sources{
		Time:      p.keeper.TimeStatus,
		StoreSize: func() int64 { return p.store.Health().SizeBytes },
	}
	if cloudStatus != nil {
		src.Cloud = func() metrics.Cloud {
			st := cloudStatus()
			c := metrics.Cloud{Connected: st.Connected, Attempts: st.Attempts, Pending: st.Pending, Shed: st.Dropped, Sent: st.LastSync}
			if !st.OldestPending.IsZero() {
				c.Oldest = time.Duration(st.OldestPendingS * float64(time.Second))
			}
			return c
		}
	}
	if lanInfo != nil {
		src.LANSessions = func() int { return lanInfo().Sessions }
	}
	if ha != nil {
		src.HA = ha.Connected
	}
	m := metrics.New(src)
	p.store.Observe(m)
	p.hub.ObserveActions(m.ActionTook)
	p.keeper.ObserveDecisions(m.Decided)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: %w", err)
	}
	p.log.Info("metrics", "listen", ln.Addr().String())
	log := p.log.With("part", "metrics")
	return m, func(ctx context.Context) error { return m.Serve(ctx, ln, log) }, nil
}

// haPart is the bridge and what runs it.
type haPart struct {
	bridge *homeassistant.Bridge
	run    func(ctx context.Context) error
}

// newHA builds the Home Assistant bridge from [homeassistant]: the
// embedded broker on homeassistant.listen, or an external broker, with
// discovery, state and commands acting as the configured principal. Nil
// when the section is off.
func newHA(p *parts, onCommand func(result string)) (*haPart, error) {
	h := p.cfg.HomeAssistant
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
	topics := homeassistant.Topics{Prefix: h.TopicPrefix + "/" + p.cfg.Site, Discovery: h.DiscoveryPrefix, Node: p.cfg.Site}
	opts := homeassistant.Options{
		Broker: h.Broker, Username: h.Username, Password: password, Topics: topics, QoS: 1,
		Principal: localauth.Principal{Name: h.Principal, Role: wire.Role(h.Role), Devices: h.Devices, Actions: h.Actions},
		Devices:   p.hub, Decider: p.keeper, Events: p.store,
		DeviceInfo: map[string]any{"manufacturer": "edgeagent", "model": "edgeagent hub", "sw_version": version},
		OnCommand:  onCommand,
		Log:        p.log.With("part", "homeassistant"),
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
		p.log.Info("homeassistant broker", "listen", ln.Addr().String(), "user", h.Username)
	}
	bridge, err := homeassistant.New(opts)
	if err != nil {
		return nil, err
	}
	p.log.Info("homeassistant bridge", "broker", opts.Broker, "principal", h.Principal, "role", h.Role, "actions", h.Actions)
	return &haPart{bridge: bridge, run: func(ctx context.Context) error {
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
	}}, nil
}
