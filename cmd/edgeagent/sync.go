package main

import (
	"bufio"
	"cmp"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/sync/chunk"
	"github.com/edgeagent/edgeagent/internal/sync/cloud"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/sync/outbox"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// syncPart is the cloud link, ready to run. A nil *syncPart is the agent
// without one (no broker configured): it runs local-only.
type syncPart struct {
	svc *cloud.Service
}

// newSync builds the cloud link from the [mqtt] section (and --broker),
// nil without a broker. Its loop is registered on p.live as not required:
// offline is normal, and the watchdog keeps pinging while the cloud is down.
func newSync(p *parts) (*syncPart, error) {
	m := p.cfg.MQTT
	if m.Broker == "" {
		return nil, nil
	}
	// The broker URL was checked with the config, or as --broker (loadConfig).
	m = m.WithDefaults(p.cfg.Site)
	password := m.Password
	if m.PasswordFile != "" {
		pw, err := readFirstLine(m.PasswordFile)
		if err != nil {
			return nil, configError{fmt.Errorf("mqtt.password_file: %w", err)}
		}
		password = pw
	}
	var tlsCfg *tls.Config
	if config.IsTLS(m.Broker) {
		var err error
		if tlsCfg, err = brokerTLS(m); err != nil {
			return nil, configError{err}
		}
	}
	svc, err := cloud.New(cloud.Options{
		Site:        p.cfg.Site,
		Store:       p.store,
		Devices:     p.hub,
		Keeper:      p.keeper,
		Authorities: p.authorities,
		Link: mqttlink.Options{
			Broker: m.Broker, ClientID: m.ClientID, Username: m.Username, Password: password, TLS: tlsCfg,
			KeepAlive: m.KeepAlive.D(), ConnectTimeout: m.ConnectTimeout.D(), PersistentSession: *m.PersistentSession,
			StartDelay: m.StartJitter.D(),
			Backoff:    mqttlink.Backoff{Min: m.BackoffMin.D(), Max: m.BackoffMax.D(), Reset: m.BackoffReset.D()},
		},
		TopicPrefix:   m.TopicPrefix,
		Window:        m.Window,
		DrainRate:     m.DrainRate,
		StateInterval: m.StateInterval.D(),
		Limits:        outbox.Limits{Audit: m.MaxPendingAudit, State: m.MaxPendingState, Telemetry: m.MaxPendingTelemetry},
		Liveness:      p.live,
		Log:           p.log.With("part", "cloud"),
	})
	if err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	p.log.Info("cloud link configured", "broker", m.Broker, "client_id", m.ClientID, "topic_prefix", cmp.Or(m.TopicPrefix, cloud.DefaultTopicPrefix))
	return &syncPart{svc: svc}, nil
}

// services is the cloud loop, optional: a failing link never stops local
// control.
func (s *syncPart) services() []service {
	if s == nil {
		return nil
	}
	return []service{{name: "cloud", run: s.svc.Run, optional: true}}
}

// status is the admin status's "cloud" part; nil without a link.
func (s *syncPart) status() func() cloud.Status {
	if s == nil {
		return nil
	}
	return s.svc.Status
}

// banner is what the residents' web app shows of the link; nil without a
// link ("no cloud link configured", no banner).
func (s *syncPart) banner() func() localapi.CloudStatus {
	if s == nil {
		return nil
	}
	return func() localapi.CloudStatus {
		st := s.svc.Status()
		return localapi.CloudStatus{Reachable: st.Connected, Since: st.Since, Waiting: st.PendingTotal}
	}
}

// brokerTLS loads the CA bundle and the client certificate.
func brokerTLS(m config.MQTT) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.CAFile != "" {
		pem, err := os.ReadFile(m.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt.ca_file %s: no PEM certificate in it", m.CAFile)
		}
		cfg.RootCAs = pool
	}
	if m.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(m.CertFile, m.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.cert_file/key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func readFirstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("%s: empty", path)
	}
	return line, nil
}

// issuedAt parses --issued-at (RFC 3339; default now).
func issuedAt(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--issued-at %q is not an RFC 3339 time (e.g. 2026-01-01T08:00:00Z)", s)
	}
	return t, nil
}

// cmdCommand is `edgeagent command sign`: the cloud's side of a command,
// offline, for tests and operators (`mosquitto_pub -t {prefix}/{site}/cmd
// -q 1 -f FILE`).
func cmdCommand(args []string, stdout io.Writer) error {
	const use = "usage: edgeagent command sign --authority DIR --site ID --device ID --action ACTION [--value V] [--expires-in 30s] [--issued-at T] [--id HEX] --out FILE"
	if len(args) == 0 || args[0] != "sign" {
		return usagef(use)
	}
	var authority, site, device, action, value, id, at, out string
	var expiresIn time.Duration
	fs := newFlagSet("command sign")
	fs.StringVar(&authority, "authority", "", "authority directory (authority.key)")
	fs.StringVar(&site, "site", "", "site id")
	fs.StringVar(&device, "device", "", "device id")
	fs.StringVar(&action, "action", "", "action (lock, unlock, on, off, set-setpoint, ...)")
	fs.StringVar(&value, "value", "", "the action's value, if it takes one")
	fs.DurationVar(&expiresIn, "expires-in", 30*time.Second, "lifetime; the hub refuses the command after it")
	fs.StringVar(&at, "issued-at", "", "issue time, RFC 3339 (default now)")
	fs.StringVar(&id, "id", "", "command id, 32 hex digits (default random)")
	fs.StringVar(&out, "out", "", "output file")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 || authority == "" || site == "" || device == "" || action == "" || out == "" {
		return usagef(use)
	}
	if expiresIn < time.Second || expiresIn > wire.MaxCommandLifetime*time.Second {
		return usagef("--expires-in %s is outside 1s..24h", expiresIn)
	}
	iat, err := issuedAt(at)
	if err != nil {
		return err
	}
	c := &wire.Command{Site: site, Device: device, Action: action, Value: value,
		IssuedAt: iat.Unix(), ExpiresAt: iat.Add(expiresIn).Unix()}
	if id == "" {
		c.ID = make([]byte, wire.IDSize)
		if _, err := rand.Read(c.ID); err != nil {
			return err
		}
	} else {
		v, err := wire.ParseID(id)
		if err != nil {
			return usagef("--id: %v", err)
		}
		c.ID = v[:]
	}
	signer, err := localauth.LoadAuthority(authority)
	if err != nil {
		return err
	}
	b, err := wire.SignCommand(signer, c)
	if err != nil {
		return err
	}
	if err := writeCredential(out, b); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "command %s: %s %s %s for %s, expires %s, written to %s\n", hex.EncodeToString(c.ID), device, action, value, site,
		time.Unix(c.ExpiresAt, 0).UTC().Format(time.RFC3339), out)
	return nil
}

// assignFlag collects repeatable ID=VALUE flags.
type assignFlag [][2]string

func (a *assignFlag) String() string { return fmt.Sprint(*a) }
func (a *assignFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" || val == "" {
		return fmt.Errorf("%q is not DEVICE=VALUE", v)
	}
	*a = append(*a, [2]string{k, val})
	return nil
}

// cmdSettings is `edgeagent settings sign`: a signed desired-settings
// document (`mosquitto_pub -t {prefix}/{site}/cfg -q 1 -r -f FILE`).
func cmdSettings(args []string, stdout io.Writer) error {
	const use = "usage: edgeagent settings sign --authority DIR --site ID --version N [--boiler-mode ID=heat|off]... [--boiler-setpoint ID=21.5]... [--issued-at T] --out FILE"
	if len(args) == 0 || args[0] != "sign" {
		return usagef(use)
	}
	var authority, site, at, out string
	var version uint64
	var modes, setpoints assignFlag
	fs := newFlagSet("settings sign")
	fs.StringVar(&authority, "authority", "", "authority directory (authority.key)")
	fs.StringVar(&site, "site", "", "site id")
	fs.Uint64Var(&version, "version", 0, "version: above every earlier one")
	fs.Var(&modes, "boiler-mode", "boiler mode, ID=heat or ID=off (repeatable)")
	fs.Var(&setpoints, "boiler-setpoint", "boiler setpoint in °C, ID=21.5 (repeatable)")
	fs.StringVar(&at, "issued-at", "", "issue time, RFC 3339 (default now)")
	fs.StringVar(&out, "out", "", "output file")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 || authority == "" || site == "" || version == 0 || out == "" {
		return usagef(use)
	}
	iat, err := issuedAt(at)
	if err != nil {
		return err
	}
	doc := &wire.Settings{Site: site, IssuedAt: iat.Unix(), Version: version}
	idx := map[string]int{}
	entry := func(id string) *wire.BoilerSettings {
		if i, ok := idx[id]; ok {
			return &doc.Boilers[i]
		}
		idx[id] = len(doc.Boilers)
		doc.Boilers = append(doc.Boilers, wire.BoilerSettings{Device: id})
		return &doc.Boilers[len(doc.Boilers)-1]
	}
	for _, m := range modes {
		entry(m[0]).Mode = m[1]
	}
	for _, sp := range setpoints {
		v, err := strconv.ParseFloat(sp[1], 64)
		if err != nil {
			return usagef("--boiler-setpoint %s=%s: not a number", sp[0], sp[1])
		}
		entry(sp[0]).Setpoint = &v
	}
	signer, err := localauth.LoadAuthority(authority)
	if err != nil {
		return err
	}
	b, err := wire.SignSettings(signer, doc)
	if err != nil {
		return usagef("%v", err)
	}
	if err := writeCredential(out, b); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "settings version %d for %s (%d boilers) written to %s\n", version, site, len(doc.Boilers), out)
	return nil
}

// cmdSplit is `edgeagent split FILE --out PREFIX [--max BYTES]`: a signed
// document larger than one MQTT payload (a big revocation snapshot) cut
// into parts PREFIX.0, PREFIX.1, ... to publish on {prefix}/{site}/cred/NAME/0,
// .../1, ... (docs/protocol.md, "Split documents"). A document that fits is
// written whole to PREFIX.0.
func cmdSplit(args []string, stdout io.Writer) error {
	const use = "usage: edgeagent split FILE --out PREFIX [--max BYTES]"
	var out string
	var maxBytes int
	fs := newFlagSet("split")
	fs.StringVar(&out, "out", "", "output prefix")
	fs.IntVar(&maxBytes, "max", outbox.MaxPayload, "largest payload")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || out == "" {
		return usagef(use)
	}
	doc, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	parts, err := chunk.Split(doc, maxBytes)
	if err != nil {
		return err
	}
	for i, p := range parts {
		if err := writeCredential(fmt.Sprintf("%s.%d", out, i), p); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s: %d bytes in %d part(s): %s.0 .. %s.%d\n", pos[0], len(doc), len(parts), out, out, len(parts)-1)
	return nil
}
