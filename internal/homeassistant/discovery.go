package homeassistant

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/edgeagent/edgeagent/internal/devices"
)

// Topics are the bridge's topics for one site, under {prefix}/{site}/:
//
//	{prefix}/{site}/availability             online / offline (retained; offline is the will)
//	{prefix}/{site}/{device}/state           the device's state, JSON (retained)
//	{prefix}/{site}/{device}/set             LOCK, UNLOCK, ON, OFF, OPEN, CLOSE, STOP
//	{prefix}/{site}/{device}/mode/set        boiler: heat, off
//	{prefix}/{site}/{device}/setpoint/set    boiler: °C
//	{prefix}/{site}/{device}/position/set    cover: 0..100
//	{prefix}/{site}/{device}/event           button: {"event_type":"press"} (not retained)
//	{discovery}/{component}/{node}/{object}/config   discovery (retained)
type Topics struct {
	Prefix    string // {prefix}/{site}
	Discovery string // the discovery prefix
	Node      string // the node id in discovery topics: the site
}

// Availability is the availability topic.
func (t Topics) Availability() string { return t.Prefix + "/availability" }

// State is a device's state topic.
func (t Topics) State(dev string) string { return t.Prefix + "/" + dev + "/state" }

// Event is a button's event topic.
func (t Topics) Event(dev string) string { return t.Prefix + "/" + dev + "/event" }

// Command is a device's command topic; sub is "" or mode, setpoint,
// position.
func (t Topics) Command(dev, sub string) string {
	if sub == "" {
		return t.Prefix + "/" + dev + "/set"
	}
	return t.Prefix + "/" + dev + "/" + sub + "/set"
}

// Config is a discovery config topic.
func (t Topics) Config(component, object string) string {
	return t.Discovery + "/" + component + "/" + t.Node + "/" + object + "/config"
}

// Entity is one discovery message: its topic and payload.
type Entity struct {
	Topic   string
	Payload map[string]any
}

// Discovery builds the discovery messages of one device: a lock (and its
// door contact as a binary_sensor), a switch, a climate for a boiler, a
// cover, a binary_sensor for a contact or motion input, an event for a
// button. Every entity carries the availability topic and the device info.
func Discovery(t Topics, st devices.State, info map[string]any) []Entity {
	name := st.Name
	if name == "" {
		name = st.ID
	}
	dev := map[string]any{
		"identifiers": []string{"edgeagent_" + t.Node + "_" + st.ID},
		"name":        name,
		"via_device":  "edgeagent_" + t.Node,
	}
	for k, v := range info {
		dev[k] = v
	}
	base := func(object, ename string) map[string]any {
		return map[string]any{
			"unique_id":             "edgeagent_" + t.Node + "_" + object,
			"object_id":             t.Node + "_" + object,
			"name":                  ename,
			"availability_topic":    t.Availability(),
			"payload_available":     "online",
			"payload_not_available": "offline",
			"device":                dev,
			"state_topic":           t.State(st.ID),
		}
	}
	id := st.ID
	switch st.Kind {
	case "lock":
		p := base(id, name)
		p["command_topic"] = t.Command(id, "")
		p["payload_lock"], p["payload_unlock"] = "LOCK", "UNLOCK"
		p["state_locked"], p["state_unlocked"] = "LOCKED", "UNLOCKED"
		p["value_template"] = "{{ value_json.lock }}"
		out := []Entity{{t.Config("lock", id), p}}
		if _, ok := st.Attrs["door"]; ok {
			d := base(id+"_door", name+" door")
			d["device_class"] = "door"
			d["payload_on"], d["payload_off"] = "ON", "OFF"
			d["value_template"] = "{{ value_json.door }}"
			out = append(out, Entity{t.Config("binary_sensor", id+"_door"), d})
		}
		return out
	case "switch":
		p := base(id, name)
		p["command_topic"] = t.Command(id, "")
		p["payload_on"], p["payload_off"] = "ON", "OFF"
		p["state_on"], p["state_off"] = "ON", "OFF"
		p["value_template"] = "{{ value_json.state }}"
		return []Entity{{t.Config("switch", id), p}}
	case "boiler":
		p := base(id, name)
		delete(p, "state_topic") // climate has a topic per value
		p["modes"] = []string{"off", "heat"}
		p["mode_command_topic"] = t.Command(id, "mode")
		p["mode_state_topic"] = t.State(id)
		p["mode_state_template"] = "{{ value_json.mode }}"
		p["temperature_command_topic"] = t.Command(id, "setpoint")
		p["temperature_state_topic"] = t.State(id)
		p["temperature_state_template"] = "{{ value_json.setpoint }}"
		p["current_temperature_topic"] = t.State(id)
		p["current_temperature_template"] = "{{ value_json.temperature }}"
		p["action_topic"] = t.State(id)
		p["action_template"] = "{{ value_json.action }}"
		p["temperature_unit"] = "C"
		p["min_temp"], p["max_temp"], p["temp_step"] = MinSetpoint, MaxSetpoint, 0.5
		return []Entity{{t.Config("climate", id), p}}
	case "cover":
		p := base(id, name)
		p["command_topic"] = t.Command(id, "")
		p["payload_open"], p["payload_close"], p["payload_stop"] = "OPEN", "CLOSE", "STOP"
		p["value_template"] = "{{ value_json.state }}"
		p["state_open"], p["state_opening"], p["state_closed"], p["state_closing"], p["state_stopped"] = "open", "opening", "closed", "closing", "stopped"
		p["position_topic"] = t.State(id)
		p["position_template"] = "{{ value_json.position }}"
		p["set_position_topic"] = t.Command(id, "position")
		p["position_open"], p["position_closed"] = 100, 0
		return []Entity{{t.Config("cover", id), p}}
	case "input":
		switch st.Attrs["type"] {
		case "button":
			p := base(id, name)
			p["state_topic"] = t.Event(id)
			p["event_types"] = []string{"press"}
			p["device_class"] = "button"
			return []Entity{{t.Config("event", id), p}}
		case "contact", "motion":
			p := base(id, name)
			p["device_class"] = map[any]string{"contact": "opening", "motion": "motion"}[st.Attrs["type"]]
			p["payload_on"], p["payload_off"] = "ON", "OFF"
			p["value_template"] = "{{ value_json.state }}"
			return []Entity{{t.Config("binary_sensor", id), p}}
		}
	}
	return nil
}

// Setpoints Home Assistant may ask for, in °C (the boiler's own bounds
// apply too).
const (
	MinSetpoint = 5.0
	MaxSetpoint = 30.0
)

// StateDoc is a device's state as Home Assistant's templates read it.
func StateDoc(st devices.State) map[string]any {
	d := map[string]any{}
	switch st.Kind {
	case "lock":
		d["lock"] = map[bool]string{true: "LOCKED", false: "UNLOCKED"}[st.State == "locked"]
		if door, ok := st.Attrs["door"]; ok {
			d["door"] = map[bool]string{true: "ON", false: "OFF"}[door == "open"]
		}
	case "switch":
		d["state"] = map[bool]string{true: "ON", false: "OFF"}[st.State == "on"]
	case "boiler":
		d["mode"] = st.Attrs["mode"]
		d["setpoint"] = st.Attrs["setpoint"]
		d["temperature"] = st.Attrs["temperature"]
		d["action"] = map[string]string{"heating": "heating", "idle": "idle", "off": "off", "fault": "off"}[st.State]
	case "cover":
		d["state"] = st.State
		d["position"] = st.Attrs["position"]
	case "input":
		d["state"] = map[bool]string{true: "ON", false: "OFF"}[st.State == "open" || st.State == "motion" || st.State == "pressed"]
	}
	return d
}

// Command is what a command message asks of the hub.
type Command struct {
	Device, Action, Value string
}

// ParseCommand maps a message on one of the command topics of a device of
// kind to a device action. Untrusted bytes: anything not exactly expected
// is ErrBadCommand.
func ParseCommand(kind, dev, sub string, payload []byte) (Command, error) {
	if len(payload) > 32 {
		return Command{}, fmt.Errorf("%w: %d-byte payload on %s", ErrBadCommand, len(payload), dev)
	}
	p := strings.TrimSpace(string(payload))
	c := Command{Device: dev}
	bad := func() (Command, error) {
		return Command{}, fmt.Errorf("%w: %q on %s's %s topic (a %s)", ErrBadCommand, p, dev, strings.TrimPrefix(sub+" command", " "), kind)
	}
	switch kind + "/" + sub {
	case "lock/":
		c.Action = map[string]string{"LOCK": "lock", "UNLOCK": "unlock"}[p]
	case "switch/":
		c.Action = map[string]string{"ON": "on", "OFF": "off"}[p]
	case "cover/":
		c.Action = map[string]string{"OPEN": "open", "CLOSE": "close", "STOP": "stop"}[p]
	case "boiler/mode":
		c.Action = map[string]string{"heat": "on", "off": "off"}[p]
	case "boiler/setpoint":
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(v) || v < MinSetpoint || v > MaxSetpoint {
			return bad()
		}
		c.Action, c.Value = "set-setpoint", strconv.FormatFloat(v, 'f', -1, 64)
	case "cover/position":
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
			return bad()
		}
		c.Action, c.Value = "set-position", strconv.Itoa(int(math.Round(v)))
	}
	if c.Action == "" {
		return bad()
	}
	return c, nil
}
