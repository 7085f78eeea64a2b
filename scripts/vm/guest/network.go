//go:build linux

package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/sync/cloud"
	"github.com/edgeagent/edgeagent/internal/sync/outbox"
)

// The network scenario: the agent in network namespace "hub", Mosquitto in
// the guest's root namespace, joined by a veth pair (vhub in hub at
// 10.77.0.2, vroot at 10.77.0.1). Faults are made on the pair with ip and
// tc netem; the test's "cloud" (a paho client) reaches the broker over the
// root namespace's loopback, out of the faults' way.
const netConfig = `site = "vm"
data_dir = "/tmp/net/data"
log_level = "info"

[lan]
listen = "127.0.0.1:8443"

[mqtt]
broker = "tcp://10.77.0.1:1883"
start_jitter = "0s"
keepalive = "5s"
backoff_min = "100ms"
backoff_max = "1s"
state_interval = "1s"

[[lock]]
id = "front-door"
name = "Front door"
relay = "GPIO17"
fail = "secure"
relock_after = "2s"

[[switch]]
id = "light"
name = "Light"
relay = "GPIO5"
`

// A broker with no memory: nothing persisted, so a restart forgets every
// session and queued message.
const mosquittoConfig = `listener 1883
allow_anonymous true
persistence false
user root
`

func sh(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func shAll(cmds ...[]string) error {
	for _, c := range cmds {
		if err := sh(c...); err != nil {
			return err
		}
	}
	return nil
}

func netSetup() error {
	return shAll(
		[]string{"ip", "netns", "add", "hub"},
		[]string{"ip", "link", "add", "vroot", "type", "veth", "peer", "name", "vhub"},
		[]string{"ip", "link", "set", "vhub", "netns", "hub"},
		[]string{"ip", "addr", "add", "10.77.0.1/24", "dev", "vroot"},
		[]string{"ip", "link", "set", "vroot", "up"},
		[]string{"ip", "-n", "hub", "addr", "add", "10.77.0.2/24", "dev", "vhub"},
		[]string{"ip", "-n", "hub", "link", "set", "vhub", "up"},
		[]string{"ip", "-n", "hub", "link", "set", "lo", "up"},
	)
}

// netem sets (or with no args clears) netem on both ends of the pair.
func netem(args ...string) error {
	if len(args) == 0 {
		return shAll(
			[]string{"tc", "qdisc", "del", "dev", "vroot", "root"},
			[]string{"ip", "netns", "exec", "hub", "tc", "qdisc", "del", "dev", "vhub", "root"},
		)
	}
	return shAll(
		append([]string{"tc", "qdisc", "replace", "dev", "vroot", "root", "netem"}, args...),
		append([]string{"ip", "netns", "exec", "hub", "tc", "qdisc", "replace", "dev", "vhub", "root", "netem"}, args...),
	)
}

func linkUp(up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	return sh("ip", "-n", "hub", "link", "set", "vhub", state)
}

type broker struct{ cmd *exec.Cmd }

func startBroker() (*broker, error) {
	b := &broker{cmd: exec.Command("mosquitto", "-c", "/tmp/net/mosquitto.conf")}
	log, err := os.OpenFile("/tmp/net/mosquitto.log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child has its own copy
	b.cmd.Stdout, b.cmd.Stderr = log, log
	return b, b.cmd.Start()
}

func (b *broker) kill() {
	_ = b.cmd.Process.Kill()
	_ = b.cmd.Wait()
}

// cloudSide collects the agent's events as the cloud would (by envelope
// id, counting duplicates) and publishes commands.
type cloudSide struct {
	c      mqtt.Client
	topics cloud.Topics

	mu         sync.Mutex
	seen       map[string]*outbox.Envelope // first arrivals by id
	dups       int
	bad        int
	subscribed bool
}

func newCloudSide(topics cloud.Topics) *cloudSide {
	cs := &cloudSide{topics: topics, seen: map[string]*outbox.Envelope{}}
	o := mqtt.NewClientOptions().AddBroker("tcp://127.0.0.1:1883").SetClientID("vm-cloud").
		SetCleanSession(false).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(50 * time.Millisecond).SetMaxReconnectInterval(200 * time.Millisecond).
		SetKeepAlive(5 * time.Second).SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) { cs.receive(m.Payload()) }).
		// Subscribe at every connection: a broker with no memory forgot it.
		SetOnConnectHandler(func(c mqtt.Client) {
			go func() {
				tok := c.Subscribe(topics.Evt, 1, nil)
				if tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
					cs.setSubscribed(true)
				}
			}()
		}).
		SetConnectionLostHandler(func(mqtt.Client, error) { cs.setSubscribed(false) })
	cs.c = mqtt.NewClient(o)
	cs.c.Connect()
	return cs
}

func (cs *cloudSide) setSubscribed(v bool) {
	cs.mu.Lock()
	cs.subscribed = v
	cs.mu.Unlock()
}

func (cs *cloudSide) isSubscribed() bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.subscribed
}

func (cs *cloudSide) receive(p []byte) {
	e, err := outbox.DecodeEnvelope(p)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	switch {
	case err != nil:
		cs.bad++
	case cs.seen[string(e.ID)] != nil:
		cs.dups++
	default:
		cs.seen[string(e.ID)] = e
	}
}

// delivered counts the events with seq in (from, to] that arrived, by id.
// (The agent deletes an event once the broker acknowledges it: the cloud's
// copy is the one to count.)
func (cs *cloudSide) delivered(inst []byte, from, to uint64) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	n := 0
	for seq := from + 1; seq <= to; seq++ {
		if cs.seen[string(outbox.EventID(inst, seq))] != nil {
			n++
		}
	}
	return n
}

// refused counts the command_refused events the cloud received.
func (cs *cloudSide) refused() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	n := 0
	for _, e := range cs.seen {
		if e.Type == cloud.EventCommandRefused {
			n++
		}
	}
	return n
}

// executed counts the command_executed events the cloud received for the
// command id.
func (cs *cloudSide) executed(id string) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	n := 0
	for _, e := range cs.seen {
		if e.Type == cloud.EventCommandExecuted && fmt.Sprint(e.Body["id"]) == id {
			n++
		}
	}
	return n
}

func (cs *cloudSide) counts() (dups, bad int) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.dups, cs.bad
}

func (cs *cloudSide) publish(payload []byte) error {
	tok := cs.c.Publish(cs.topics.Cmd, 1, false, payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return fmt.Errorf("publishing a command: %v", tok.Error())
	}
	return nil
}

// signCommand signs an unlock of the front door with the test authority.
func signCommand(extra ...string) (id string, payload []byte, err error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id = hex.EncodeToString(b)
	out := "/tmp/net/cmd-" + id
	args := append([]string{"command", "sign", "--authority", "/tmp/net/auth", "--site", "vm",
		"--device", "front-door", "--action", "unlock", "--id", id, "--out", out}, extra...)
	if err := sh(append([]string{agentBin}, args...)...); err != nil {
		return "", nil, err
	}
	payload, err = os.ReadFile(out)
	return id, payload, err
}

func cloudStatus(c *localapi.AdminClient) (cloud.Status, error) {
	st, err := c.Status()
	if err != nil {
		return cloud.Status{}, err
	}
	b, _ := json.Marshal(st.Cloud)
	var cs cloud.Status
	err = json.Unmarshal(b, &cs)
	return cs, err
}

// round is one fault: made while the agent works, then healed.
type round struct {
	name  string
	hold  time.Duration // how long the fault lasts
	fault func() error
	heal  func() error
	// staleDuring: a command expiring in 1 s is published during the fault
	// and cannot arrive in time (the fault outlasts it).
	staleDuring bool
	// freshAfterHeal: the fresh command is published once the agent is
	// back, again until it runs (same id: the cloud's retry), because a
	// broker that forgot the agent's session queues nothing for it.
	freshAfterHeal bool
}

func networkScenario(r *report) error {
	if err := os.MkdirAll("/tmp/net", 0o755); err != nil {
		return err
	}
	for name, body := range map[string]string{"agent.toml": netConfig, "mosquitto.conf": mosquittoConfig} {
		if err := os.WriteFile("/tmp/net/"+name, []byte(body), 0o644); err != nil {
			return err
		}
	}
	if err := sh(agentBin, "authority", "init", "--dir", "/tmp/net/auth"); err != nil {
		return err
	}
	err := netSetup()
	var b *broker
	if err == nil {
		b, err = startBroker()
	}
	if !r.ok("netns-veth-broker", err, "agent in netns hub over veth to Mosquitto (no persistence) in the root namespace") {
		return nil
	}
	defer func() { b.kill() }()
	topics := cloud.NewTopics("edgeagent", "vm")
	cs := newCloudSide(topics)
	defer cs.c.Disconnect(50)
	if !waitFor(10*time.Second, cs.isSubscribed) {
		return fmt.Errorf("the cloud client did not subscribe to the broker")
	}
	a, err := startAgentArgv([]string{"ip", "netns", "exec", "hub", agentBin, "run", "--config", "/tmp/net/agent.toml",
		"--sim", "--authority", "/tmp/net/auth/authority.pub"}, nil)
	if err != nil {
		return err
	}
	defer a.stop()
	if !r.ok("agent-ready-in-netns", a.waitReady(60*time.Second), "") {
		return nil
	}
	c := localapi.NewAdminClient("/tmp/net/data/admin.sock")
	connected := func() bool { st, err := cloudStatus(c); return err == nil && st.Connected }
	if !r.ok("agent-connected", errIf(!waitFor(30*time.Second, connected), "the agent did not connect to the broker"), "") {
		return nil
	}
	st, err := c.Status()
	if err != nil {
		return err
	}
	inst, err := outbox.ParseInstance(st.Store.Instance)
	if err != nil {
		return err
	}

	// A command executed once, replayed in every round.
	replayID, replayed, err := signCommand("--expires-in", "10m")
	if err == nil {
		err = cs.publish(replayed)
	}
	if err == nil {
		err = errIf(!waitFor(20*time.Second, func() bool { return cs.executed(replayID) == 1 }), "the first command was not executed")
	}
	if !r.ok("command-executed-once", err, "signed unlock %s published on %s", replayID, topics.Cmd) {
		return nil
	}

	netemRound := func(name string, args ...string) round {
		return round{name: name, hold: 5 * time.Second, fault: func() error { return netem(args...) }, heal: func() error { return netem() }}
	}
	rounds := []round{
		{name: "link-down", hold: 5 * time.Second, fault: func() error { return linkUp(false) }, heal: func() error { return linkUp(true) }, staleDuring: true},
		netemRound("loss-30pct", "loss", "30%"),
		netemRound("delay-2s", "delay", "2s"),
		// Longer than the keepalive's 1.5 x 5 s: the agent must notice a
		// connection that went silent without a FIN and make a new one.
		{name: "blackhole", hold: 12 * time.Second, fault: func() error { return netem("loss", "100%") }, heal: func() error { return netem() }, staleDuring: true},
		{name: "broker-restart", hold: 2 * time.Second, fault: func() error {
			// Kept off the broker until the cloud's consumer is back: a
			// broker with no memory has no subscription to queue for, and
			// would drop what it acknowledged. The agent's own session is
			// gone: it must subscribe again to hear commands.
			if err := linkUp(false); err != nil {
				return err
			}
			b.kill()
			var err error
			if b, err = startBroker(); err != nil {
				return err
			}
			if !waitFor(20*time.Second, cs.isSubscribed) {
				return fmt.Errorf("the cloud client did not come back after the broker restart")
			}
			return nil
		}, heal: func() error { return linkUp(true) }, freshAfterHeal: true},
	}
	fmt.Printf("VMTABLE %-15s %6s %6s %9s %10s %4s %7s %12s %12s %10s\n", "round", "held", "acked", "delivered", "duplicates", "lost", "refused", "stale-obeyed", "fresh-obeyed", "reconnects")
	for _, rd := range rounds {
		if err := networkRound(r, c, cs, inst, rd, replayID, replayed); err != nil {
			r.ok("round-"+rd.name, err, "")
		}
	}
	if r.failed {
		mlog, _ := os.ReadFile("/tmp/net/mosquitto.log")
		fmt.Printf("agent log:\n%s\nmosquitto log:\n%s", a.logText(), mlog)
	}
	return nil
}

func errIf(cond bool, msg string) error {
	if cond {
		return fmt.Errorf("%s", msg)
	}
	return nil
}

func lastSeqOf(c *localapi.AdminClient) (uint64, error) {
	st, err := c.Status()
	return st.Store.LastSeq, err
}

func networkRound(r *report, c *localapi.AdminClient, cs *cloudSide, inst []byte, rd round, replayID string, replayed []byte) error {
	start, err := lastSeqOf(c)
	if err != nil {
		return err
	}
	st0, err := cloudStatus(c)
	if err != nil {
		return err
	}
	dups0, _ := cs.counts()
	refused0 := cs.refused()
	if err := rd.fault(); err != nil {
		return err
	}
	// Stale: expired before it was published; and, where the fault keeps
	// the agent off the broker, one that expires while it waits.
	staleID, stale, err := signCommand("--issued-at", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--expires-in", "30s")
	if err != nil {
		return err
	}
	staleIDs := []string{staleID, replayID}
	payloads := [][]byte{stale, replayed}
	if rd.staleDuring {
		id, p, err := signCommand("--expires-in", "1s")
		if err != nil {
			return err
		}
		staleIDs, payloads = append(staleIDs, id), append(payloads, p)
	}
	freshID, fresh, err := signCommand("--expires-in", "5m")
	if err != nil {
		return err
	}
	if !rd.freshAfterHeal {
		payloads = append(payloads, fresh)
	}
	for _, p := range payloads {
		if err := cs.publish(p); err != nil {
			return err
		}
	}
	// Local actions go on: never waiting for the network.
	const actions = 30
	for i := 0; i < actions; i++ {
		if _, err := c.Do("light", []string{"on", "off"}[i%2], ""); err != nil {
			return fmt.Errorf("local action %d during %s: %w", i, rd.name, err)
		}
	}
	// The fault's duration (past the 1 s command's expiry), not
	// synchronisation.
	time.Sleep(rd.hold)
	if err := rd.heal(); err != nil {
		return err
	}
	if rd.freshAfterHeal {
		ran := func() bool { return cs.executed(freshID) > 0 }
		for i := 0; i < 30 && !ran(); i++ {
			if err := cs.publish(fresh); err != nil {
				return err
			}
			waitFor(2*time.Second, ran)
		}
	}
	var end uint64
	drained := waitFor(90*time.Second, func() bool {
		st, err := cloudStatus(c)
		if err != nil || !st.Connected || st.PendingTotal > 0 {
			return false
		}
		end, err = lastSeqOf(c)
		return err == nil && cs.delivered(inst, start, end) == int(end-start) && cs.executed(freshID) == 1
	})
	if end, err = lastSeqOf(c); err != nil {
		return err
	}
	acked := int(end - start)
	delivered := cs.delivered(inst, start, end)
	dups, bad := cs.counts()
	staleObeyed := 0
	for _, id := range staleIDs {
		n := cs.executed(id)
		if id == replayID {
			n-- // its first execution, before the rounds
		}
		staleObeyed += n
	}
	freshObeyed := cs.executed(freshID)
	st1, err := cloudStatus(c)
	if err != nil {
		return err
	}
	reconnects := st1.Attempts - st0.Attempts
	refused := cs.refused() - refused0
	fmt.Printf("VMTABLE %-15s %6s %6d %9d %10d %4d %7d %12d %12d %10d\n", rd.name, rd.hold, acked, delivered, dups-dups0, acked-delivered, refused, staleObeyed, freshObeyed, reconnects)
	switch {
	case staleObeyed > 0:
		err = fmt.Errorf("%d stale or replayed commands obeyed", staleObeyed)
	case !drained:
		err = fmt.Errorf("not drained within 90 s of the heal: %d of %d events delivered, fresh command executed %d times", delivered, acked, freshObeyed)
	case bad > 0:
		err = fmt.Errorf("%d undecodable envelopes", bad)
	}
	r.ok("round-"+rd.name, err, "%d events recorded, %d delivered, %d duplicates, %d commands refused, %d stale/replayed obeyed, fresh command executed %d time(s), %d reconnects",
		acked, delivered, dups-dups0, refused, staleObeyed, freshObeyed, reconnects)
	return nil
}
