package homeassistant

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// BrokerOptions configure the embedded local broker.
type BrokerOptions struct {
	// Listener is where Home Assistant connects (a LAN address).
	Listener net.Listener
	// User and Password are Home Assistant's login; Bridge and
	// BridgePassword the bridge's own (made at start, never written down).
	User, Password         string
	Bridge, BridgePassword string
	// Topics: Home Assistant may read the discovery prefix and the site's
	// topics, and write only command topics and its birth message.
	Topics Topics
	Log    *slog.Logger
}

// Limits of the embedded broker: a home's clients, small messages. A
// client over them is refused or disconnected, never buffered without bound
// (the LAN is not trusted to be kind).
const (
	maxClients       = 16
	maxPacket        = 64 << 10
	maxInflight      = 256
	maxWritesPending = 1024
	maxSessionExpiry = 3600 // s
)

// Broker is an embedded MQTT broker (mochi-mqtt) for Home Assistant, apart
// from the cloud link: it accepts exactly two users, Home Assistant's and
// the bridge's.
type Broker struct {
	srv *mqtt.Server
	ln  net.Listener
}

// NewBroker builds the broker; Serve runs it.
func NewBroker(o BrokerOptions) (*Broker, error) {
	if o.Listener == nil || o.User == "" || o.Password == "" || o.Bridge == "" || o.BridgePassword == "" || o.User == o.Bridge {
		return nil, fmt.Errorf("%w: the broker needs a listener and two distinct users with passwords", ErrBadOptions)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumClients = maxClients
	caps.MaximumPacketSize = maxPacket
	caps.MaximumInflight = maxInflight
	caps.ReceiveMaximum = maxInflight
	caps.MaximumClientWritesPending = maxWritesPending
	caps.MaximumSessionExpiryInterval = maxSessionExpiry
	// mochi logs every connection at info: the agent's log is on an SD card.
	srv := mqtt.New(&mqtt.Options{Capabilities: caps, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SysTopicResendInterval: 3600})
	if err := srv.AddHook(&access{o: o, log: o.Log, clients: srv.Clients}, nil); err != nil {
		return nil, fmt.Errorf("homeassistant: broker: %w", err)
	}
	if err := srv.AddListener(listeners.NewNet("lan", o.Listener)); err != nil {
		return nil, fmt.Errorf("homeassistant: broker: %w", err)
	}
	return &Broker{srv: srv, ln: o.Listener}, nil
}

// Addr is the address the broker listens on.
func (b *Broker) Addr() net.Addr { return b.ln.Addr() }

// Serve runs the broker until ctx ends.
func (b *Broker) Serve(ctx context.Context) error {
	if err := b.srv.Serve(); err != nil {
		return fmt.Errorf("homeassistant: broker: %w", err)
	}
	<-ctx.Done()
	_ = b.srv.Close()
	return ctx.Err()
}

// access is the broker's authentication and ACL: two users, no anonymous
// clients, each session kept by the user who made it, Home Assistant
// confined to its topics.
type access struct {
	mqtt.HookBase
	o       BrokerOptions
	log     *slog.Logger
	clients *mqtt.Clients // the broker's sessions, by client id
}

func (a *access) ID() string { return "edgeagent-access" }

func (a *access) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnPublish
}

// OnPublish keeps Home Assistant's messages out of the retained store: a
// retained command would be replayed to the bridge at its next
// subscription (the bridge also refuses retained commands, for external
// brokers).
func (a *access) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if string(cl.Properties.Username) != a.o.Bridge {
		pk.FixedHeader.Retain = false
	}
	return pk, nil
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (a *access) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user, pass := string(pk.Connect.Username), string(pk.Connect.Password)
	// Both compared whatever the name, so that timing does not tell which
	// user names exist.
	asHA := equal(user, a.o.User) && equal(pass, a.o.Password)
	asBridge := equal(user, a.o.Bridge) && equal(pass, a.o.BridgePassword)
	if !asHA && !asBridge {
		a.log.Warn("homeassistant: broker refused a login", "user", user, "remote", cl.Net.Remote)
		return false
	}
	// mochi hands a session to whoever connects with its client id: Home
	// Assistant's password would knock the bridge off (the bridge's id is
	// known) and inherit its subscriptions.
	if old, ok := a.clients.Get(cl.ID); ok && string(old.Properties.Username) != user {
		a.log.Warn("homeassistant: broker refused a login in another user's session", "user", user, "client_id", cl.ID, "remote", cl.Net.Remote)
		return false
	}
	return true
}

func (a *access) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	user := string(cl.Properties.Username)
	if user == a.o.Bridge {
		return true
	}
	if user != a.o.User {
		return false
	}
	t := a.o.Topics
	if !write {
		// Subscriptions: literal prefixes, so that "#" or "+/..." never pass.
		return strings.HasPrefix(topic, t.Discovery+"/") || strings.HasPrefix(topic, t.Prefix+"/")
	}
	if topic == t.Discovery+"/status" {
		return true // Home Assistant's birth message: the bridge sends discovery again
	}
	rest, ok := strings.CutPrefix(topic, t.Prefix+"/")
	if !ok || strings.ContainsAny(rest, "+#") {
		return false
	}
	levels := strings.Split(rest, "/")
	return levels[len(levels)-1] == "set" && (len(levels) == 2 || len(levels) == 3)
}
