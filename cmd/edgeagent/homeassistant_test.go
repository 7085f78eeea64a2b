package main

// The Home Assistant bridge through the built binary: a client shaped like
// Home Assistant (subscribes to discovery, checks each config against the
// fields Home Assistant's MQTT schemas require, sends commands, reads state)
// against the embedded broker and against a real Mosquitto.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
)

// haClient is Home Assistant as far as MQTT goes.
type haClient struct {
	t  *testing.T
	c  mqtt.Client
	mu sync.Mutex
	// retained and live messages by topic, the latest of each
	msgs map[string][]byte
}

func connectHA(t *testing.T, url, user, password string) (*haClient, error) {
	t.Helper()
	return connectHAAs(t, url, user, password, fmt.Sprintf("ha-%d", time.Now().UnixNano()))
}

func connectHAAs(t *testing.T, url, user, password, clientID string) (*haClient, error) {
	t.Helper()
	h := &haClient{t: t, msgs: map[string][]byte{}}
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(clientID).
		SetUsername(user).SetPassword(password).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	h.c = mqtt.NewClient(o)
	tok := h.c.Connect()
	if !tok.WaitTimeout(5 * time.Second) {
		t.Fatal("connect: no answer in 5s")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { h.c.Disconnect(100) })
	return h, nil
}

func (h *haClient) subscribe(filter string) error {
	tok := h.c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) {
		h.mu.Lock()
		h.msgs[m.Topic()] = m.Payload()
		h.mu.Unlock()
	})
	if !tok.WaitTimeout(5 * time.Second) {
		h.t.Fatalf("subscribe %s: no answer in 5s", filter)
	}
	if err := tok.Error(); err != nil {
		return err
	}
	if st := tok.(*mqtt.SubscribeToken).Result()[filter]; st >= 0x80 {
		return fmt.Errorf("subscription %s refused (0x%x)", filter, st)
	}
	return nil
}

func (h *haClient) publish(topic, payload string) {
	h.t.Helper()
	tok := h.c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		h.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func (h *haClient) get(topic string) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.msgs[topic]
	return b, ok
}

func (h *haClient) configs(prefix string) map[string]map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]map[string]any{}
	for topic, b := range h.msgs {
		if strings.HasPrefix(topic, prefix+"/") && strings.HasSuffix(topic, "/config") {
			var p map[string]any
			if err := json.Unmarshal(b, &p); err != nil {
				h.t.Errorf("%s: not JSON: %v", topic, err)
				continue
			}
			out[topic] = p
		}
	}
	return out
}

// stateOf reads a JSON field of a device's retained state.
func (h *haClient) stateOf(topic, field string) any {
	b, ok := h.get(topic)
	if !ok {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m[field]
}

// haRequired are the fields Home Assistant's MQTT discovery schemas
// require (or that this bridge's entities cannot work without), per
// component, on top of every entity's unique_id, availability and device.
var haRequired = map[string][]string{
	"lock":          {"command_topic", "state_topic", "payload_lock", "payload_unlock", "state_locked", "state_unlocked", "value_template"},
	"switch":        {"command_topic", "state_topic", "payload_on", "payload_off", "value_template"},
	"climate":       {"modes", "mode_command_topic", "mode_state_topic", "temperature_command_topic", "temperature_state_topic", "current_temperature_topic", "temperature_unit"},
	"cover":         {"command_topic", "state_topic", "set_position_topic", "position_topic"},
	"binary_sensor": {"state_topic", "device_class", "payload_on", "payload_off"},
	"event":         {"state_topic", "event_types"},
}

// checkDiscovery validates every config payload and returns them by
// component/object.
func checkDiscovery(t *testing.T, cfgs map[string]map[string]any, topicPrefix string) map[string]map[string]any {
	t.Helper()
	byObject := map[string]map[string]any{}
	ids := map[string]bool{}
	for topic, p := range cfgs {
		levels := strings.Split(topic, "/")
		if len(levels) != 5 {
			t.Errorf("%s: not <prefix>/<component>/<node>/<object>/config", topic)
			continue
		}
		component := levels[1]
		req, ok := haRequired[component]
		if !ok {
			t.Errorf("%s: component %q is not one the bridge should announce", topic, component)
			continue
		}
		for _, f := range append([]string{"unique_id", "name", "availability_topic", "payload_available", "payload_not_available", "device"}, req...) {
			if _, ok := p[f]; !ok {
				t.Errorf("%s: missing required field %s", topic, f)
			}
		}
		if id, _ := p["unique_id"].(string); ids[id] {
			t.Errorf("%s: unique_id %q used twice", topic, id)
		} else {
			ids[id] = true
		}
		dev, _ := p["device"].(map[string]any)
		if idents, _ := dev["identifiers"].([]any); len(idents) == 0 || dev["name"] == nil {
			t.Errorf("%s: device info without identifiers or name: %v", topic, dev)
		}
		for f, v := range p {
			if s, ok := v.(string); ok && strings.HasSuffix(f, "_topic") {
				if !strings.HasPrefix(s, topicPrefix+"/") || strings.ContainsAny(s, "+#") {
					t.Errorf("%s: %s %q is not a plain topic under %s", topic, f, s, topicPrefix)
				}
			}
		}
		byObject[component+"/"+levels[3]] = p
	}
	return byObject
}

// driveHA is the shared scenario: discovery, state, commands, and an
// unlock the principal is not allowed.
func driveHA(t *testing.T, a *proc, ha *haClient) {
	t.Helper()
	const prefix = "edgeagent/test-site"
	for _, f := range []string{"homeassistant/#", prefix + "/#"} {
		if err := ha.subscribe(f); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"lock/front-door", "binary_sensor/front-door_door", "switch/hall-light", "switch/immobiliser", "climate/boiler", "cover/curtain", "event/doorbell"}
	var objs map[string]map[string]any
	waitLong(t, 10*time.Second, "every discovery config", func() bool {
		objs = checkDiscovery(t, ha.configs("homeassistant"), prefix)
		return len(objs) >= len(want)
	})
	for _, w := range want {
		if objs[w] == nil {
			t.Errorf("no discovery config for %s (have %v)", w, keys(objs))
		}
	}
	waitLong(t, 5*time.Second, "availability online", func() bool {
		b, _ := ha.get(prefix + "/availability")
		return string(b) == "online"
	})

	// Commands, as Home Assistant sends them to the announced topics.
	ha.publish(objs["switch/hall-light"]["command_topic"].(string), "ON")
	waitLong(t, 5*time.Second, "hall-light ON in its state topic", func() bool {
		return ha.stateOf(objs["switch/hall-light"]["state_topic"].(string), "state") == "ON"
	})
	if s := a.device("hall-light").State; s != "on" {
		t.Errorf("hall-light %s after ON from Home Assistant", s)
	}
	ha.publish(objs["climate/boiler"]["temperature_command_topic"].(string), "21.5")
	waitLong(t, 5*time.Second, "boiler setpoint 21.5 in its state topic", func() bool {
		return ha.stateOf(objs["climate/boiler"]["temperature_state_topic"].(string), "setpoint") == 21.5
	})
	ha.publish(objs["cover/curtain"]["set_position_topic"].(string), "50")
	waitLong(t, 5*time.Second, "curtain opening", func() bool { return a.device("curtain").State == "opening" })

	// The attack: Home Assistant (or whoever holds its broker password)
	// unlocks the front door. The config does not allow it.
	ha.publish(objs["lock/front-door"]["command_topic"].(string), "UNLOCK")
	var refusal *store.Event
	waitLong(t, 5*time.Second, "the refused unlock in the audit log", func() bool {
		for _, e := range a.events() {
			if e.Type == localauth.EventDecision && e.Device == "front-door" && e.Data["action"] == "unlock" {
				refusal = &e
				return true
			}
		}
		return false
	})
	if refusal.Data["ok"] != false || refusal.Data["reason"] != "action_not_allowed" || refusal.Data["name"] != "home-assistant" ||
		refusal.Data["role"] != "service" || refusal.Data["detail"] != localauth.DetailPrincipal+"mqtt" {
		t.Errorf("audit event of the unlock: %v", refusal.Data)
	}
	if s := a.device("front-door").State; s != "locked" {
		t.Fatalf("front-door %s after a refused UNLOCK from Home Assistant", s)
	}
	// Granted commands are audited too, as the principal.
	granted := 0
	for _, e := range a.events() {
		if e.Type == localauth.EventDecision && e.Data["name"] == "home-assistant" && e.Data["ok"] == true {
			granted++
		}
	}
	if granted != 3 {
		t.Errorf("%d granted decisions by home-assistant in the log, want 3 (light, setpoint, cover)", granted)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func haSite(t *testing.T, section string) (cfg, data string) {
	t.Helper()
	cfg, data = newSite(t)
	b, _ := os.ReadFile(cfg)
	writeFile(t, cfg, append(b, "\n"+section...))
	return cfg, data
}

func TestHomeAssistantEmbeddedBroker(t *testing.T) {
	port := mqtttest.FreePort(t)
	pw := writeFile(t, filepath.Join(t.TempDir(), "ha.password"), []byte("s3cret-ha\n"))
	metricsPort := mqtttest.FreePort(t)
	cfg, data := haSite(t, fmt.Sprintf("[homeassistant]\nlisten = \"127.0.0.1:%d\"\nusername = \"homeassistant\"\npassword_file = %q\n\n[metrics]\nlisten = \"127.0.0.1:%d\"\n", port, pw, metricsPort))
	a := startAgent(t, cfg, data)
	url := fmt.Sprintf("tcp://127.0.0.1:%d", port)

	// Nobody else gets in: no password, a wrong one.
	if _, err := connectHA(t, url, "", ""); err == nil {
		t.Error("an anonymous client was accepted by the embedded broker")
	}
	if _, err := connectHA(t, url, "homeassistant", "guess"); err == nil {
		t.Error("a wrong password was accepted by the embedded broker")
	}
	// Nor in the bridge's session: mochi hands a session to whoever
	// connects with its client id, which would knock the bridge off and
	// give Home Assistant's login the bridge's subscriptions.
	waitLong(t, 5*time.Second, "the bridge's session", func() bool {
		return value(scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)), "edgeagent_homeassistant_connected") == 1
	})
	if _, err := connectHAAs(t, url, "homeassistant", "s3cret-ha", "edgeagent-ha-test-site"); err == nil {
		t.Error("Home Assistant's login took over the bridge's client id")
	}
	// Its own session it takes back, as a restarted Home Assistant does.
	for i := range 2 {
		if _, err := connectHAAs(t, url, "homeassistant", "s3cret-ha", "ha-own-session"); err != nil {
			t.Errorf("Home Assistant's login in its own session (connection %d): %v", i+1, err)
		}
	}
	ha, err := connectHA(t, url, "homeassistant", "s3cret-ha")
	if err != nil {
		t.Fatal(err)
	}
	driveHA(t, a, ha)
	// Home Assistant's login reads only its topics.
	if err := ha.subscribe("#"); err == nil {
		t.Error(`Home Assistant's login subscribed to "#"`)
	}
	// The bridge counts a command once its decision is committed, after
	// the audit entry driveHA waited for: the scrape waits for the count.
	var m map[string]*dto.MetricFamily
	waitFor(t, "the refused command to be counted", func() bool {
		m = scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort))
		return value(m, "edgeagent_homeassistant_commands_total", "result", "denied") >= 1
	})
	if v := value(m, "edgeagent_homeassistant_connected"); v != 1 {
		t.Errorf("homeassistant_connected = %v", v)
	}
	for result, want := range map[string]float64{"granted": 3, "denied": 1} {
		if v := value(m, "edgeagent_homeassistant_commands_total", "result", result); v != want {
			t.Errorf("homeassistant_commands_total{%s} = %v, want %v", result, v, want)
		}
	}
	if v := value(m, "edgeagent_decisions_total", "result", "denied", "reason", "action_not_allowed", "transport", "mqtt"); v != 1 {
		t.Errorf("decisions_total{denied,action_not_allowed,mqtt} = %v, want 1", v)
	}
}

func TestHomeAssistantExternalMosquitto(t *testing.T) {
	broker := mqtttest.Start(t)
	ha, err := connectHA(t, broker.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	// A stale command left retained at the broker (by a mistake, or by
	// someone who once had the broker's password) is replayed to every new
	// subscriber: the hub must never obey it.
	tok := ha.c.Publish("edgeagent/test-site/immobiliser/set", 1, true, "ON")
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	cfg, data := haSite(t, fmt.Sprintf("[homeassistant]\nbroker = %q\n", broker.URL))
	a := startAgent(t, cfg, data)
	driveHA(t, a, ha) // its commands are handled in order after the retained one
	if s := a.device("immobiliser").State; s != "off" {
		t.Errorf("immobiliser %s: a retained ON was obeyed", s)
	}
	for _, e := range a.events() {
		if e.Device == "immobiliser" && e.Type == localauth.EventDecision {
			t.Errorf("a retained command was decided: %v", e.Data)
		}
	}
}

// When the config says so, Home Assistant may unlock: granted, audited,
// and the door opens.
func TestHomeAssistantUnlockWhenAllowed(t *testing.T) {
	broker := mqtttest.Start(t)
	cfg, data := haSite(t, fmt.Sprintf("[homeassistant]\nbroker = %q\nprincipal = \"ha-door\"\nrole = \"resident\"\ndevices = [\"front-door\"]\nactions = [\"lock\", \"unlock\"]\n", broker.URL))
	a := startAgent(t, cfg, data)
	ha, err := connectHA(t, broker.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := ha.subscribe("homeassistant/#"); err != nil {
		t.Fatal(err)
	}
	waitLong(t, 10*time.Second, "the lock's discovery", func() bool { return len(ha.configs("homeassistant")) > 0 })
	ha.publish("edgeagent/test-site/hall-light/set", "ON") // not in devices
	ha.publish("edgeagent/test-site/front-door/set", "UNLOCK")
	waitLong(t, 5*time.Second, "front-door unlocked", func() bool { return a.device("front-door").State == "unlocked" })
	var got []string
	for _, e := range a.events() {
		if e.Type == localauth.EventDecision {
			got = append(got, fmt.Sprintf("%s %s %v %s %s %s", e.Device, e.Data["action"], e.Data["ok"], e.Data["reason"], e.Data["name"], e.Data["role"]))
		}
	}
	want := []string{"hall-light on false device_not_allowed ha-door resident", "front-door unlock true granted ha-door resident"}
	if !slices.Equal(got, want) {
		t.Errorf("decisions %q, want %q", got, want)
	}
	if s := a.device("hall-light").State; s != "off" {
		t.Errorf("hall-light %s after a refused ON", s)
	}
}
