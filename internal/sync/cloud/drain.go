package cloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/clock"
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

// Grouping the cursor's commits: the delivered cursor is written (one
// commit, an fsync) when the drain has caught up with the log, else once
// recordGroup events are acknowledged or the oldest acknowledgement not yet
// recorded is recordEvery old. A backlog drained at the default 200/s then
// costs one commit a second, not one per PUBACK (an SD card wears by
// commits), and an unlimited drain one per recordGroup events. What a
// crash loses is only the record of PUBACKs: those events are sent again
// (at least once; the cloud drops duplicates by id), never lost.
const (
	recordGroup = 1024
	recordEvery = time.Second
)

// drain publishes queued events in seq order, at most Window awaiting their
// PUBACK and at most DrainRate per second, and acknowledges them to the
// outbox (grouped, see recordGroup) when their PUBACKs arrive on this
// connection. Everything unacknowledged when the connection ends is sent
// again by the next session, from the start of the queue: the outbox, not
// paho's store, is the source of truth.
func (s *Service) drain(ctx context.Context, sess *mqttlink.Session) {
	window := s.opts.Window
	// Reading a stored event and encoding it costs more than publishing
	// it: readAhead does it on its own goroutine, a window ahead, so that
	// it overlaps the wait for PUBACKs instead of adding to it; up to four
	// windows ahead (a few tens of KB), so that a slow turn of the reader
	// does not leave the window empty. The session ends only once the
	// reader has: no read of the store after Run.
	batches := make(chan []encoded, 4)
	rctx, stopReading := context.WithCancel(ctx)
	reading := make(chan struct{})
	go func() { defer close(reading); s.readAhead(rctx, window, batches) }()
	defer func() { stopReading(); <-reading }()
	var queue []encoded // read ahead, not yet published
	var caughtUp bool   // the last batch was empty: nothing more in the log
	take := func(b []encoded) { queue, caughtUp = b, len(b) == 0 }
	// In flight, in publish order. The loop waits on the oldest token: a
	// broker acknowledges in order (MQTT 3.1.1 §4.6), and one that does
	// not only makes a later PUBACK wait for an earlier one.
	inflight := make([]published, 0, window)
	var done []outbox.Ref   // acknowledged by the broker, not yet recorded
	var doneSince time.Time // when the oldest of done was acknowledged
	rate := limiter{rate: s.opts.DrainRate, burst: float64(window)}
	// Two alarms, not one shared: while the watchdog's was armed (a second
	// ahead), a refused token armed nothing, and a broker that answers at
	// once held a default-rate drain to a window a second (62/s, not 200).
	nextToken := alarm{c: make(chan struct{}, 1)}
	watchdog := alarm{c: make(chan struct{}, 1)}
	// Recording acknowledged events costs a commit (an fsync); done in
	// their own goroutine, they never stall the publishing. The session
	// records what is left and waits for it before it ends, so that the
	// next one does not resend what was acknowledged.
	rec := newRecorder(s)
	defer func() {
		rec.add(done)
		rec.close()
	}()
	// The watchdog: a PUBACK overdue by this much means a connection paho's
	// keepalive has not caught yet (it should have).
	overdue := 2*s.keepAlive + 10*time.Second

	for {
		// Publish while the window and the rate allow.
		for len(inflight) < window {
			if len(queue) == 0 {
				select {
				case b := <-batches:
					take(b)
				default:
				}
				if len(queue) == 0 {
					break
				}
			}
			ok, wait := rate.take(s.clk.Now())
			if !ok {
				nextToken.arm(s.clk, wait)
				break
			}
			e := queue[0]
			queue = queue[1:]
			if e.payload == nil { // could not be encoded: dropped, not stalled on
				rec.add([]outbox.Ref{e.ref})
				continue
			}
			tok := sess.Publish(s.topics.Evt, false, e.payload)
			inflight = append(inflight, published{tok: tok, ref: e.ref, sent: s.clk.Now()})
		}
		if len(done) > 0 {
			idle := caughtUp && len(inflight) == 0
			if idle || len(done) >= recordGroup || s.clk.Now().Sub(doneSince) >= recordEvery {
				rec.add(done)
				done = done[:0]
			}
		}
		var oldest <-chan struct{}
		if len(inflight) > 0 {
			watchdog.arm(s.clk, time.Second)
			oldest = inflight[0].tok.Done()
		}
		var next <-chan []encoded
		if len(queue) == 0 && len(inflight) < window {
			next = batches
		}

		select {
		case <-oldest:
			// Take every PUBACK that is already here, in order.
			n := 0
			for ; n < len(inflight) && mqttlink.Done(inflight[n].tok); n++ {
				if err := inflight[n].tok.Error(); err != nil {
					sess.Drop(fmt.Errorf("publish failed: %w", err))
					return
				}
				if len(done) == 0 {
					doneSince = s.clk.Now()
				}
				done = append(done, inflight[n].ref)
			}
			inflight = append(inflight[:0], inflight[n:]...)
			s.mu.Lock()
			s.lastSync = s.clk.Now()
			s.mu.Unlock()
		case b := <-next:
			take(b)
		case <-nextToken.c:
			nextToken.armed = false
		case <-watchdog.c:
			watchdog.armed = false
			if len(inflight) > 0 && s.clk.Now().Sub(inflight[0].sent) > overdue {
				sess.Drop(fmt.Errorf("no PUBACK for event %d in %s", inflight[0].ref.Seq, overdue))
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// encoded is an event read and encoded ahead of its publish; payload nil:
// it could not be encoded (it cannot happen for what the store decoded).
type encoded struct {
	ref     outbox.Ref
	payload []byte
}

// readAhead reads the outbox a window at a time, from the start of the
// queue, encodes each window and hands it over; an empty batch says the
// log has no more, and it then waits for the outbox loop's wake. It ends
// with ctx (the drain's).
func (s *Service) readAhead(ctx context.Context, window int, batches chan<- []encoded) {
	var after uint64       // the last seq read
	var read []store.Event // reused: a window is decoded into it
	var lastErr string     // logged once until it changes (as outboxLoop)
	for {
		var err error
		read, err = s.ob.AppendNext(read[:0], after, window)
		if err != nil {
			// The outbox loop deletes an undecodable record; try again
			// after its next turn.
			if err.Error() != lastErr {
				lastErr = err.Error()
				s.log.Error("cloud: reading the outbox", "err", err)
			}
			if !sleep(ctx, s.clk, outboxRefresh) {
				return
			}
			continue
		}
		lastErr = ""
		b := make([]encoded, len(read))
		for i, ev := range read {
			b[i].ref = outbox.Ref{Seq: ev.Seq, Class: ev.Class}
			if b[i].payload, err = outbox.Encode(s.site, s.instance, ev); err != nil {
				s.log.Error("cloud: cannot encode event; dropping it", "seq", ev.Seq, "err", err)
			}
			after = ev.Seq
		}
		select {
		case batches <- b:
		case <-ctx.Done():
			return
		}
		if len(b) == 0 {
			select {
			case <-s.wake:
			case <-ctx.Done():
				return
			}
		}
	}
}

// published is an event's publish awaiting its PUBACK.
type published struct {
	tok  mqtt.Token
	ref  outbox.Ref
	sent time.Time
}

// alarm is a one-shot timer on the service's clock, armed again after it
// fired; only the drain's goroutine touches armed.
type alarm struct {
	c     chan struct{}
	armed bool
}

func (a *alarm) arm(clk clock.Clock, d time.Duration) {
	if a.armed {
		return
	}
	a.armed = true
	clk.AfterFunc(d, func() {
		select {
		case a.c <- struct{}{}:
		default:
		}
	})
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
