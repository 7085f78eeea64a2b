package dnssd

import (
	"net"
	"sync"
	"time"

	"github.com/brutella/dnssd/log"
	"github.com/miekg/dns"
)

// ServiceHandle serves a middleman between a service and a responder.
type ServiceHandle interface {
	UpdateText(text map[string]string, r Responder)
	Service() Service
}

// edgeagent's fork (third_party/README.md): the responder's goroutines read
// the service (its TXT record among them) while UpdateText is called from
// the application's; v0.0.35 wrote Text in place. Now a Service is never
// changed once a handle points at it: UpdateText and a reprobe put a new
// one in place under mu, and readers take the pointer under mu.
type serviceHandle struct {
	mu      sync.Mutex
	service *Service
}

func newServiceHandle(srv *Service) *serviceHandle {
	return &serviceHandle{service: srv}
}

func (h *serviceHandle) get() *Service {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.service
}

func (h *serviceHandle) set(srv *Service) {
	h.mu.Lock()
	h.service = srv
	h.mu.Unlock()
}

func (h *serviceHandle) UpdateText(text map[string]string, r Responder) {
	next := *h.get()
	next.Text = make(map[string]string, len(text))
	for k, v := range text {
		next.Text[k] = v
	}
	h.set(&next)

	msg := new(dns.Msg)
	msg.Answer = []dns.RR{TXT(next)}
	msg.Response = true
	msg.Authoritative = true

	setAnswerCacheFlushBit(msg)

	log.Debug.Println("Reannounce TXT", text)

	rr := r.(*responder)
	for _, iface := range next.Interfaces() {
		resp := &Response{msg: msg, iface: iface}
		go func() {
			if err := rr.conn.SendResponse(resp); err != nil {
				log.Debug.Println("1st reannounce:", err)
			}
			time.Sleep(1 * time.Second)
			if err := rr.conn.SendResponse(resp); err != nil {
				log.Debug.Println("2nd reannounce:", err)
			}
		}()
	}
}

func (h *serviceHandle) Service() Service {
	return *h.get()
}

func (h *serviceHandle) IPv4s() []net.IP {
	var result []net.IP

	for _, ip := range h.get().IPs {
		if ip.To4() != nil {
			result = append(result, ip)
		}
	}

	return result
}

func (h *serviceHandle) IPv6s() []net.IP {
	var result []net.IP

	for _, ip := range h.get().IPs {
		if ip.To16() != nil {
			result = append(result, ip)
		}
	}

	return result
}
