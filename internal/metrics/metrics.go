// Package metrics owns the agent's Prometheus metrics and their local-only
// HTTP endpoint (/metrics in the Prometheus text format). It keeps the
// counters and histograms that only events can tell (decisions, recorded
// events, commit and action latencies) and reads the rest from the parts
// that own them at each scrape (the cloud link, the outbox, the time floor,
// the store's size, the sessions), so that no number has two owners.
//
// Every metric is named in docs/operations.md; the test checks that list
// against a scrape.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
)

// Namespace prefixes every metric.
const Namespace = "edgeagent"

// Cloud is the cloud link's state at a scrape.
type Cloud struct {
	Connected bool
	Attempts  uint64            // connection attempts since start
	Pending   map[string]int    // queued events per class
	Oldest    time.Duration     // age of the oldest queued event; 0 when none
	Shed      map[string]uint64 // shed by the class bounds since start
	Sent      time.Time         // last event acknowledged; zero: none
}

// Sources are read at each scrape; a nil source's metrics are absent (a hub
// without a cloud link has no cloud metrics).
type Sources struct {
	Cloud       func() Cloud
	Time        func() localauth.TimeStatus
	StoreSize   func() int64
	LANSessions func() int
	// BLESessions is the BLE transport's open sessions: set it where BLE is
	// wired (edgeagent_ble_sessions is absent until then).
	BLESessions func() int
	// HA reports the Home Assistant bridge: connected to its broker.
	HA func() bool
}

// Metrics is the registry. Its observers (Committed, Recorded, Decided,
// ActionTook) are safe for concurrent use.
type Metrics struct {
	reg       *prometheus.Registry
	src       Sources
	decisions *prometheus.CounterVec
	recorded  *prometheus.CounterVec
	commits   *prometheus.HistogramVec
	actions   *prometheus.HistogramVec
	haCmds    *prometheus.CounterVec
	hkCmds    *prometheus.CounterVec
}

// New makes a registry with the agent's metrics and Go's runtime ones.
func New(src Sources) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), src: src}
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "decisions_total",
		Help: "Access decisions recorded in the audit log, by result (granted, denied), reason code and transport.",
	}, []string{"result", "reason", "transport"})
	m.recorded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "events_recorded_total",
		Help: "Events made durable in the event log, by class (audit, state, telemetry).",
	}, []string{"class"})
	m.commits = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "store_commit_seconds",
		Help: "Time of one group commit of the store (bbolt Update with its fsync), by result (ok, error).",
		// An SD card's fsync: from a millisecond to a stuck second.
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"result"})
	m.actions = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "gpio_action_seconds",
		Help:    "Time from an accepted action to its outputs set, by device kind and action.",
		Buckets: []float64{.00001, .00005, .0001, .0005, .001, .005, .01, .05, .1},
	}, []string{"kind", "action"})
	m.haCmds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "homeassistant_commands_total",
		Help: "Commands received from Home Assistant, by result (granted, denied, invalid, failed).",
	}, []string{"result"})
	m.hkCmds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "homekit_commands_total",
		Help: "Characteristic writes from HomeKit controllers, by result (granted, denied, failed).",
	}, []string{"result"})
	m.reg.MustRegister(m.decisions, m.recorded, m.commits, m.actions, m.haCmds, m.hkCmds, scrape{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Known label values start at zero, so that a rate() over a fresh
	// start sees the first one.
	for _, c := range []store.Class{store.ClassAudit, store.ClassState, store.ClassTelemetry} {
		m.recorded.WithLabelValues(string(c))
	}
	m.commits.WithLabelValues("ok")
	for _, r := range []string{"granted", "denied", "invalid", "failed"} {
		m.haCmds.WithLabelValues(r)
	}
	for _, r := range []string{"granted", "denied", "failed"} {
		m.hkCmds.WithLabelValues(r)
	}
	return m
}

// Committed implements store.Observer.
func (m *Metrics) Committed(d time.Duration, err error) {
	r := "ok"
	if err != nil {
		r = "error"
	}
	m.commits.WithLabelValues(r).Observe(d.Seconds())
}

// Recorded implements store.Observer.
func (m *Metrics) Recorded(c store.Class) { m.recorded.WithLabelValues(string(c)).Inc() }

// Decided is a localauth.DecisionObserver.
func (m *Metrics) Decided(d localauth.Decision, transport string) {
	r := "denied"
	if d.Granted {
		r = "granted"
	}
	m.decisions.WithLabelValues(r, string(d.Reason), transport).Inc()
}

// ActionTook is a devices.ActionTimer.
func (m *Metrics) ActionTook(kind, action string, took time.Duration) {
	m.actions.WithLabelValues(kind, action).Observe(took.Seconds())
}

// HACommand counts one command from Home Assistant.
func (m *Metrics) HACommand(result string) { m.haCmds.WithLabelValues(result).Inc() }

// HomeKitCommand counts one write from a HomeKit controller.
func (m *Metrics) HomeKitCommand(result string) { m.hkCmds.WithLabelValues(result).Inc() }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil, ErrorHandling: promhttp.ContinueOnError, MaxRequestsInFlight: 2, Timeout: 5 * time.Second})
}

// Serve serves /metrics on ln until ctx ends, then shuts down within a
// second.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("metrics: shutdown", "err", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return ctx.Err()
}

// scrape reads the sources at each scrape.
type scrape struct{ m *Metrics }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
}

var (
	descCloudUp       = desc("cloud_connected", "1 while the cloud MQTT link is up.")
	descCloudAttempts = desc("cloud_connect_attempts_total", "Connection attempts of the cloud link since start (reconnects are attempts after the first).")
	descPending       = desc("outbox_pending", "Events queued for the cloud, by class.", "class")
	descOldest        = desc("outbox_oldest_age_seconds", "Age of the oldest event queued for the cloud (all classes: the outbox drains in one order); 0 when empty.")
	descShed          = desc("events_shed_total", "Events shed by the outbox's class bounds since start, by class (audit is never shed).", "class")
	descLastSync      = desc("cloud_last_ack_timestamp_seconds", "When the broker last acknowledged an event (Unix seconds); absent before the first.")
	descFloor         = desc("time_floor_timestamp_seconds", "The trusted-time floor (Unix seconds).")
	descFloorLag      = desc("time_floor_lag_seconds", "Wall clock minus the trusted-time floor: large when the clock jumped or the floor is behind.")
	descAnchorAge     = desc("time_anchor_age_seconds", "Age of the last time anchor (signed timestamp or NTP); -1 with none in this run.")
	descTrusted       = desc("time_trusted", "1 when the last time anchor is within the bound that requires_trusted_time grants need.")
	descStoreSize     = desc("store_size_bytes", "Size of the store file.")
	descLAN           = desc("lan_sessions", "Open LAN sessions (PIN logins).")
	descBLE           = desc("ble_sessions", "Open BLE sessions.")
	descHA            = desc("homeassistant_connected", "1 while the Home Assistant bridge is connected to its broker.")
)

func (s scrape) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCloudUp, descCloudAttempts, descPending, descOldest, descShed, descLastSync,
		descFloor, descFloorLag, descAnchorAge, descTrusted, descStoreSize, descLAN, descBLE, descHA} {
		ch <- d
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s scrape) Collect(ch chan<- prometheus.Metric) {
	src := s.m.src
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	if src.Cloud != nil {
		c := src.Cloud()
		gauge(descCloudUp, b2f(c.Connected))
		counter(descCloudAttempts, float64(c.Attempts))
		gauge(descOldest, c.Oldest.Seconds())
		for _, class := range []store.Class{store.ClassAudit, store.ClassState, store.ClassTelemetry} {
			gauge(descPending, float64(c.Pending[string(class)]), string(class))
			counter(descShed, float64(c.Shed[string(class)]), string(class))
		}
		if !c.Sent.IsZero() {
			gauge(descLastSync, float64(c.Sent.UnixMilli())/1000)
		}
	}
	if src.Time != nil {
		t := src.Time()
		gauge(descFloor, float64(t.Floor.UnixMilli())/1000)
		gauge(descFloorLag, t.Wall.Sub(t.Floor).Seconds())
		age := -1.0
		if t.AnchorAge >= 0 {
			age = t.AnchorAge.Seconds()
		}
		gauge(descAnchorAge, age)
		gauge(descTrusted, b2f(t.Trusted))
	}
	if src.StoreSize != nil {
		gauge(descStoreSize, float64(src.StoreSize()))
	}
	if src.LANSessions != nil {
		gauge(descLAN, float64(src.LANSessions()))
	}
	if src.BLESessions != nil {
		gauge(descBLE, float64(src.BLESessions()))
	}
	if src.HA != nil {
		gauge(descHA, b2f(src.HA()))
	}
}
