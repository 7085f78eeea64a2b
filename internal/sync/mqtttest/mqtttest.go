// Package mqtttest runs a real Mosquitto (Debian's package) for tests, on a
// free loopback port in a temporary directory, and a TCP proxy that can cut
// or blackhole connections. Test-only: never imported by the agent.
package mqtttest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/outbox"
)

// Binary finds mosquitto (it lives in /usr/sbin, which a non-root PATH may
// lack). With none installed, the test fails when CI=true (CI must not pass
// by skipping the broker tests) and is skipped otherwise.
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	const msg = "mosquitto is not installed (apt-get install mosquitto; see scripts/system-packages.txt)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Broker is a Mosquitto process. Stop, Kill and Start may be called in any
// order; the port stays the same across restarts.
type Broker struct {
	t    testing.TB
	bin  string
	dir  string
	conf string
	Port int
	Addr string // 127.0.0.1:port
	URL  string // tcp://127.0.0.1:port

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *syncBuffer
}

// Start runs a broker. extra are mosquitto.conf lines added to the default
// (anonymous access, no persistence).
func Start(t testing.TB, extra ...string) *Broker {
	t.Helper()
	return startConf(t, FreePort(t), extra)
}

// startConf runs a broker with one listener on port, configured by extra.
func startConf(t testing.TB, port int, extra []string) *Broker {
	t.Helper()
	b := &Broker{t: t, bin: Binary(t), dir: t.TempDir(), log: &syncBuffer{}}
	b.Port = port
	b.Addr = fmt.Sprintf("127.0.0.1:%d", b.Port)
	b.URL = "tcp://" + b.Addr
	lines := append([]string{
		fmt.Sprintf("listener %d 127.0.0.1", b.Port),
		"allow_anonymous true",
		"max_queued_messages 0", // a test subscriber may be behind by a whole backlog
		"log_dest stderr",
		"log_type error",
		"log_type warning",
	}, extra...)
	if os.Geteuid() == 0 {
		// Otherwise mosquitto drops to user "mosquitto", which cannot read
		// the test's 0700 temporary directory.
		lines = append(lines, "user root")
	}
	b.conf = filepath.Join(b.dir, "mosquitto.conf")
	if err := os.WriteFile(b.conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Kill()
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", b.log.String())
		}
	})
	b.Start()
	return b
}

// Dir is the broker's directory (for persistence_location).
func (b *Broker) Dir() string { return b.dir }

// Start (re)starts the process and waits until it accepts connections (at
// most 5 s).
func (b *Broker) Start() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		return
	}
	cmd := exec.Command(b.bin, "-c", b.conf)
	cmd.Dir = b.dir
	cmd.Stderr = b.log
	cmd.Stdout = b.log
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("starting mosquitto: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	b.cmd, b.done = cmd, done
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", b.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			b.t.Fatalf("mosquitto exited at start:\n%s", b.log.String())
		default:
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("mosquitto not listening on %s after 5s:\n%s", b.Addr, b.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends the broker with SIGTERM (it saves its persistence file, if
// configured) and waits at most 5 s.
func (b *Broker) Stop() { b.signal(syscall.SIGTERM) }

// Kill ends the broker with SIGKILL: it forgets everything not yet saved.
func (b *Broker) Kill() { b.signal(syscall.SIGKILL) }

func (b *Broker) signal(sig syscall.Signal) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Signal(sig)
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
	b.cmd = nil
}

// Running reports whether the process is up.
func (b *Broker) Running() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cmd != nil
}

// CPUTime is the CPU time (user and system) the running broker process
// has used, from /proc/PID/stat: what a benchmark's side cost the broker.
func (b *Broker) CPUTime() time.Duration {
	b.t.Helper()
	b.mu.Lock()
	cmd := b.cmd
	b.mu.Unlock()
	if cmd == nil {
		b.t.Fatal("mosquitto is not running")
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	if err != nil {
		b.t.Fatalf("mosquitto's CPU time: %v", err)
	}
	// Fields after the command name (in parentheses, which may hold
	// spaces): utime and stime are the 14th and 15th of the line.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	if len(f) < 13 {
		b.t.Fatalf("mosquitto's CPU time: short /proc stat %q", raw)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.t.Fatalf("mosquitto's CPU time: %q in /proc stat: %v", s, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every
// Linux architecture the agent builds for.
const clockTicks = 100

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() < 1<<20 {
		s.b.Write(p)
	}
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Proxy forwards TCP connections to a target. It can refuse new
// connections (close them at once: a broker that is down), cut the ones it
// holds (a FIN: a broker that died), or blackhole them: stop forwarding in
// both directions without closing anything, as a dead NAT entry or a
// pulled cable upstream does.
type Proxy struct {
	ln     net.Listener
	target string
	Addr   string // 127.0.0.1:port
	URL    string // tcp://127.0.0.1:port

	mu       sync.Mutex
	down     bool
	conns    []*pipe // forwarding
	holes    []*pipe // blackholed, closed by Close
	accepted int
	closed   chan struct{}
}

type pipe struct {
	a, b   net.Conn
	frozen chan struct{} // closed when the pipe is blackholed
	closed chan struct{} // the proxy's
	once   sync.Once
}

// NewProxy listens on a free loopback port; it is closed in t.Cleanup.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, Addr: ln.Addr().String(), closed: make(chan struct{})}
	p.URL = "tcp://" + p.Addr
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		u, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		pp := &pipe{a: c, b: u, frozen: make(chan struct{}), closed: p.closed}
		p.mu.Lock()
		p.conns = append(p.conns, pp)
		p.mu.Unlock()
		go pp.copy(u, c)
		go pp.copy(c, u)
	}
}

// copy forwards src to dst until either closes, or stops forwarding (and
// reading) for good once the pipe is frozen.
func (pp *pipe) copy(dst, src net.Conn) {
	r := bufio.NewReaderSize(src, 32<<10)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		select {
		case <-pp.frozen:
			<-pp.closed // hold the sockets open and read nothing more until Close
			return
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				src.Close()
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

// SetDown makes the proxy close new connections at once (down) or forward
// them again.
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

// Cut closes every connection the proxy holds (both sides see a FIN).
func (p *Proxy) Cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.a.Close()
		c.b.Close()
	}
}

// Blackhole freezes every connection the proxy holds now: nothing more is
// forwarded either way and nothing is closed. New connections work.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.holes = append(p.holes, conns...)
	p.mu.Unlock()
	for _, c := range conns {
		c.once.Do(func() { close(c.frozen) })
	}
}

// Accepted counts the connections accepted so far (refused ones included).
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Close stops listening and closes every connection.
func (p *Proxy) Close() {
	p.ln.Close()
	p.Cut()
	p.mu.Lock()
	holes := p.holes
	p.holes = nil
	select {
	case <-p.closed:
	default:
		close(p.closed)
	}
	p.mu.Unlock()
	for _, c := range holes {
		c.a.Close()
		c.b.Close()
	}
}

// Connect is a plain paho client for the test's side of the broker (the
// "cloud"): auto-reconnect on, so that it rides out broker restarts; with
// persistent, the broker queues QoS 1 messages for it meanwhile (which
// survives a restart only with persistence on and a SIGTERM). Disconnected
// in t.Cleanup.
func Connect(t testing.TB, brokerURL, clientID string, persistent bool) mqtt.Client {
	t.Helper()
	o := mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(clientID).
		SetCleanSession(!persistent).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(50 * time.Millisecond).SetMaxReconnectInterval(200 * time.Millisecond).
		SetKeepAlive(5 * time.Second).SetOrderMatters(true)
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("test client %s: connecting to %s: %v", clientID, brokerURL, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c
}

// Subscribe subscribes c to filter with QoS 1 and returns a channel of the
// messages (buffered generously; a full channel blocks paho, which in a
// test shows up as a timeout, not as a lost message).
func Subscribe(t testing.TB, c mqtt.Client, filter string) <-chan mqtt.Message {
	t.Helper()
	ch := make(chan mqtt.Message, 1<<16)
	tok := c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) { ch <- m })
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribing to %s: %v", filter, tok.Error())
	}
	return ch
}

// Publish publishes with QoS 1 and waits for the PUBACK.
func Publish(t testing.TB, c mqtt.Client, topic string, retained bool, payload []byte) {
	t.Helper()
	tok := c.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publishing to %s: %v", topic, tok.Error())
	}
}

// Listener is a test client that subscribes to its filters (QoS 1) on
// every connect, so that it keeps listening across broker restarts, even
// those that forget every session.
type Listener struct {
	C      <-chan mqtt.Message
	Client mqtt.Client

	mu         sync.Mutex
	subscribed bool // since the last connection loss
}

// Listen starts a Listener and waits (at most 5 s) for its first
// subscription.
func Listen(t testing.TB, brokerURL, clientID string, persistent bool, filters ...string) *Listener {
	t.Helper()
	ch := make(chan mqtt.Message, 1<<18)
	l := &Listener{C: ch}
	subs := map[string]byte{}
	for _, f := range filters {
		subs[f] = 1
	}
	o := mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(clientID).
		SetCleanSession(!persistent).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(50 * time.Millisecond).SetMaxReconnectInterval(200 * time.Millisecond).
		SetKeepAlive(5 * time.Second).SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) { ch <- m }).
		SetOnConnectHandler(func(c mqtt.Client) {
			go func() {
				tok := c.SubscribeMultiple(subs, nil)
				if tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
					l.set(true)
				}
			}()
		}).
		SetConnectionLostHandler(func(mqtt.Client, error) { l.set(false) })
	l.Client = mqtt.NewClient(o)
	l.Client.Connect()
	t.Cleanup(func() { l.Client.Disconnect(50) })
	l.WaitReady(t)
	return l
}

func (l *Listener) set(v bool) {
	l.mu.Lock()
	l.subscribed = v
	l.mu.Unlock()
}

func (l *Listener) is(v bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.subscribed == v
}

// WaitReady waits (at most 5 s) until the listener has subscribed since it
// last lost its connection.
func (l *Listener) WaitReady(t testing.TB) {
	t.Helper()
	WaitFor(t, 5*time.Second, "the test listener to subscribe", func() bool { return l.is(true) })
}

// WaitLost waits (at most 5 s) until the listener has noticed that its
// connection is gone.
func (l *Listener) WaitLost(t testing.TB) {
	t.Helper()
	WaitFor(t, 5*time.Second, "the test listener to lose its connection", func() bool { return l.is(false) })
}

// WaitFor polls cond (real goroutines and a real broker are involved) until
// it holds, for at most within of real time, and fails the test or
// benchmark naming what it waited for.
func WaitFor(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// QueueEvents appends n events made by ev to st, in transactions of 10 000,
// and has the outbox count them with limits: a hub that was offline for a
// while, as the drain and memory benchmarks start from.
func QueueEvents(tb testing.TB, st *store.Store, n int, limits outbox.Limits, ev func(i int) *store.Event) {
	tb.Helper()
	for i := 0; i < n; i += 10000 {
		err := st.Update(func(tx *store.Tx) error {
			for j := i; j < min(i+10000, n); j++ {
				if err := st.AppendEvent(tx, ev(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	ob, err := outbox.Open(outbox.Options{Store: st, Limits: limits})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ob.Refresh(); err != nil {
		tb.Fatal(err)
	}
	if err := ob.Flush(); err != nil {
		tb.Fatal(err)
	}
}
