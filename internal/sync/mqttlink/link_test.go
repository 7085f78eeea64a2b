package mqttlink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
)

// Tests with a real Mosquitto on loopback. Each bounds its waits.

func runLink(t *testing.T, o Options, session func(ctx context.Context, s *Session)) *Link {
	t.Helper()
	if o.ClientID == "" {
		o.ClientID = "hub-" + strings.ReplaceAll(t.Name(), "/", "-")
	}
	l, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx, session) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5 s of its context ending")
		}
	})
	return l
}

func recv(t *testing.T, ch <-chan string, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case got := <-ch:
			if got == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %q within %s", want, within)
		}
	}
}

func TestLinkStatusWillSubscriptionsAndPublish(t *testing.T) {
	b := mqtttest.Start(t)
	cloud := mqtttest.Connect(t, b.URL, "cloud", false)
	status := make(chan string, 16)
	out := make(chan string, 16)
	cloud.Subscribe("t/status", 1, func(_ mqtt.Client, m mqtt.Message) { status <- string(m.Payload()) })
	cloud.Subscribe("t/out", 1, func(_ mqtt.Client, m mqtt.Message) { out <- string(m.Payload()) })

	sessions := make(chan *Session, 4)
	l := runLink(t, Options{Broker: b.URL, StatusTopic: "t/status", Online: []byte("online"), Offline: []byte("offline"),
		Subscriptions: []string{"t/in"}, Backoff: Backoff{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}},
		func(ctx context.Context, s *Session) {
			sessions <- s
			tok := s.Publish("t/out", false, []byte("hello"))
			select {
			case <-tok.Done():
			case <-ctx.Done():
			}
			<-ctx.Done()
		})
	recv(t, status, "online", 5*time.Second)
	recv(t, out, "hello", 5*time.Second)
	if s := l.Status(); !s.Connected || s.Since.IsZero() || s.Attempts != 1 {
		t.Fatalf("status %+v", s)
	}

	mqtttest.Publish(t, cloud, "t/in", false, []byte("cmd"))
	select {
	case m := <-l.Inbound():
		if m.Topic != "t/in" || string(m.Payload) != "cmd" {
			t.Fatalf("inbound %+v", m)
		}
		m.Ack()
	case <-time.After(5 * time.Second):
		t.Fatal("no inbound message")
	}

	// A dropped connection (no DISCONNECT): the broker publishes the will,
	// and the link comes back by itself.
	s := <-sessions
	s.Drop(errors.New("test"))
	recv(t, status, "offline", 5*time.Second)
	recv(t, status, "online", 5*time.Second)
	recv(t, out, "hello", 5*time.Second)
	if st := l.Status(); st.Attempts != 2 || !strings.Contains(st.LastError, "test") {
		t.Fatalf("status after drop %+v", st)
	}
}

// A broker that refuses the credentials gets a clear error and a slow
// retry, not a busy loop.
func TestRefusedCredentialsGiveAClearErrorAndASlowRetry(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwd")
	passwd, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		mqtttest.Binary(t) // skip or fail as for the broker itself
		t.Fatal("mosquitto_passwd missing while mosquitto is installed")
	}
	if out, err := exec.Command(passwd, "-c", "-b", pw, "hub", "right").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v %s", err, out)
	}
	b := mqtttest.Start(t, "allow_anonymous false", "password_file "+pw)
	l := runLink(t, Options{Broker: b.URL, Username: "hub", Password: "wrong",
		// Were refusals treated as ordinary failures, this would retry
		// every few milliseconds.
		Backoff: Backoff{Min: time.Millisecond, Max: 4 * time.Second}}, func(ctx context.Context, s *Session) {
		t.Error("connected with a wrong password")
		<-ctx.Done()
	})
	// The link sets NextAttempt once it has chosen the delay after the
	// refusal: read the status then.
	var s Status
	waitUntil(t, "the first refusal and the retry after it", func() bool {
		s = l.Status()
		return !s.LastErrorAt.IsZero() && s.NextAttempt.After(s.LastErrorAt)
	})
	if s.Attempts != 1 || !s.Refused || !strings.Contains(s.LastError, "refused") || !strings.Contains(s.LastError, "not authorised: check the username, password") {
		t.Fatalf("status %+v", s)
	}
	if wait := s.NextAttempt.Sub(s.LastErrorAt); wait < 2*time.Second || wait > 4*time.Second {
		t.Fatalf("next attempt %s after the refusal, want 2-4 s (Max/2 to Max)", wait)
	}

	ok := runLink(t, Options{Broker: b.URL, Username: "hub", Password: "right", ClientID: "hub-ok"}, func(ctx context.Context, s *Session) { <-ctx.Done() })
	waitUntil(t, "the right password to connect", func() bool { return ok.Status().Connected })
}

// Traffic blackholed (no FIN, no RST): the keepalive notices within its
// bound and the link reconnects.
func TestHalfOpenConnectionIsDetected(t *testing.T) {
	b := mqtttest.Start(t)
	p := mqtttest.NewProxy(t, b.Addr)
	var sessions atomic.Int32
	l := runLink(t, Options{Broker: p.URL, KeepAlive: time.Second, Backoff: Backoff{Min: 50 * time.Millisecond, Max: 100 * time.Millisecond}},
		func(ctx context.Context, s *Session) {
			sessions.Add(1)
			<-ctx.Done()
		})
	waitUntil(t, "the link to connect", func() bool { return l.Status().Connected })
	start := time.Now()
	p.Blackhole()
	deadline := time.Now().Add(5 * time.Second)
	for sessions.Load() < 2 || !l.Status().Connected {
		if time.Now().After(deadline) {
			t.Fatalf("blackholed connection not replaced within 5 s: %+v", l.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// KeepAlive 1 s: checked every 250 ms, a ping answered within 1 s.
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("took %s", took)
	}
	t.Logf("half-open connection replaced in %s: %s", time.Since(start).Round(time.Millisecond), l.Status().LastError)
}

// A consumer that falls behind loses nothing: the link stops reading, the
// broker keeps what the hub has not taken, and every message arrives, in
// order, once the consumer reads again. (Before: with the buffer full, a
// message was acknowledged and dropped, so the broker never sent it again.)
// The hub's own publishes are acknowledged again once it has caught up.
func TestInboundBackPressureLosesNothing(t *testing.T) {
	const n = 300
	b := mqtttest.Start(t)
	cloud := mqtttest.Connect(t, b.URL, "cloud", false)
	sessions := make(chan *Session, 4)
	l := runLink(t, Options{Broker: b.URL, Subscriptions: []string{"t/in"}, InboundDepth: 2, MaxPayload: 16},
		func(ctx context.Context, s *Session) { sessions <- s; <-ctx.Done() })
	s := <-sessions
	var toks []mqtt.Token
	for i := range n {
		payload := []byte(fmt.Sprint(i))
		if i == 0 {
			payload = make([]byte, 1<<10) // over MaxPayload, under the packet limit: handed over without its bytes
		}
		toks = append(toks, cloud.Publish("t/in", 1, false, payload))
	}
	for i, tok := range toks {
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("the broker did not take publish %d: %v", i, tok.Error())
		}
	}
	for i := range n {
		select {
		case m := <-l.Inbound():
			if i == 0 {
				if m.Size != 1<<10 || m.Payload != nil {
					t.Fatalf("oversized message: size %d, payload %d bytes", m.Size, len(m.Payload))
				}
			} else if string(m.Payload) != fmt.Sprint(i) {
				t.Fatalf("message %d is %q", i, m.Payload)
			}
			m.Ack()
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d of %d never arrived (dropped?)", i, n)
		}
	}
	tok := s.Publish("t/out", false, []byte("after"))
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("the hub's publish after the flood: %v", tok.Error())
	}
	if st := l.Status(); st.Attempts != 1 {
		t.Fatalf("reconnected during the flood: %+v", st)
	}
}

// TLS with a client certificate, as AWS IoT Core and most platforms
// require: with the certificate the link comes up; without it the broker
// refuses the handshake and the status says so.
func TestTLSWithClientCertificate(t *testing.T) {
	f := mqtttest.MakeTLS(t, t.TempDir(), "home-1")
	b := mqtttest.StartTLS(t, f)
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cert, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	ok := runLink(t, Options{Broker: b.URL, TLS: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}},
		func(ctx context.Context, s *Session) { <-ctx.Done() })
	waitUntil(t, "the TLS link", func() bool { return ok.Status().Connected })

	bare := runLink(t, Options{Broker: b.URL, ClientID: "no-cert", TLS: &tls.Config{RootCAs: pool}},
		func(ctx context.Context, s *Session) { t.Error("connected without a client certificate"); <-ctx.Done() })
	waitUntil(t, "the refusal", func() bool { return bare.Status().LastError != "" })
	untrusted := runLink(t, Options{Broker: b.URL, ClientID: "no-ca"}, func(ctx context.Context, s *Session) {
		t.Error("connected to a broker whose CA is not trusted")
		<-ctx.Done()
	})
	waitUntil(t, "the certificate error", func() bool { return strings.Contains(untrusted.Status().LastError, "certificate") })
	t.Logf("without a client certificate: %s", bare.Status().LastError)
}
