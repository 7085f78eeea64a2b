package main

// `edgeagent demo`: the whole offline story on one machine. The agent runs
// in this process with simulated devices; an embedded MQTT broker plays the
// cloud, reached through a plug (a TCP relay) that the owner pulls from the
// web app with the "Pull the plug" switch; a demo authority issues an
// owner, a resident and a guest, each with a PIN. Everything lives in one
// directory; nothing leaves loopback unless --listen says so.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// plugDevice is the switch that cuts the cloud link: on = plug pulled.
const plugDevice = "pull-the-plug"

// demoPeople are the demo's credentials: name, role, PIN, devices.
var demoPeople = []struct {
	name    string
	role    wire.Role
	pin     string
	devices []string
}{
	{"owner", wire.RoleOwner, "1234", []string{"*"}},
	{"resident", wire.RoleResident, "2468", []string{"front-door", "hall-light", "heating", "curtain"}},
	{"guest", wire.RoleGuest, "1357", []string{"front-door", "hall-light"}},
}

const demoConfig = `site = "demo-home"
data_dir = %q

[lan]
listen = %q

[mqtt]
broker = %q
backoff_min = "1s"
backoff_max = "2s"
start_jitter = "0s"

[auth]
authorities = [%q]

[[lock]]
id = "front-door"
name = "Front door"
relay = "GPIO17"
fail = "secure"
relock_after = "5s"

[[switch]]
id = "hall-light"
name = "Hall light"
relay = "GPIO5"

[[switch]]
id = "pull-the-plug"
name = "Pull the plug (cuts the cloud link)"
relay = "GPIO12"

[[boiler]]
id = "heating"
name = "Heating"
relay = "GPIO6"
sensor = "28-00000a1b2c3d"

[[cover]]
id = "curtain"
name = "Living room curtain"
up = "GPIO23"
down = "GPIO24"
travel = "5s"
`

func cmdDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo")
	dir := fs.String("dir", "", "directory for the demo's config, keys, store and log (default: a new temporary one)")
	listen := fs.String("listen", "127.0.0.1:8443", "the web app's address")
	if pos, err := parseInterspersed(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("demo takes no arguments")
	}
	if err := config.CheckListen(*listen); err != nil {
		return usagef("--listen: %v", err)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "edgeagent-demo-")
		if err != nil {
			return err
		}
		*dir = d
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return runDemo(ctx, *dir, *listen, stdout)
}

// runDemo sets the demo up in dir and runs it until ctx ends.
func runDemo(ctx context.Context, dir, listen string, stdout io.Writer) error {
	logFile, err := os.OpenFile(filepath.Join(dir, "agent.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := newLogger(logFile, "info")

	// The cloud: a broker on loopback, behind the plug.
	cloud, err := newDemoCloud()
	if err != nil {
		return err
	}
	defer cloud.close()
	plug, err := newPlug(cloud.addr)
	if err != nil {
		return err
	}
	defer plug.close()

	authDir := filepath.Join(dir, "authority")
	if _, err := os.Stat(filepath.Join(authDir, localauth.AuthorityKeyFile)); errors.Is(err, os.ErrNotExist) {
		if _, err := localauth.InitAuthority(authDir); err != nil {
			return err
		}
	}
	authority, err := localauth.LoadAuthority(authDir)
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "demo.toml")
	text := fmt.Sprintf(demoConfig, filepath.Join(dir, "data"), listen, "tcp://"+plug.addr(), filepath.Join(authDir, "authority.pub"))
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return configError{err}
	}

	agentCtx, stopAgent := context.WithCancel(ctx)
	defer stopAgent()
	agentErr := make(chan error, 1)
	go func() {
		agentErr <- run(agentCtx, cfg, devices.NewSim(clock.Real{}).Options(), true, log)
	}()
	admin := localapi.NewAdminClient(cfg.SocketPath())
	if err := waitDemoReady(ctx, admin, agentErr); err != nil {
		return err
	}
	before, err := admin.Status()
	if err != nil {
		return err
	}
	for _, p := range demoPeople {
		if before.Auth.Grants > 0 {
			break // a demo started again in its --dir: the grants are there
		}
		_, holder, err := ed25519.GenerateKey(rand.Reader) // the PIN is the credential here
		if err != nil {
			return err
		}
		g, err := localauth.IssueGrant(authority, localauth.GrantSpec{
			Site: cfg.Site, Holder: holder.Public(), Name: p.name, Role: p.role, Devices: p.devices, PIN: p.pin,
		})
		if err != nil {
			return err
		}
		if _, err := admin.Import(g); err != nil {
			return fmt.Errorf("demo: importing %s's grant: %w", p.name, err)
		}
	}
	st, err := admin.Status()
	if err != nil {
		return err
	}
	printDemo(stdout, st, dir, cfg.DataDir)

	// The plug follows the switch; the cloud's count of events is shown
	// as it changes.
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	pulled, seen := false, 0
	for {
		select {
		case <-ctx.Done():
			stopAgent()
			return ignoreCanceled(<-agentErr)
		case err := <-agentErr:
			return err
		case <-tick.C:
		}
		if on, err := switchOn(admin, plugDevice); err == nil && on != pulled {
			pulled = on
			plug.set(!pulled)
			if pulled {
				fmt.Fprintln(stdout, "cloud: the plug is pulled; the hub goes on alone and queues its events")
			} else {
				fmt.Fprintln(stdout, "cloud: the plug is back in; the hub reconnects and sends what it queued")
			}
		}
		if n := cloud.events(); n != seen {
			fmt.Fprintf(stdout, "cloud: %d events received (+%d)\n", n, n-seen)
			seen = n
		}
	}
}

func switchOn(admin *localapi.AdminClient, id string) (bool, error) {
	list, err := admin.Devices()
	if err != nil {
		return false, err
	}
	for _, d := range list {
		if d.ID == id {
			return d.State == "on", nil
		}
	}
	return false, fmt.Errorf("demo: no device %s", id)
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// waitDemoReady waits until the agent answers on its admin socket (it is then
// ready: outputs safe, store open), or fails.
func waitDemoReady(ctx context.Context, admin *localapi.AdminClient, agentErr <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := admin.Ping(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case err := <-agentErr:
			return fmt.Errorf("demo: the agent stopped: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: the agent did not answer within 30 s: %w", err)
		}
	}
}

func printDemo(w io.Writer, st localapi.Status, dir, dataDir string) {
	url, fp := "", ""
	if st.LAN != nil {
		url, fp = "https://"+st.LAN.Listen, st.LAN.Fingerprint
	}
	fmt.Fprintf(w, `edgeagent demo: a simulated home, its cloud on this machine, and the web app.

  open      %s
            (self-signed certificate, SHA-256 %s: accept it)
`, url, fp)
	for _, p := range demoPeople {
		fmt.Fprintf(w, "  %-9s name %-9s PIN %s\n", p.role, p.name, p.pin)
	}
	fmt.Fprintf(w, `  files     %s (agent.log, demo.toml)
  admin     edgeagent status --data-dir %s

Things to try:
  1. Log in as resident and unlock the front door: it relocks after 5 s, and the
     cloud below counts the events.
  2. Log in as owner and switch "Pull the plug" on: the cloud link drops and the
     banner says since when (only the owner's grant covers that switch).
  3. Unlock, switch the light, move the curtain: everything works, the banner
     counts the events waiting for the cloud.
  4. Switch "Pull the plug" off: the hub reconnects and the queue drains.
  5. Log in as guest: only the front door and the hall light.
Ctrl-C stops the demo.

`, dir, dataDir)
}

// demoCloud is the embedded broker playing the cloud: it accepts the hub
// (loopback only) and counts the events it receives.
type demoCloud struct {
	srv  *mqtt.Server
	addr string

	mu  sync.Mutex
	evt int
}

func newDemoCloud() (*demoCloud, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &demoCloud{addr: ln.Addr().String()}
	c.srv = mqtt.New(&mqtt.Options{InlineClient: true, Logger: slog.New(slog.DiscardHandler)})
	if err := c.srv.AddHook(new(allowLoopback), nil); err != nil {
		ln.Close()
		return nil, err
	}
	if err := c.srv.AddListener(listeners.NewNet("cloud", ln)); err != nil {
		ln.Close()
		return nil, err
	}
	if err := c.srv.Subscribe("+/+/evt", 1, func(_ *mqtt.Client, _ packets.Subscription, _ packets.Packet) {
		c.mu.Lock()
		c.evt++
		c.mu.Unlock()
	}); err != nil {
		ln.Close()
		return nil, err
	}
	if err := c.srv.Serve(); err != nil {
		ln.Close()
		return nil, err
	}
	return c, nil
}

// allowLoopback lets every client in: the demo's broker listens on
// loopback only.
type allowLoopback struct{ mqtt.HookBase }

func (*allowLoopback) ID() string { return "demo-allow" }
func (*allowLoopback) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}
func (*allowLoopback) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }
func (*allowLoopback) OnACLCheck(*mqtt.Client, string, bool) bool              { return true }

func (c *demoCloud) events() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.evt
}

func (c *demoCloud) close() { _ = c.srv.Close() }

// plug relays TCP connections to the cloud while it is in; pulling it
// closes every relayed connection and refuses new ones, as a cut cable
// (or a cloud that burned down) would.
type plug struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	in    bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newPlug(target string) (*plug, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &plug{ln: ln, target: target, in: true, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	return p, nil
}

func (p *plug) addr() string { return p.ln.Addr().String() }

func (p *plug) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		in := p.in
		p.mu.Unlock()
		if !in {
			c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { p.relay(c, up) })
	}
}

func (p *plug) relay(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = io.Copy(a, b); a.Close(); b.Close() })
	_, _ = io.Copy(b, a)
	a.Close()
	b.Close()
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, a)
	delete(p.conns, b)
	p.mu.Unlock()
}

// set puts the plug in (true) or pulls it (false).
func (p *plug) set(in bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.in = in
	if !in {
		for c := range p.conns {
			c.Close()
		}
	}
}

func (p *plug) close() {
	p.ln.Close()
	p.set(false)
	p.wg.Wait()
}
