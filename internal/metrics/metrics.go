// Package metrics owns the agent's Prometheus metrics and their local-only
// HTTP endpoint (/metrics in the Prometheus text format, version 0.0.4). It
// keeps the counters and histograms that only events can tell (decisions,
// recorded events, commit and action latencies) and reads the rest from
// the parts that own them at each scrape (the cloud link, the outbox, the
// time floor, the store's size, the sessions), so that no number has two
// owners.
//
// The text format is written here, not by Prometheus's client library:
// that library's package initialisation (its default registry, Go
// collector and protobuf descriptors) ran at every start of the agent,
// with or without [metrics], and was the largest part of a cold start under
// emulation (docs/benchmarks.md). What it served and this package keeps:
// counters, gauges and histograms with labels, and the process and Go
// runtime figures an operator graphs (process_*, go_*).
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
	src       Sources
	decisions *vec
	recorded  *vec
	commits   *vec
	actions   *vec
	haCmds    *vec
	hkCmds    *vec
	scrapes   chan struct{} // at most cap(scrapes) scrapes at once
}

// New makes a registry with the agent's metrics and the process's.
func New(src Sources) *Metrics {
	m := &Metrics{src: src, scrapes: make(chan struct{}, 2)}
	m.decisions = newCounter("decisions_total",
		"Access decisions recorded in the audit log, by result (granted, denied), reason code and transport.",
		"result", "reason", "transport")
	m.recorded = newCounter("events_recorded_total",
		"Events made durable in the event log, by class (audit, state, telemetry).", "class")
	m.commits = newHistogram("store_commit_seconds",
		"Time of one group commit of the store (bbolt Update with its fsync), by result (ok, error).",
		// An SD card's fsync: from a millisecond to a stuck second.
		[]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}, "result")
	m.actions = newHistogram("gpio_action_seconds",
		"Time from an accepted action to its outputs set, by device kind and action.",
		[]float64{.00001, .00005, .0001, .0005, .001, .005, .01, .05, .1}, "kind", "action")
	m.haCmds = newCounter("homeassistant_commands_total",
		"Commands received from Home Assistant, by result (granted, denied, invalid, failed).", "result")
	m.hkCmds = newCounter("homekit_commands_total",
		"Characteristic writes from HomeKit controllers, by result (granted, denied, failed).", "result")
	// Known label values start at zero, so that a rate() over a fresh
	// start sees the first one.
	for _, c := range []store.Class{store.ClassAudit, store.ClassState, store.ClassTelemetry} {
		m.recorded.add(0, string(c))
	}
	m.commits.touch("ok")
	for _, r := range []string{"granted", "denied", "invalid", "failed"} {
		m.haCmds.add(0, r)
	}
	for _, r := range []string{"granted", "denied", "failed"} {
		m.hkCmds.add(0, r)
	}
	return m
}

// Committed implements store.Observer.
func (m *Metrics) Committed(d time.Duration, err error) {
	r := "ok"
	if err != nil {
		r = "error"
	}
	m.commits.observe(d.Seconds(), r)
}

// Recorded implements store.Observer.
func (m *Metrics) Recorded(c store.Class) { m.recorded.add(1, string(c)) }

// Decided is a localauth.DecisionObserver.
func (m *Metrics) Decided(d localauth.Decision, transport string) {
	r := "denied"
	if d.Granted {
		r = "granted"
	}
	m.decisions.add(1, r, string(d.Reason), transport)
}

// ActionTook is a devices.ActionTimer.
func (m *Metrics) ActionTook(kind, action string, took time.Duration) {
	m.actions.observe(took.Seconds(), kind, action)
}

// HACommand counts one command from Home Assistant.
func (m *Metrics) HACommand(result string) { m.haCmds.add(1, result) }

// HomeKitCommand counts one write from a HomeKit controller.
func (m *Metrics) HomeKitCommand(result string) { m.hkCmds.add(1, result) }

// Handler serves the registry in the Prometheus text format. At most two
// scrapes run at once; a third is answered 503, as a scraper stuck on a
// slow source must not pile up goroutines.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case m.scrapes <- struct{}{}:
			defer func() { <-m.scrapes }()
		default:
			http.Error(w, "too many scrapes at once", http.StatusServiceUnavailable)
			return
		}
		var e expo
		m.write(&e)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write(e.b)
	})
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

// write writes every family: the event counters and histograms, the
// sources' gauges, then the process's.
func (m *Metrics) write(e *expo) {
	for _, v := range []*vec{m.decisions, m.recorded, m.commits, m.actions, m.haCmds, m.hkCmds} {
		v.write(e)
	}
	m.writeSources(e)
	writeProcess(e)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (m *Metrics) writeSources(e *expo) {
	src := m.src
	if src.Cloud != nil {
		c := src.Cloud()
		e.one("cloud_connected", gauge, "1 while the cloud MQTT link is up.", b2f(c.Connected))
		e.one("cloud_connect_attempts_total", counter, "Connection attempts of the cloud link since start (reconnects are attempts after the first).", float64(c.Attempts))
		e.one("outbox_oldest_age_seconds", gauge, "Age of the oldest event queued for the cloud (all classes: the outbox drains in one order); 0 when empty.", c.Oldest.Seconds())
		classes := []store.Class{store.ClassAudit, store.ClassState, store.ClassTelemetry}
		e.family(Namespace+"_outbox_pending", gauge, "Events queued for the cloud, by class.")
		for _, class := range classes {
			e.sample(Namespace+"_outbox_pending", float64(c.Pending[string(class)]), "class", string(class))
		}
		e.family(Namespace+"_events_shed_total", counter, "Events shed by the outbox's class bounds since start, by class (audit is never shed).")
		for _, class := range classes {
			e.sample(Namespace+"_events_shed_total", float64(c.Shed[string(class)]), "class", string(class))
		}
		if !c.Sent.IsZero() {
			e.one("cloud_last_ack_timestamp_seconds", gauge, "When the broker last acknowledged an event (Unix seconds); absent before the first.", float64(c.Sent.UnixMilli())/1000)
		}
	}
	if src.Time != nil {
		t := src.Time()
		e.one("time_floor_timestamp_seconds", gauge, "The trusted-time floor (Unix seconds).", float64(t.Floor.UnixMilli())/1000)
		e.one("time_floor_lag_seconds", gauge, "Wall clock minus the trusted-time floor: large when the clock jumped or the floor is behind.", t.Wall.Sub(t.Floor).Seconds())
		age := -1.0
		if t.AnchorAge >= 0 {
			age = t.AnchorAge.Seconds()
		}
		e.one("time_anchor_age_seconds", gauge, "Age of the last time anchor (signed timestamp or NTP); -1 with none in this run.", age)
		e.one("time_trusted", gauge, "1 when the last time anchor is within the bound that requires_trusted_time grants need.", b2f(t.Trusted))
	}
	if src.StoreSize != nil {
		e.one("store_size_bytes", gauge, "Size of the store file.", float64(src.StoreSize()))
	}
	if src.LANSessions != nil {
		e.one("lan_sessions", gauge, "Open LAN sessions (PIN logins).", float64(src.LANSessions()))
	}
	if src.BLESessions != nil {
		e.one("ble_sessions", gauge, "Open BLE sessions.", float64(src.BLESessions()))
	}
	if src.HA != nil {
		e.one("homeassistant_connected", gauge, "1 while the Home Assistant bridge is connected to its broker.", b2f(src.HA()))
	}
}
