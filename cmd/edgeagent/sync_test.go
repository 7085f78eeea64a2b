package main

// Cloud sync through the built binary, against a real Mosquitto (Debian's
// package) started by the tests on loopback. The "cloud" is a paho client in
// the test. Every wait is bounded.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/hlc"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/cloud"
	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
	"github.com/edgeagent/edgeagent/internal/sync/outbox"
)

const syncSiteID = "sync-site"

// syncConfig: fast reconnects and a 1 s keepalive, so that outages and
// blackholes resolve within a test's patience.
const syncConfig = `site = "sync-site"
log_level = "debug"

[mqtt]
broker = %q
start_jitter = "0s"
keepalive = "1s"
backoff_min = "100ms"
backoff_max = "1s"
state_interval = "200ms"
%s

[[lock]]
id = "front-door"
relay = "GPIO17"
fail = "secure"
relock_after = "3s"

[[switch]]
id = "hall-light"
relay = "GPIO5"

[[boiler]]
id = "boiler"
relay = "GPIO6"
sensor = "28-00000a1b2c3d"
setpoint = 20.0
min_cycle = "1s"
poll = "1s"
stale_after = "5s"
`

type syncSite struct {
	t               *testing.T
	cfg, data, auth string
	topics          cloud.Topics
}

// newSyncSite writes a config pointing at broker (extra: more [mqtt] keys)
// and makes an authority.
func newSyncSite(t *testing.T, broker, extra string) *syncSite {
	t.Helper()
	dir := t.TempDir()
	s := &syncSite{t: t, cfg: filepath.Join(dir, "edgeagent.toml"), data: filepath.Join(dir, "data"), auth: filepath.Join(dir, "authority"),
		topics: cloud.NewTopics("edgeagent", syncSiteID)}
	if err := os.WriteFile(s.cfg, []byte(fmt.Sprintf(syncConfig, broker, extra)), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "", "authority", "init", "--dir", s.auth)
	return s
}

func (s *syncSite) start() *proc {
	s.t.Helper()
	return startAgent(s.t, s.cfg, s.data, "--authority", filepath.Join(s.auth, "authority.pub"))
}

// cloudStatus reads the "cloud" part of the agent's status.
func (a *proc) cloudStatus() cloud.Status {
	a.t.Helper()
	st, err := a.client.Status()
	if err != nil {
		a.t.Fatal(err)
	}
	if st.Cloud == nil {
		a.t.Fatal("status has no cloud part")
	}
	return *st.Cloud
}

// waitLong polls cond for at most d.
func waitLong(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// collector is the cloud's event consumer: it decodes every envelope and
// deduplicates by id, as the docs tell a cloud to.
type collector struct {
	t     *testing.T
	mu    sync.Mutex
	seen  map[string]*outbox.Envelope
	raw   map[string][]byte  // first arrival's payload, by id: a resend must be identical
	order []*outbox.Envelope // first arrivals
	dups  int
	bad   []string
}

func collect(t *testing.T, l *mqtttest.Listener) *collector {
	c := &collector{t: t, seen: map[string]*outbox.Envelope{}, raw: map[string][]byte{}}
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case m := <-l.C:
				e, err := outbox.DecodeEnvelope(m.Payload())
				c.mu.Lock()
				switch {
				case err != nil:
					c.bad = append(c.bad, err.Error())
				case c.seen[string(e.ID)] != nil:
					c.dups++
					if !bytes.Equal(c.raw[string(e.ID)], m.Payload()) {
						c.bad = append(c.bad, fmt.Sprintf("the resend of event %d differs from its first copy", e.Seq))
					}
				default:
					c.seen[string(e.ID)] = e
					c.raw[string(e.ID)] = bytes.Clone(m.Payload())
					c.order = append(c.order, e)
				}
				c.mu.Unlock()
			case <-done:
				return
			}
		}
	}()
	return c
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.order)
}

// check verifies that every envelope decoded, that resends were identical,
// and that first arrivals come in seq order per store instance, their HLCs
// rising with it (across every kill -9 of the agent: issue 9 item 8).
func (c *collector) check() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bad) > 0 {
		c.t.Fatalf("%d undecodable envelopes, first: %s", len(c.bad), c.bad[0])
	}
	last := map[string]uint64{}
	lastHLC := map[string]uint64{}
	for _, e := range c.order {
		inst := hex.EncodeToString(e.Instance)
		if e.Seq <= last[inst] {
			c.t.Fatalf("event %d arrived after event %d", e.Seq, last[inst])
		}
		if e.HLC <= lastHLC[inst] {
			c.t.Fatalf("event %d has HLC %v, not above %v of event %d before it", e.Seq, hlc.Timestamp(e.HLC), hlc.Timestamp(lastHLC[inst]), last[inst])
		}
		last[inst], lastHLC[inst] = e.Seq, e.HLC
		if e.Site != syncSiteID {
			c.t.Fatalf("envelope for site %q", e.Site)
		}
	}
}

// setpoints returns the boiler setpoints of every "setpoint" event received.
func (c *collector) setpoints() map[float64]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	sp := map[float64]bool{}
	for _, e := range c.order {
		if e.Type == "setpoint" && e.Device == "boiler" {
			if v, ok := e.Body["setpoint"].(float64); ok {
				sp[v] = true
			}
		}
	}
	return sp
}

// has reports whether every event in evs arrived (by id).
func (c *collector) missing(instance string, evs []store.Event) []uint64 {
	inst, err := outbox.ParseInstance(instance)
	if err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var miss []uint64
	for _, ev := range evs {
		if c.seen[string(outbox.EventID(inst, ev.Seq))] == nil {
			miss = append(miss, ev.Seq)
		}
	}
	return miss
}

// Broker down at start, events made, broker up: all delivered once each in
// order, the outbox is empty afterwards, and the events stay in the local
// history.
func TestSyncBrokerDownAtStart(t *testing.T) {
	b := mqtttest.Start(t, "persistence true")
	l := mqtttest.Listen(t, b.URL, "cloud-down-at-start", true, "edgeagent/"+syncSiteID+"/evt")
	c := collect(t, l)
	b.Stop() // SIGTERM: the listener's session is saved
	s := newSyncSite(t, b.URL, "")
	a := s.start()
	for i := range 100 {
		a.do("hall-light", []string{"on", "off"}[i%2], "")
		a.do("boiler", "set-setpoint", strconv.FormatFloat(20+float64(i)/10, 'f', 1, 64))
	}
	// The thermostat starts the boiler on its own, at its next poll after
	// min_cycle (20 °C read, setpoint now 29.9 °C): the last event this
	// test causes. Capture the log only once it is there.
	waitLong(t, 5*time.Second, "the thermostat's boiler_on", func() bool { return hasEvent(a.events(), "boiler", "boiler_on", 0) })
	made := a.events()
	waitLong(t, 5*time.Second, "the outbox to count every event", func() bool { return a.cloudStatus().PendingTotal >= len(made) })
	st := a.cloudStatus()
	if st.Connected || st.LastError == "" || st.OldestPending.IsZero() || st.Pending["state"] != len(made) || len(st.Warnings) != 0 {
		t.Fatalf("status while the broker is down: %+v", st)
	}
	inst := a.statusStore().Instance

	b.Start()
	waitLong(t, 15*time.Second, "the outbox to drain", func() bool {
		st := a.cloudStatus()
		return st.Connected && st.PendingTotal == 0 && c.count() >= len(made)
	})
	if miss := c.missing(inst, made); len(miss) > 0 {
		t.Fatalf("%d of %d events never arrived: %v", len(miss), len(made), miss)
	}
	c.check()
	// Delivered, and still the hub's local history: `edgeagent events`
	// lists what the cloud has too.
	if kept := a.events(); len(kept) < len(made) || kept[len(made)-1].Seq != made[len(made)-1].Seq {
		t.Fatalf("local history after the drain has %d events, want the %d made before it", len(kept), len(made))
	}
	st = a.cloudStatus()
	if st.LastSync.IsZero() || st.Since.IsZero() || len(st.Pending) != 0 {
		t.Fatalf("status after the drain: %+v", st)
	}
	t.Logf("%d events delivered, %d duplicates dropped by the consumer", c.count(), c.dups)
}

func (a *proc) statusStore() store.Health {
	a.t.Helper()
	st, err := a.client.Status()
	if err != nil {
		a.t.Fatal(err)
	}
	return st.Store
}

// kill -9 at random moments while events are made and drained, the broker
// going down and up between rounds: every action the agent answered has
// its event at the cloud.
func TestSyncKill9RoundsLoseNothing(t *testing.T) {
	b := mqtttest.Start(t, "persistence true")
	l := mqtttest.Listen(t, b.URL, "cloud-kill9", true, "edgeagent/"+syncSiteID+"/evt")
	c := collect(t, l)
	s := newSyncSite(t, b.URL, "drain_rate = 5000.0")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 4))
	var acked []float64
	next := 0
	start := time.Now()
	for round := 0; round < 8 && time.Since(start) < 30*time.Second; round++ {
		if round > 0 && rng.IntN(2) == 0 {
			if b.Running() {
				b.Stop()
			} else {
				b.Start()
			}
		}
		a := s.start()
		stop := time.After(time.Duration(100+rng.IntN(600)) * time.Millisecond)
		// Read only after done is closed. (A channel of 1 000 here blocked
		// the writer, and so the test, when a round got more answers.)
		var answered []float64
		done := make(chan struct{})
		go func() {
			defer close(done)
			// Bounded per round; the setpoints stay within the boiler's
			// range over all rounds (5 + 8×2 000/1 000 < 30 °C).
			for k := next; k < next+2000; k++ {
				// A fresh value each time: each answer is one event.
				txt := strconv.FormatFloat(5+float64(k)/1000, 'f', 3, 64)
				v, _ := strconv.ParseFloat(txt, 64)
				if _, err := a.client.Do("boiler", "set-setpoint", txt); err != nil {
					return // killed mid-call: not acknowledged
				}
				answered = append(answered, v)
			}
		}()
		<-stop
		a.kill9()
		<-done
		for _, v := range answered {
			acked = append(acked, v)
			next = int((v-5)*1000+0.5) + 1
		}
		t.Logf("round %d: broker up %v, %d acknowledged so far", round, b.Running(), len(acked))
	}
	b.Start()
	a := s.start()
	waitLong(t, 20*time.Second, "the backlog to drain", func() bool {
		st := a.cloudStatus()
		return st.Connected && st.PendingTotal == 0
	})
	waitLong(t, 5*time.Second, "every acknowledged event at the cloud", func() bool {
		got := c.setpoints()
		for _, v := range acked {
			if !got[v] {
				return false
			}
		}
		return true
	})
	c.check()
	if len(acked) < 50 {
		t.Fatalf("only %d actions acknowledged: the test exercised little", len(acked))
	}
	t.Logf("%d acknowledged actions, all delivered; %d events, %d duplicates", len(acked), c.count(), c.dups)
}

// The broker is killed mid-drain and comes back with no memory of any
// session; then the link is blackholed (no FIN) by a proxy. Each time the
// agent notices, reconnects and loses nothing.
func TestSyncBrokerKilledAndBlackholed(t *testing.T) {
	b := mqtttest.Start(t)
	p := mqtttest.NewProxy(t, b.Addr)
	l := mqtttest.Listen(t, b.URL, "cloud-killed", false, "edgeagent/"+syncSiteID+"/evt")
	c := collect(t, l)
	s := newSyncSite(t, p.URL, "drain_rate = 400.0\nwindow = 16")
	p.SetDown(true)
	a := s.start()
	for i := range 300 {
		a.do("hall-light", []string{"on", "off"}[i%2], "")
	}
	made := a.events()
	inst := a.statusStore().Instance
	p.SetDown(false)
	waitLong(t, 5*time.Second, "the drain to start", func() bool { return c.count() > 50 })

	// Killed mid-drain. The agent is kept off the new broker until the
	// cloud's consumer is back: a broker with no memory has no
	// subscription to queue for, and would drop what it acknowledged.
	p.SetDown(true)
	b.Kill()
	p.Cut()
	l.WaitLost(t)
	b.Start()
	l.WaitLost(t)
	l.WaitReady(t)
	p.SetDown(false)
	waitLong(t, 15*time.Second, "the drain to finish after the broker restart", func() bool {
		return a.cloudStatus().PendingTotal == 0
	})
	if miss := c.missing(inst, made); len(miss) > 0 {
		t.Fatalf("%d events lost across the broker restart: %v", len(miss), miss)
	}

	// A command still works: the agent subscribed again on the forgetful broker.
	cmdFile := filepath.Join(t.TempDir(), "cmd")
	mustCLI(t, "", "command", "sign", "--authority", s.auth, "--site", syncSiteID, "--device", "hall-light", "--action", "on", "--out", cmdFile)
	a.do("hall-light", "off", "")
	mosquittoPub(t, b, s.topics.Cmd, cmdFile, false)
	waitLong(t, 5*time.Second, "the command after the restart", func() bool { return a.device("hall-light").State == "on" })

	// Blackholed: traffic stops, nothing is closed.
	attempts := a.cloudStatus().Attempts
	for i := range 200 {
		a.do("hall-light", []string{"on", "off"}[i%2], "")
	}
	p.Blackhole()
	blackholed := time.Now()
	for i := range 100 {
		a.do("hall-light", []string{"on", "off"}[i%2], "")
	}
	more := a.events()
	waitLong(t, 10*time.Second, "a new connection after the blackhole", func() bool {
		st := a.cloudStatus()
		return st.Connected && st.Attempts > attempts
	})
	detected := time.Since(blackholed)
	waitLong(t, 15*time.Second, "the drain after the blackhole", func() bool { return a.cloudStatus().PendingTotal == 0 })
	if miss := c.missing(inst, more); len(miss) > 0 {
		t.Fatalf("%d events lost to the blackhole: %v", len(miss), miss)
	}
	c.check()
	t.Logf("blackhole detected and replaced in %s (keepalive 1s): %s", detected.Round(time.Millisecond), a.cloudStatus().LastError)
}

// mosquittoPub delivers a file as `mosquitto_pub -f` does.
func mosquittoPub(t *testing.T, b *mqtttest.Broker, topic, file string, retain bool) {
	t.Helper()
	args := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(b.Port), "-q", "1", "-t", topic, "-f", file}
	if retain {
		args = append(args, "-r")
	}
	if out, err := exec.Command("mosquitto_pub", args...).CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_pub %v: %v %s", args, err, out)
	}
}

// ofType returns the envelopes received of the given types, in order.
func (c *collector) ofType(types ...string) []*outbox.Envelope {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*outbox.Envelope
	for _, e := range c.order {
		for _, typ := range types {
			if e.Type == typ {
				out = append(out, e)
			}
		}
	}
	return out
}

// Signed commands: expired refused, a replayed id executed once, other
// site / unsigned / unknown key refused; garbage and 1 MB payloads on every
// inbound topic refused while the link stays up.
func TestSyncCloudCommands(t *testing.T) {
	b := mqtttest.Start(t)
	c := collect(t, mqtttest.Listen(t, b.URL, "cloud-commands", false, "edgeagent/"+syncSiteID+"/evt"))
	s := newSyncSite(t, b.URL, "")
	a := s.start()
	waitLong(t, 5*time.Second, "the link", func() bool { return a.cloudStatus().Connected })
	dir := t.TempDir()
	sign := func(name string, args ...string) string {
		f := filepath.Join(dir, name)
		mustCLI(t, "", append([]string{"command", "sign", "--authority", s.auth, "--out", f}, args...)...)
		return f
	}
	ok := sign("ok", "--site", syncSiteID, "--device", "hall-light", "--action", "on", "--id", "00112233445566778899aabbccddeeff")
	expired := sign("expired", "--site", syncSiteID, "--device", "front-door", "--action", "unlock",
		"--issued-at", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "--expires-in", "30s")
	otherSite := sign("other", "--site", "elsewhere", "--device", "front-door", "--action", "unlock")
	stranger := filepath.Join(dir, "stranger")
	mustCLI(t, "", "authority", "init", "--dir", stranger)
	foreign := filepath.Join(dir, "foreign")
	mustCLI(t, "", "command", "sign", "--authority", stranger, "--site", syncSiteID, "--device", "front-door", "--action", "unlock", "--out", foreign)
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("unlock the front door please"), 0o600)
	huge := filepath.Join(dir, "huge")
	os.WriteFile(huge, make([]byte, 1<<20), 0o600)

	attempts := a.cloudStatus().Attempts
	mosquittoPub(t, b, s.topics.Cmd, ok, false)
	waitLong(t, 5*time.Second, "the command", func() bool { return a.device("hall-light").State == "on" })
	a.do("hall-light", "off", "")
	mosquittoPub(t, b, s.topics.Cmd, ok, false) // replayed
	for _, f := range []string{expired, otherSite, foreign, garbage} {
		mosquittoPub(t, b, s.topics.Cmd, f, false)
	}
	for _, topic := range []string{s.topics.Cred, s.topics.Cred + "/x", s.topics.Cfg} {
		mosquittoPub(t, b, topic, garbage, false)
	}
	waitLong(t, 5*time.Second, "the refusals", func() bool {
		return len(c.ofType(cloud.EventCommandRefused, cloud.EventCredRefused, cloud.EventSettingsRefused)) == 8
	})
	if a.device("hall-light").State != "off" || a.device("front-door").State != "locked" {
		t.Fatalf("a refused command ran: %+v %+v", a.device("hall-light"), a.device("front-door"))
	}
	var reasons []string
	for _, ev := range c.ofType(cloud.EventCommandRefused) {
		reasons = append(reasons, fmt.Sprint(ev.Body["reason"]))
	}
	if got := strings.Join(reasons, " "); got != "replayed expired wrong_site unknown_authority malformed" {
		t.Fatalf("command refusals: %s", got)
	}
	if ex := c.ofType(cloud.EventCommandExecuted); len(ex) != 1 || ex[0].Body["ok"] != true {
		t.Fatalf("executions %+v", ex)
	}
	st := a.cloudStatus()
	if !st.Connected || st.Attempts != attempts {
		t.Fatalf("the link went down over bad input: %+v", st)
	}
	// And it still obeys a good command.
	mosquittoPub(t, b, s.topics.Cmd, sign("again", "--site", syncSiteID, "--device", "hall-light", "--action", "on"), false)
	waitLong(t, 5*time.Second, "a command after the garbage", func() bool { return a.device("hall-light").State == "on" })

	// A message over the size limit is refused from its header: the link
	// drops the connection (issue 9), records it, comes back, and obeys
	// the next command.
	mosquittoPub(t, b, s.topics.Cmd, huge, false)
	waitLong(t, 5*time.Second, "the oversized command's refusal", func() bool {
		evs := c.ofType(cloud.EventCommandRefused)
		return len(evs) == 6 && evs[5].Body["reason"] == cloud.ReasonTooLarge && evs[5].Body["topic"] == s.topics.Cmd
	})
	waitLong(t, 5*time.Second, "the link to come back", func() bool {
		st := a.cloudStatus()
		return st.Connected && st.Attempts > attempts && st.TooLarge != nil && st.TooLarge.Topic == s.topics.Cmd
	})
	mosquittoPub(t, b, s.topics.Cmd, sign("after", "--site", syncSiteID, "--device", "hall-light", "--action", "off"), false)
	waitLong(t, 5*time.Second, "a command after the oversized one", func() bool { return a.device("hall-light").State == "off" })
}

// Settings: a local change during the outage stands against an older
// version and gives way to a newer one.
func TestSyncCloudSettingsConflict(t *testing.T) {
	b := mqtttest.Start(t)
	p := mqtttest.NewProxy(t, b.Addr)
	c := collect(t, mqtttest.Listen(t, b.URL, "cloud-settings", false, "edgeagent/"+syncSiteID+"/evt"))
	s := newSyncSite(t, p.URL, "")
	a := s.start()
	waitLong(t, 5*time.Second, "the link", func() bool { return a.cloudStatus().Connected })
	dir := t.TempDir()
	settings := func(version int, setpoint string) string {
		f := filepath.Join(dir, fmt.Sprint("v", version))
		mustCLI(t, "", "settings", "sign", "--authority", s.auth, "--site", syncSiteID, "--version", fmt.Sprint(version),
			"--boiler-setpoint", "boiler="+setpoint, "--boiler-mode", "boiler=heat", "--out", f)
		return f
	}
	setpoint := func() float64 { v, _ := a.device("boiler").Attrs["setpoint"].(float64); return v }

	mosquittoPub(t, b, s.topics.Cfg, settings(5, "21"), true)
	waitLong(t, 5*time.Second, "version 5", func() bool { return setpoint() == 21 })

	// The link goes down; a resident turns the heating up.
	p.SetDown(true)
	p.Cut()
	waitLong(t, 5*time.Second, "the link to go down", func() bool { return !a.cloudStatus().Connected })
	a.do("boiler", "set-setpoint", "23")
	waitLong(t, 5*time.Second, "the override to be noticed", func() bool { return len(a.cloudStatus().Overrides) == 1 })
	// Meanwhile the cloud publishes an older version (a delayed retry).
	mosquittoPub(t, b, s.topics.Cfg, settings(4, "19"), true)
	p.SetDown(false)
	waitLong(t, 5*time.Second, "the stale version to be seen", func() bool { return len(c.ofType(cloud.EventSettingsStale)) == 1 })
	if v := setpoint(); v != 23 {
		t.Fatalf("an older version replaced the local change: setpoint %g", v)
	}
	if st := a.cloudStatus(); st.SettingsVersion != 5 || len(st.Overrides) != 1 {
		t.Fatalf("status %+v", st)
	}
	// A newer version wins.
	mosquittoPub(t, b, s.topics.Cfg, settings(6, "18.5"), true)
	waitLong(t, 5*time.Second, "version 6", func() bool { return setpoint() == 18.5 })
	if ov := c.ofType(cloud.EventOverridden); len(ov) != 1 || ov[0].Body["link_up"] != false || ov[0].Body["value"] != "23" {
		t.Fatalf("override events %+v", ov)
	}
	waitLong(t, 5*time.Second, "the resolution at the cloud", func() bool { return len(c.ofType(cloud.EventOverrideResolve)) > 0 })
	res := c.ofType(cloud.EventOverrideResolve)
	if len(res) != 1 || res[0].Body["local_value"] != "23" {
		t.Fatalf("resolution events %+v", res)
	}
}

// A revocation snapshot of 10 000 ids (over 128 KB) reaches localauth in
// parts on retained cred sub-topics.
func TestSyncCloudSplitSnapshot(t *testing.T) {
	b := mqtttest.Start(t)
	s := newSyncSite(t, b.URL, "")
	dir := t.TempDir()
	args := []string{"revoke", "--authority", s.auth, "--site", syncSiteID, "--serial", "7", "--out", filepath.Join(dir, "snap")}
	for i := range 10000 {
		args = append(args, "--grant", fmt.Sprintf("%032x", i+1))
	}
	mustCLI(t, "", args...)
	if fi, _ := os.Stat(filepath.Join(dir, "snap")); fi.Size() <= outbox.MaxPayload {
		t.Fatalf("snapshot of %d bytes fits one payload", fi.Size())
	}
	out := mustCLI(t, "", "split", filepath.Join(dir, "snap"), "--out", filepath.Join(dir, "part"))
	if !strings.Contains(out, "in 2 part(s)") {
		t.Fatalf("split: %s", out)
	}
	// Published (retained) before the hub connects, last part first.
	mosquittoPub(t, b, s.topics.Cred+"/revocation/1", filepath.Join(dir, "part.1"), true)
	mosquittoPub(t, b, s.topics.Cred+"/revocation/0", filepath.Join(dir, "part.0"), true)
	a := s.start()
	waitLong(t, 10*time.Second, "the snapshot to be imported", func() bool {
		st, err := a.client.Auth()
		return err == nil && st.SnapshotSerial == 7 && st.RevokedGrants == 10000
	})
}

// fillOutbox writes n queued events into the store at path, counted by the
// outbox as a running agent would have left them.
func fillOutbox(b *testing.B, path string, n int) {
	b.Helper()
	st, _, err := store.Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	mqtttest.QueueEvents(b, st, n, outbox.Limits{Audit: 2 * n}, func(i int) *store.Event {
		return &store.Event{Class: store.ClassAudit, Device: "front-door", Type: "unlocked",
			Data: map[string]any{"by": "pin", "user": "alice", "n": int64(i)}}
	})
}

// procMemKB reads VmRSS, RssAnon and RssFile of a process.
func procMemKB(pid int) (rss, anon, file int) {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "RssAnon:":
			anon = v
		case "RssFile:":
			file = v
		}
	}
	return rss, anon, file
}

// BenchmarkSyncRSS1M: the agent's resident memory with 1 000 000 events
// queued, while the broker is unreachable and then while it drains to a
// local Mosquitto. Run with -benchtime 1x (filling the store takes a while).
func BenchmarkSyncRSS1M(b *testing.B) {
	const n = 1_000_000
	broker := mqtttest.Start(b)
	proxy := mqtttest.NewProxy(b, broker.Addr)
	proxy.SetDown(true)
	dir := b.TempDir()
	cfg, data := filepath.Join(dir, "edgeagent.toml"), filepath.Join(dir, "data")
	os.WriteFile(cfg, []byte(fmt.Sprintf(syncConfig, proxy.URL, fmt.Sprintf("drain_rate = 5000.0\nmax_pending_audit = %d", 2*n))), 0o600)
	fillOutbox(b, filepath.Join(data, "state.db"), n)
	fi, _ := os.Stat(filepath.Join(data, "state.db"))
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(agentBin, "run", "--config", cfg, "--sim", "--data-dir", data)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		c := localapi.NewAdminClient(filepath.Join(data, "admin.sock"))
		var pending int
		for deadline := time.Now().Add(30 * time.Second); ; {
			if st, err := c.Status(); err == nil {
				js, _ := json.Marshal(st.Cloud)
				var cs cloud.Status
				json.Unmarshal(js, &cs)
				if pending = cs.PendingTotal; pending >= n {
					break
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				b.Fatalf("agent not ready with %d pending after 30 s (%d)", n, pending)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(2 * time.Second) // link attempts, outbox refreshes, state polls
		rss, anon, file := procMemKB(cmd.Process.Pid)
		b.ReportMetric(float64(rss)/1024, "MB-rss-queued")
		b.ReportMetric(float64(anon)/1024, "MB-anon-queued")
		b.ReportMetric(float64(file)/1024, "MB-file-queued")

		proxy.SetDown(false)
		// Read while draining: once a good part of the backlog (5 s at the
		// 5 000/s configured) has gone, with the rest still to send.
		waitLong(b, 60*time.Second, "the drain to be under way", func() bool {
			st, err := c.Status()
			if err != nil {
				return false
			}
			js, _ := json.Marshal(st.Cloud)
			var cs cloud.Status
			json.Unmarshal(js, &cs)
			return cs.Connected && cs.PendingTotal <= n-25_000
		})
		rss, anon, file = procMemKB(cmd.Process.Pid)
		b.ReportMetric(float64(rss)/1024, "MB-rss-draining")
		b.ReportMetric(float64(anon)/1024, "MB-anon-draining")
		b.ReportMetric(float64(file)/1024, "MB-file-draining")
		cmd.Process.Kill()
		cmd.Wait()
		proxy.SetDown(true)
		proxy.Cut()
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "MB-store-file")
}

// TLS with a client certificate and the per-site ACL of operations.md: the
// agent connects with ca_file, cert_file and key_file from its config,
// subscribes (a denied subscription would keep it from connecting) and
// drains.
func TestSyncBrokerTLS(t *testing.T) {
	dir := t.TempDir()
	f := mqtttest.MakeTLS(t, dir, syncSiteID)
	acl := filepath.Join(dir, "acl")
	os.WriteFile(acl, []byte(`pattern write edgeagent/%u/evt
pattern write edgeagent/%u/state
pattern write edgeagent/%u/status
pattern read edgeagent/%u/cmd
pattern read edgeagent/%u/cred/#
pattern read edgeagent/%u/cfg
`), 0o600)
	b := mqtttest.StartTLS(t, f, "acl_file "+acl)
	s := newSyncSite(t, b.URL, fmt.Sprintf("ca_file = %q\ncert_file = %q\nkey_file = %q", f.CA, f.ClientCert, f.ClientKey))
	a := s.start()
	a.do("hall-light", "on", "")
	waitLong(t, 10*time.Second, "the TLS link to drain", func() bool {
		st := a.cloudStatus()
		return st.Connected && st.PendingTotal == 0 && !st.LastSync.IsZero()
	})
}

// Broken [mqtt] sections are refused with the key and the reason.
func TestSyncConfigErrors(t *testing.T) {
	for _, tc := range []struct{ mqtt, want string }{
		{`broker = "http://example.com"`, `mqtt.broker: "http://example.com": scheme "http"`},
		{`broker = "tcp://"`, `is not a URL like tcp://host:1883`},
		{"broker = \"tcp://h:1883\"\npassword = \"x\"", `mqtt.username: missing`},
		{"broker = \"tcp://h:1883\"\nusername = \"u\"\npassword = \"x\"\npassword_file = \"/p\"", `mqtt.password_file: set password or password_file, not both`},
		{"broker = \"ssl://h:8883\"\ncert_file = \"/c\"", `mqtt.cert_file: cert_file and key_file go together`},
		{"broker = \"tcp://h:1883\"\nca_file = \"/ca\"", `is not TLS, but ca_file or cert_file is set`},
		{`topic_prefix = "a/b/c/d/e"`, `mqtt.topic_prefix: "a/b/c/d/e" has 5 levels, at most 4`},
		{`topic_prefix = "edge/+"`, `mqtt.topic_prefix: "edge/+": no wildcards`},
		{`keepalive = "500ms"`, `mqtt.keepalive: 500ms is outside 1s..`},
		{`window = 5000`, `mqtt.window: 5000 is outside 1..1000`},
		{`state_interval = "10ms"`, `mqtt.state_interval: 10ms is below 200ms`},
		{`backoff_min = "5s"` + "\n" + `backoff_max = "1s"`, `mqtt.backoff_max: 1s is below backoff_min (5s)`},
		{`max_pending_audit = -1`, `mqtt.max_pending_audit: -1 is negative`},
		{`drain_rate = -5.0`, `mqtt.drain_rate: -5 is not a positive number`},
		{`brokr = "tcp://h:1883"`, `mqtt.brokr: unknown key`},
	} {
		path := filepath.Join(t.TempDir(), "c.toml")
		os.WriteFile(path, []byte("site = \"s\"\n[mqtt]\n"+tc.mqtt+"\n"), 0o600)
		out, code := cli(t, "", "config", "check", path)
		if code != 2 || !strings.Contains(out, tc.want) {
			t.Errorf("%s:\nexit %d, %s\nwant %q", tc.mqtt, code, out, tc.want)
		}
	}
	// --broker is checked too, and a missing certificate file stops the run.
	s := newSyncSite(t, "tcp://127.0.0.1:1", "")
	out, code := cli(t, "", "run", "--config", s.cfg, "--sim", "--data-dir", s.data, "--broker", "ws://h")
	if code != 2 || !strings.Contains(out, `--broker: "ws://h": scheme "ws"`) {
		t.Errorf("--broker ws://h: exit %d, %s", code, out)
	}
	s = newSyncSite(t, "ssl://127.0.0.1:1", `ca_file = "/nonexistent/ca.pem"`)
	out, code = cli(t, "", "run", "--config", s.cfg, "--sim", "--data-dir", s.data)
	if code != 2 || !strings.Contains(out, "mqtt.ca_file: open /nonexistent/ca.pem") {
		t.Errorf("missing CA file: exit %d, %s", code, out)
	}
}

// Username and password_file: the right password connects; a wrong one is
// reported as refused, and retried slowly.
func TestSyncBrokerPassword(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwd")
	mqtttest.Binary(t)
	if out, err := exec.Command("mosquitto_passwd", "-c", "-b", pw, syncSiteID, "s3cret").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v %s", err, out)
	}
	b := mqtttest.Start(t, "allow_anonymous false", "password_file "+pw)
	right, wrong := filepath.Join(dir, "right"), filepath.Join(dir, "wrong")
	os.WriteFile(right, []byte("s3cret\n"), 0o600)
	os.WriteFile(wrong, []byte("guess\n"), 0o600)

	s := newSyncSite(t, b.URL, fmt.Sprintf("username = %q\npassword_file = %q", syncSiteID, wrong))
	a := s.start()
	waitLong(t, 5*time.Second, "the refusal", func() bool { return a.cloudStatus().Refused })
	st := a.cloudStatus()
	if st.Connected || len(st.Warnings) == 0 || !strings.Contains(st.Warnings[0], "refuses this hub") || time.Until(st.NextAttempt) < 100*time.Millisecond {
		t.Fatalf("status with a wrong password: %+v", st)
	}
	a.kill9()

	s = newSyncSite(t, b.URL, fmt.Sprintf("username = %q\npassword_file = %q", syncSiteID, right))
	a = s.start()
	waitLong(t, 5*time.Second, "the link", func() bool { return a.cloudStatus().Connected })
}
