// Package homeassistant owns the hub's Home Assistant bridge: MQTT discovery
// (homeassistant/<component>/<node>/<object>/config, retained) for every
// device, the devices' state and availability, and the commands Home
// Assistant sends, on a local broker apart from the cloud link: the embedded
// one (Broker, mochi-mqtt) or one the home already runs.
//
// Home Assistant is a configured local principal (localauth.Principal):
// every command is decided by localauth against the devices and actions the
// config gives it, and audited like a person's, before any output moves.
package homeassistant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/store"
)

// Devices is what the bridge needs of the device hub.
type Devices interface {
	Do(id, action, value string) (devices.State, error)
	List() []devices.State
}

// Decider is what the bridge needs of localauth: a principal's decision,
// recorded before it returns.
type Decider interface {
	DecidePrincipal(p localauth.Principal, device, action string) (localauth.Decision, error)
}

// Events is what the bridge reads of the event log: button presses, which
// can be shorter than a state poll.
type Events interface {
	Events(after uint64, limit int) ([]store.Event, error)
	LastSeq() (uint64, error)
}

// Options configure a Bridge.
type Options struct {
	Broker   string // tcp://HOST:PORT
	Username string
	Password string
	ClientID string // default edgeagent-ha-{node}
	// QoS of the bridge's publishes: 1 for an external broker (default 0).
	// On the embedded broker 0: mochi-mqtt v2.7.9 numbers its QoS 1
	// deliveries from the same space as a client's SUBSCRIBE ids and
	// refuses a subscription whose id is in flight (0x91), which Home
	// Assistant's second subscription meets while retained discovery
	// arrives. On loopback QoS 0 loses nothing.
	QoS    byte
	Topics Topics
	// Principal is who Home Assistant's commands act as (Transport is set
	// to "mqtt").
	Principal localauth.Principal
	Devices   Devices
	Decider   Decider
	Events    Events
	// DeviceInfo is added to each discovery device (manufacturer, model,
	// sw_version).
	DeviceInfo map[string]any
	// Poll is how often the devices' state is read; default 500ms.
	Poll time.Duration
	// OnCommand counts each command by result: granted, denied, invalid,
	// failed (metrics). Optional.
	OnCommand func(result string)
	Clock     clock.Clock  // default clock.Real{}
	Log       *slog.Logger // default: silent
}

// DefaultPoll is how often the bridge reads the devices' state.
const DefaultPoll = 500 * time.Millisecond

// Bridge publishes discovery and state and takes commands. Run it once.
type Bridge struct {
	o         Options
	kinds     map[string]string // device id -> kind
	connected atomic.Bool
	client    paho.Client

	mu        sync.Mutex
	published map[string]string // state topic -> last payload sent
	resend    chan struct{}     // discovery and every state again (a new connection, HA's birth)
}

// New checks the options and builds the bridge.
func New(o Options) (*Bridge, error) {
	if o.Broker == "" || o.Devices == nil || o.Decider == nil || o.Events == nil || o.Topics.Prefix == "" || o.Topics.Discovery == "" || o.Topics.Node == "" {
		return nil, fmt.Errorf("%w: broker, devices, decider, events and topics are required", ErrBadOptions)
	}
	if o.Principal.Name == "" || !o.Principal.Role.Valid() {
		return nil, fmt.Errorf("%w: principal %q role %q", ErrBadOptions, o.Principal.Name, o.Principal.Role)
	}
	o.Principal.Transport = "mqtt"
	if o.ClientID == "" {
		o.ClientID = "edgeagent-ha-" + o.Topics.Node
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.OnCommand == nil {
		o.OnCommand = func(string) {}
	}
	b := &Bridge{o: o, kinds: map[string]string{}, published: map[string]string{}, resend: make(chan struct{}, 1)}
	for _, st := range o.Devices.List() {
		b.kinds[st.ID] = st.Kind
	}
	return b, nil
}

// Connected reports whether the bridge is connected to its broker.
func (b *Bridge) Connected() bool { return b.connected.Load() }

// Discovery is every discovery message of the hub's devices.
func (b *Bridge) Discovery() []Entity {
	var out []Entity
	for _, st := range b.o.Devices.List() {
		out = append(out, Discovery(b.o.Topics, st, b.o.DeviceInfo)...)
	}
	return out
}

// publishTimeout bounds one publish's wait for the broker.
const publishTimeout = 5 * time.Second

// Run connects (and reconnects: paho's loop, 1 s up to 30 s), publishes,
// and takes commands until ctx ends; then it says offline and disconnects.
func (b *Bridge) Run(ctx context.Context) error {
	o := b.o
	opts := paho.NewClientOptions().AddBroker(o.Broker).SetClientID(o.ClientID).
		SetUsername(o.Username).SetPassword(o.Password).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(30*time.Second).
		SetKeepAlive(30*time.Second).SetOrderMatters(true).
		SetWill(o.Topics.Availability(), "offline", o.QoS, true).
		SetOnConnectHandler(func(c paho.Client) {
			b.connected.Store(true)
			o.Log.Info("homeassistant: connected", "broker", o.Broker)
			b.subscribe(c)
			select {
			case b.resend <- struct{}{}:
			default:
			}
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			b.connected.Store(false)
			o.Log.Warn("homeassistant: connection lost", "broker", o.Broker, "err", err)
		})
	b.client = paho.NewClient(opts)
	b.client.Connect() // retries in the background until ctx ends
	defer func() {
		if b.client.IsConnected() {
			b.wait(b.client.Publish(o.Topics.Availability(), o.QoS, true, "offline"))
		}
		b.client.Disconnect(250)
		b.connected.Store(false)
	}()
	after, err := o.Events.LastSeq()
	if err != nil {
		o.Log.Warn("homeassistant: reading the event log", "err", err)
	}
	for {
		tick := make(chan struct{})
		t := o.Clock.AfterFunc(o.Poll, func() { close(tick) })
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-b.resend:
			t.Stop()
			if err := b.announce(); err != nil {
				o.Log.Warn("homeassistant: discovery", "err", err)
			}
		case <-tick:
		}
		if b.connected.Load() {
			b.publishStates()
			after = b.publishPresses(after)
		}
	}
}

// announce publishes discovery, availability and every state.
func (b *Bridge) announce() error {
	var errs []error
	toks := make([]paho.Token, 0, 64)
	for _, e := range b.Discovery() {
		p, err := json.Marshal(e.Payload)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		toks = append(toks, b.client.Publish(e.Topic, b.o.QoS, true, p))
	}
	toks = append(toks, b.client.Publish(b.o.Topics.Availability(), b.o.QoS, true, "online"))
	for _, t := range toks {
		if err := b.wait(t); err != nil {
			errs = append(errs, err)
		}
	}
	b.mu.Lock()
	clear(b.published)
	b.mu.Unlock()
	b.publishStates()
	return errors.Join(errs...)
}

// publishStates publishes each device state that changed since it was
// last sent.
func (b *Bridge) publishStates() {
	for _, st := range b.o.Devices.List() {
		if st.Kind == "input" && st.Attrs["type"] == "button" {
			continue // an event entity: presses go to .../event
		}
		p, err := json.Marshal(StateDoc(st))
		if err != nil {
			continue
		}
		topic := b.o.Topics.State(st.ID)
		b.mu.Lock()
		same := b.published[topic] == string(p)
		b.published[topic] = string(p)
		b.mu.Unlock()
		if !same {
			b.client.Publish(topic, b.o.QoS, true, p) // not waited: the next change follows it in order
		}
	}
}

// publishPresses sends a button's presses recorded after seq as events.
func (b *Bridge) publishPresses(after uint64) uint64 {
	for range 10 { // bounded: at most 1 000 events a turn
		evs, err := b.o.Events.Events(after, 100)
		if err != nil || len(evs) == 0 {
			return after
		}
		for _, ev := range evs {
			after = ev.Seq
			if ev.Type == "pressed" && b.kinds[ev.Device] == "input" {
				b.client.Publish(b.o.Topics.Event(ev.Device), b.o.QoS, false, `{"event_type":"press"}`)
			}
		}
	}
	return after
}

func (b *Bridge) wait(t paho.Token) error {
	if !t.WaitTimeout(publishTimeout) {
		return fmt.Errorf("homeassistant: no answer from the broker in %s", publishTimeout)
	}
	return t.Error()
}

// subscribe takes the command topics of every device and Home Assistant's
// birth message.
func (b *Bridge) subscribe(c paho.Client) {
	filters := map[string]byte{
		b.o.Topics.Prefix + "/+/set":     1,
		b.o.Topics.Prefix + "/+/+/set":   1,
		b.o.Topics.Discovery + "/status": 1,
	}
	if err := b.wait(c.SubscribeMultiple(filters, b.message)); err != nil {
		b.o.Log.Error("homeassistant: subscribing", "err", err)
	}
}

// message handles one inbound message (paho's router, in order).
func (b *Bridge) message(_ paho.Client, m paho.Message) {
	if m.Topic() == b.o.Topics.Discovery+"/status" {
		if string(m.Payload()) == "online" {
			select {
			case b.resend <- struct{}{}:
			default:
			}
		}
		return
	}
	if m.Retained() {
		// A retained command is an old one the broker replays at every
		// subscription: never obeyed (principle 4).
		b.o.Log.Warn("homeassistant: ignored a retained command (clear it at the broker)", "topic", m.Topic())
		b.o.OnCommand("invalid")
		return
	}
	rest := strings.TrimPrefix(m.Topic(), b.o.Topics.Prefix+"/")
	levels := strings.Split(rest, "/")
	dev, sub := levels[0], ""
	if len(levels) == 3 {
		sub = levels[1]
	}
	kind, ok := b.kinds[dev]
	if !ok {
		b.o.OnCommand("invalid")
		return
	}
	cmd, err := ParseCommand(kind, dev, sub, m.Payload())
	if err != nil {
		b.o.Log.Warn("homeassistant: command refused", "err", err)
		b.o.OnCommand("invalid")
		return
	}
	b.Do(cmd)
}

// Do decides and carries out one command as the principal: the decision
// is recorded before anything moves.
func (b *Bridge) Do(cmd Command) (localauth.Decision, error) {
	d, err := b.o.Decider.DecidePrincipal(b.o.Principal, cmd.Device, cmd.Action)
	if err != nil {
		b.o.Log.Error("homeassistant: decision not recorded; nothing done", "device", cmd.Device, "action", cmd.Action, "err", err)
		b.o.OnCommand("failed")
		return d, err
	}
	if !d.Granted {
		b.o.Log.Info("homeassistant: refused", "device", cmd.Device, "action", cmd.Action, "reason", d.Reason, "principal", d.Name, "audit", d.AuditSeq)
		b.o.OnCommand("denied")
		return d, nil
	}
	if _, err := b.o.Devices.Do(cmd.Device, cmd.Action, cmd.Value); err != nil {
		b.o.Log.Warn("homeassistant: action failed", "device", cmd.Device, "action", cmd.Action, "err", err)
		b.o.OnCommand("failed")
		return d, err
	}
	b.o.OnCommand("granted")
	return d, nil
}
