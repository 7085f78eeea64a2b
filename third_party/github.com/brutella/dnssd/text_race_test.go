package dnssd

// A test added by edgeagent's fork (third_party/README.md).

import (
	"context"
	"strconv"
	"testing"

	"github.com/miekg/dns"
)

// The TXT record is replaced (hap does it when a controller pairs) while
// the responder answers queries for it: go test -race finds no data race
// (v0.0.35 wrote Service.Text while the responder read it), and a query
// after the last update is answered with the new text.
func TestUpdateTextWhileResponding(t *testing.T) {
	srv, err := NewService(Config{Name: "Bridge", Type: "_hap._tcp", Domain: "local", Host: "hub", Port: 51826, Ifaces: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	conn := newTestConn()
	r := newResponder(conn)
	h := r.addManaged(srv)
	r.isRunning = true
	ctx, cancel := context.WithCancel(context.Background())
	responded := make(chan struct{})
	go func() { _ = r.respond(ctx); close(responded) }()
	// The responder is gone before the test ends: its connection's
	// goroutine reads the package's testIface, which TestProbing sets.
	defer func() { cancel(); <-responded }()

	const updates = 50
	final := make(chan struct{})
	go func() {
		for {
			select {
			case m := <-conn.out:
				if answersWith(m, "c#="+strconv.Itoa(updates-1)) {
					close(final)
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	query := func() {
		q := new(dns.Msg)
		q.SetQuestion(srv.EscapedServiceInstanceName(), dns.TypeANY)
		conn.in <- q
	}
	for i := 0; i < updates; i++ {
		query()
		h.UpdateText(map[string]string{"c#": strconv.Itoa(i)}, r)
	}
	query()
	<-final
}

// answersWith tells a query's answer (SRV and TXT) whose TXT holds kv from
// a reannouncement (TXT alone).
func answersWith(m *dns.Msg, kv string) bool {
	var srv, txt bool
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.SRV:
			srv = true
		case *dns.TXT:
			for _, s := range rr.Txt {
				txt = txt || s == kv
			}
		}
	}
	return srv && txt
}
