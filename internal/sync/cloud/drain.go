package cloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/sync/outbox"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// session runs for one live connection: the reported state in the
// background, the outbox drain here.
func (s *Service) session(ctx context.Context, sess *mqttlink.Session) {
	done := make(chan struct{})
	go func() { defer close(done); s.stateLoop(ctx, sess) }()
	s.drain(ctx, sess)
	<-done
}

// ack is a PUBACK (or a failed publish) for one event.
type ack struct {
	ref outbox.Ref
	err error
}

// drain publishes queued events in seq order, at most Window awaiting their
// PUBACK and at most DrainRate per second, and acknowledges each to the
// outbox when its PUBACK arrives on this connection. Everything unacknowledged when
// the connection ends is sent again by the next session, from the start of
// the queue: the outbox, not paho's store, is the source of truth.
func (s *Service) drain(ctx context.Context, sess *mqttlink.Session) {
	window := s.opts.Window
	acks := make(chan ack, window)
	// One goroutine waits for the tokens in publish order (a broker
	// acknowledges in order; one that does not only makes a later PUBACK
	// wait for an earlier one): no goroutine per event. At most window
	// tokens are outstanding, so neither channel ever blocks the loop.
	tokens := make(chan published, window)
	defer close(tokens)
	go waitAcks(ctx, tokens, acks)
	inflight := map[uint64]time.Time{} // seq -> when published
	var queue []store.Event            // read ahead from the outbox, not yet published
	var after uint64                   // the last seq read
	var done []outbox.Ref              // acknowledged by the broker, not yet recorded
	rate := limiter{rate: s.opts.DrainRate, burst: float64(window)}
	timer := make(chan struct{}, 1)
	var armed bool
	arm := func(d time.Duration) {
		if armed {
			return
		}
		armed = true
		s.clk.AfterFunc(d, func() {
			select {
			case timer <- struct{}{}:
			default:
			}
		})
	}
	// Recording acknowledged events costs a commit (an fsync); done in
	// their own goroutine, they group themselves under load and never stall
	// the publishing. The session waits for the last record before it
	// ends, so that the next one does not resend what was acknowledged.
	rec := newRecorder(s)
	defer rec.close()
	flush := func() {
		rec.add(done)
		done = done[:0]
	}
	// The watchdog: a PUBACK overdue by this much means a connection paho's
	// keepalive has not caught yet (it should have).
	overdue := 2*s.keepAlive + 10*time.Second
	watch := time.Duration(0)

	for {
		// Publish while the window and the rate allow.
		for len(inflight) < window {
			if len(queue) == 0 {
				evs, err := s.ob.Next(after, window)
				if err != nil {
					s.log.Error("cloud: reading the outbox", "err", err)
					break
				}
				if len(evs) == 0 {
					break
				}
				queue = evs
			}
			ok, wait := rate.take(s.clk.Now())
			if !ok {
				arm(wait)
				break
			}
			ev := queue[0]
			queue = queue[1:]
			after = ev.Seq
			payload, err := outbox.NewEnvelope(s.site, s.instance, ev).Marshal()
			if err != nil {
				// Cannot happen for what the store decoded; drop rather than
				// stall the queue on it forever.
				s.log.Error("cloud: cannot encode event; dropping it", "seq", ev.Seq, "err", err)
				done = append(done, outbox.Ref{Seq: ev.Seq, Class: ev.Class})
				flush()
				continue
			}
			tok := sess.Publish(s.topics.Evt, false, payload)
			inflight[ev.Seq] = s.clk.Now()
			tokens <- published{tok, outbox.Ref{Seq: ev.Seq, Class: ev.Class}}
		}
		if len(inflight) > 0 && watch == 0 {
			watch = time.Second
			arm(watch)
		}

		select {
		case a := <-acks:
			// Take every PUBACK that is already here, then record them in
			// one transaction: under load the records group themselves.
			for {
				delete(inflight, a.ref.Seq)
				if a.err != nil {
					sess.Drop(fmt.Errorf("publish failed: %w", a.err))
					return
				}
				done = append(done, a.ref)
				var more bool
				select {
				case a, more = <-acks:
				default:
				}
				if !more {
					break
				}
			}
			s.mu.Lock()
			s.lastSync = s.clk.Now()
			s.mu.Unlock()
			flush()
		case <-s.wake:
		case <-timer:
			armed, watch = false, 0
			now := s.clk.Now()
			for seq, sent := range inflight {
				if now.Sub(sent) > overdue {
					sess.Drop(fmt.Errorf("no PUBACK for event %d in %s", seq, overdue))
					return
				}
			}
		case <-ctx.Done():
			return
		}
	}
}

// published is an event's publish awaiting its PUBACK.
type published struct {
	tok mqtt.Token
	ref outbox.Ref
}

// waitAcks reports each token's outcome in publish order, until tokens is
// closed or the session ends (with a persistent session paho may never
// complete a token of a lost connection).
func waitAcks(ctx context.Context, tokens <-chan published, acks chan<- ack) {
	for p := range tokens {
		select {
		case <-p.tok.Done():
			select {
			case acks <- ack{p.ref, p.tok.Error()}:
			case <-ctx.Done():
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// StateDoc is the reported state, retained on {prefix}/{site}/state (CDDL
// in docs/protocol.md).
type StateDoc struct {
	Site    string        `cbor:"1,keyasint"`
	HLC     uint64        `cbor:"2,keyasint"`
	Time    int64         `cbor:"3,keyasint"` // wall clock, Unix ms (a claim)
	Devices []DeviceState `cbor:"4,keyasint"`
}

// DeviceState is one device in a StateDoc.
type DeviceState struct {
	ID    string         `cbor:"1,keyasint"`
	Kind  string         `cbor:"2,keyasint"`
	Name  string         `cbor:"3,keyasint,omitempty"`
	State string         `cbor:"4,keyasint"`
	Attrs map[string]any `cbor:"5,keyasint,omitempty"`
}

// DecodeStateDoc decodes a state document (the cloud's side, and tests').
func DecodeStateDoc(b []byte) (*StateDoc, error) {
	var d StateDoc
	if err := wire.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// stateLoop publishes the reported state when it changed, at most once per
// StateInterval: devices change often (a boiler's temperature), the cloud
// needs the latest, not every step.
func (s *Service) stateLoop(ctx context.Context, sess *mqttlink.Session) {
	var last []byte
	for {
		list := s.dev.List()
		devs, err := wire.Marshal(list)
		if err == nil && !bytes.Equal(devs, last) {
			if err := s.publishState(ctx, sess, list); err != nil {
				if !errors.Is(err, context.Canceled) {
					s.log.Warn("cloud: publishing the reported state", "err", err)
				}
			} else {
				last = devs
			}
		}
		if !sleep(ctx, s.clk, s.opts.StateInterval) {
			return
		}
	}
}

func (s *Service) publishState(ctx context.Context, sess *mqttlink.Session, list []devices.State) error {
	ts, err := s.hlc.Now()
	if err != nil {
		return err
	}
	doc := StateDoc{Site: s.site, HLC: uint64(ts), Time: s.clk.Now().UnixMilli()}
	for _, d := range list {
		doc.Devices = append(doc.Devices, DeviceState{ID: d.ID, Kind: d.Kind, Name: d.Name, State: d.State, Attrs: d.Attrs})
	}
	b, err := wire.Marshal(&doc)
	if err != nil {
		return err
	}
	if len(b) > outbox.MaxPayload {
		return fmt.Errorf("state document of %d bytes is over the %d-byte payload limit", len(b), outbox.MaxPayload)
	}
	tok := sess.Publish(s.topics.State, true, b)
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recorder records acknowledged events in groups, off the drain's path.
type recorder struct {
	s    *Service
	mu   sync.Mutex
	refs []outbox.Ref
	kick chan struct{}
	done chan struct{}
	stop chan struct{}
}

func newRecorder(s *Service) *recorder {
	r := &recorder{s: s, kick: make(chan struct{}, 1), done: make(chan struct{}), stop: make(chan struct{})}
	go r.run()
	return r
}

func (r *recorder) add(refs []outbox.Ref) {
	if len(refs) == 0 {
		return
	}
	r.mu.Lock()
	r.refs = append(r.refs, refs...)
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *recorder) run() {
	defer close(r.done)
	for {
		select {
		case <-r.kick:
		case <-r.stop:
			r.record()
			return
		}
		r.record()
	}
}

func (r *recorder) record() {
	r.mu.Lock()
	refs := r.refs
	r.refs = nil
	r.mu.Unlock()
	if len(refs) == 0 {
		return
	}
	if err := r.s.ob.Ack(refs); err != nil {
		// The events stay queued and go again: at least once.
		r.s.log.Error("cloud: recording acknowledged events", "err", err)
	}
}

// close records what is left and waits for it.
func (r *recorder) close() {
	close(r.stop)
	<-r.done
}
