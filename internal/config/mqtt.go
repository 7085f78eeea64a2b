package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// MQTT configures the cloud link (packages under internal/sync). With no
// broker the agent runs local-only: nothing else depends on the link.
type MQTT struct {
	// Broker is the URL: tcp://host:1883 or ssl://host:8883 (also mqtt://,
	// tls://, mqtts://). Empty: no cloud link. `edgeagent run --broker URL`
	// overrides it.
	Broker string `toml:"broker"`
	// ClientID is the MQTT client id, unique per hub at the broker.
	// Default "edgeagent-{site}".
	ClientID string `toml:"client_id"`
	// Username and Password (or PasswordFile, whose first line is read at
	// start; not both) are sent in CONNECT.
	Username     string `toml:"username"`
	Password     string `toml:"password"`
	PasswordFile string `toml:"password_file"`
	// CAFile is a PEM bundle of the CAs that sign the broker's certificate
	// (TLS schemes only). Default: the system's roots.
	CAFile string `toml:"ca_file"`
	// CertFile and KeyFile are this hub's client certificate and key (PEM),
	// both or neither: what AWS IoT Core and most platforms require.
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
	// TopicPrefix is the first topic level(s): topics are
	// {prefix}/{site}/evt|state|status|cmd|cred|cfg. At most 4 levels, so
	// that no topic has more than 7 slashes. Default "edgeagent".
	TopicPrefix string `toml:"topic_prefix"`
	// KeepAlive is the MQTT keepalive; a connection that stops answering
	// (traffic blackholed, no FIN) is dropped within about twice this.
	// 1s..18h. Default 30s.
	KeepAlive Duration `toml:"keepalive"`
	// ConnectTimeout bounds a connection attempt (dial, TLS, CONNACK).
	// Default 10s.
	ConnectTimeout Duration `toml:"connect_timeout"`
	// PersistentSession asks the broker to keep this hub's subscriptions
	// and queue commands for it while it is away (they are still refused
	// once expired). Default true.
	PersistentSession *bool `toml:"persistent_session"`
	// StartJitter: the first connection after start waits a random time up
	// to this, so that hubs powered on together do not connect together.
	// Default 10s; "0s" turns it off.
	StartJitter *Duration `toml:"start_jitter"`
	// BackoffMin and BackoffMax bound the reconnect backoff (exponential,
	// full jitter); a connection that lasted BackoffReset resets it.
	// Defaults 1s, 2m, 30s.
	BackoffMin   Duration `toml:"backoff_min"`
	BackoffMax   Duration `toml:"backoff_max"`
	BackoffReset Duration `toml:"backoff_reset"`
	// DrainRate caps event publishes per second when a backlog drains.
	// Default 200.
	DrainRate float64 `toml:"drain_rate"`
	// Window is how many event publishes may await their PUBACK. 1..1000.
	// Default 64.
	Window int `toml:"window"`
	// StateInterval is the least time between two reported-state documents.
	// At least 200ms. Default 1s.
	StateInterval Duration `toml:"state_interval"`
	// MaxPendingAudit: at this many queued audit events an alarm is raised
	// and the status warns; audit events are never dropped. Default 500000.
	MaxPendingAudit int `toml:"max_pending_audit"`
	// MaxPendingState: beyond it, a queued state event is dropped when a
	// newer one of the same device and type is queued. Default 10000.
	MaxPendingState int `toml:"max_pending_state"`
	// MaxPendingTelemetry: beyond it, the oldest telemetry is dropped.
	// Default 50000.
	MaxPendingTelemetry int `toml:"max_pending_telemetry"`
}

// DefaultStartJitter is start_jitter's default. The config owns it (and
// the defaults of client_id and persistent_session) because only the file
// tells "unset" from "off"; every other key left at zero takes the default
// of the package that uses it (mqttlink, cloud, outbox), which owns it.
const DefaultStartJitter = 10 * time.Second

// WithDefaults returns m with the keys whose default the config owns set;
// site names the default client id. The config's own defaults pass leaves
// this section alone, so that `--broker` can turn the link on after loading.
func (m MQTT) WithDefaults(site string) MQTT {
	if m.ClientID == "" {
		m.ClientID = "edgeagent-" + site
	}
	if m.PersistentSession == nil {
		t := true
		m.PersistentSession = &t
	}
	if m.StartJitter == nil {
		d := Duration(DefaultStartJitter)
		m.StartJitter = &d
	}
	return m
}

// CheckBroker checks a broker URL (also the one given with --broker).
func CheckBroker(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q is not a URL like tcp://host:1883 or ssl://host:8883", s)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts":
	default:
		return fmt.Errorf("%q: scheme %q is not tcp, mqtt, ssl, tls or mqtts (websockets are not supported)", s, u.Scheme)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("%q: no path, query or user info (credentials go in username and password)", s)
	}
	return nil
}

// IsTLS reports whether a broker URL asks for TLS.
func IsTLS(broker string) bool {
	u, err := url.Parse(broker)
	return err == nil && (u.Scheme == "ssl" || u.Scheme == "tls" || u.Scheme == "mqtts")
}

func (m *MQTT) validate(v *validator) {
	const s = "mqtt"
	if m.Broker != "" {
		if err := CheckBroker(m.Broker); err != nil {
			v.fail(s+".broker", "%v", err)
		}
	}
	if m.ClientID != "" && (len(m.ClientID) > 128 || strings.ContainsAny(m.ClientID, "+#/\x00")) {
		v.fail(s+".client_id", "%q: at most 128 bytes, no + # / or NUL", m.ClientID)
	}
	if m.Password != "" && m.PasswordFile != "" {
		v.fail(s+".password_file", "set password or password_file, not both")
	}
	if (m.Password != "" || m.PasswordFile != "") && m.Username == "" {
		v.fail(s+".username", "missing (a password needs a username in MQTT 3.1.1)")
	}
	if (m.CertFile == "") != (m.KeyFile == "") {
		v.fail(s+".cert_file", "cert_file and key_file go together (the hub's client certificate and its key)")
	}
	if m.Broker != "" && !IsTLS(m.Broker) && (m.CAFile != "" || m.CertFile != "") {
		v.fail(s+".broker", "%q is not TLS, but ca_file or cert_file is set (use ssl://host:8883)", m.Broker)
	}
	if p := m.TopicPrefix; p != "" {
		levels := strings.Split(p, "/")
		switch {
		case strings.ContainsAny(p, "+#\x00") || strings.HasPrefix(p, "$"):
			v.fail(s+".topic_prefix", "%q: no wildcards (+ #), NUL or leading $", p)
		case len(levels) > 4:
			v.fail(s+".topic_prefix", "%q has %d levels, at most 4 (a topic may have at most 7 slashes)", p, len(levels))
		case strings.Contains("/"+p+"/", "//"):
			v.fail(s+".topic_prefix", "%q has an empty level", p)
		}
	}
	for _, k := range []struct {
		key string
		d   Duration
	}{{"keepalive", m.KeepAlive}, {"connect_timeout", m.ConnectTimeout}, {"backoff_min", m.BackoffMin},
		{"backoff_max", m.BackoffMax}, {"backoff_reset", m.BackoffReset}, {"state_interval", m.StateInterval}} {
		v.positive(s, k.key, k.d)
	}
	if m.StartJitter != nil {
		v.positive(s, "start_jitter", *m.StartJitter)
	}
	if ka := m.KeepAlive.D(); ka != 0 && (ka < time.Second || ka > 65535*time.Second) {
		v.fail(s+".keepalive", "%s is outside 1s..18h12m15s (MQTT keeps it in whole seconds, at most 65535)", ka)
	}
	if m.KeepAlive.D()%time.Second != 0 {
		v.fail(s+".keepalive", "%s is not whole seconds", m.KeepAlive.D())
	}
	if m.BackoffMin != 0 && m.BackoffMax != 0 && m.BackoffMax < m.BackoffMin {
		v.fail(s+".backoff_max", "%s is below backoff_min (%s)", m.BackoffMax.D(), m.BackoffMin.D())
	}
	if si := m.StateInterval.D(); si != 0 && si < 200*time.Millisecond {
		v.fail(s+".state_interval", "%s is below 200ms (the state document is coalesced, not streamed)", si)
	}
	if m.DrainRate < 0 || m.DrainRate != m.DrainRate {
		v.fail(s+".drain_rate", "%g is not a positive number of messages per second", m.DrainRate)
	}
	if m.Window < 0 || m.Window > 1000 {
		v.fail(s+".window", "%d is outside 1..1000", m.Window)
	}
	for _, k := range []struct {
		key string
		n   int
	}{{"max_pending_audit", m.MaxPendingAudit}, {"max_pending_state", m.MaxPendingState}, {"max_pending_telemetry", m.MaxPendingTelemetry}} {
		if k.n < 0 {
			v.fail(s+"."+k.key, "%d is negative", k.n)
		}
	}
}
