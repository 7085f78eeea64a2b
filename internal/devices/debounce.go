package devices

import (
	"context"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/liveness"
)

// edgeWait bounds each WaitForEdge so that a watcher notices a cancelled
// context promptly; sampling the level after every wake also catches an edge
// the kernel coalesced or lost.
const edgeWait = 100 * time.Millisecond

// debouncer turns sampled levels into changes that held for hold. It uses
// the Hub's clock rather than periph's gpioutil.Debounce, which sleeps, so
// that tests run in microseconds.
type debouncer struct {
	h    *Hub
	hold time.Duration
	fire func(active bool, since time.Time) // called with mu held, in order

	mu      sync.Mutex
	stable  bool      // the last level that counted
	pending bool      // the last level sampled
	since   time.Time // when pending was first seen
	t       timer
}

// reset sets the level seen at start, which is not a change.
func (d *debouncer) reset(active bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.t.stop()
	d.stable, d.pending = active, active
}

// sample feeds one reading. A level that differs from the stable one starts
// the hold; a bounce back before it elapses cancels it; the same level again
// changes nothing, so repeated samples do not restart the hold.
func (d *debouncer) sample(active bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if active == d.pending {
		return
	}
	d.pending = active
	d.t.stop()
	if active == d.stable {
		return
	}
	d.since = d.h.clk.Now()
	since := d.since
	d.h.arm(&d.t, &d.mu, d.hold, func() {
		d.stable = active
		// fire runs under d.mu so that two quick changes reach the device in
		// the order they happened.
		d.fire(active, since)
	})
}

// watch is one input pin: a lock's door contact or exit button, or an input
// device.
type watch struct {
	h      *Hub
	name   string // for logs, e.g. `lock "front" contact`
	pin    gpio.PinIO
	pinID  string // the pin's name in Config, for the Simulator
	pull   gpio.Pull
	active gpio.Level
	init   func(active bool) // level at Start: sets state, emits nothing
	deb    debouncer
	edges  bool // edge detection works; otherwise the watcher polls
}

func (b *builder) watch(kind, id, key, name string, pull gpio.Pull, active gpio.Level, hold time.Duration,
	init func(bool), fire func(bool, time.Time)) gpio.PinIO {
	p := b.pin(kind, id, key, name)
	if p == nil {
		return nil
	}
	w := &watch{h: b.h, name: kind + " " + id + " " + key, pin: p, pinID: name, pull: pull, active: active, init: init}
	w.deb = debouncer{h: b.h, hold: hold, fire: fire}
	b.h.watches = append(b.h.watches, w)
	return p
}

// start configures the pin as an input with both edges and reads its level.
func (w *watch) start() {
	w.edges = true
	if err := w.pin.In(w.pull, gpio.BothEdges); err != nil {
		w.h.log.Warn("devices: no edge detection on input; polling it", "input", w.name, "err", err)
		w.edges = false
		if err := w.pin.In(w.pull, gpio.NoEdge); err != nil {
			w.h.log.Error("devices: cannot configure input", "input", w.name, "err", err)
		}
	}
	if w.h.sim != nil {
		w.h.sim.Settle(w.pinID, !w.active)
	}
	a := w.pin.Read() == w.active
	w.deb.reset(a)
	w.init(a)
}

func (w *watch) run(ctx context.Context, l *liveness.Loop) {
	for ctx.Err() == nil {
		l.Beat()
		if w.edges {
			w.step(edgeWait)
		} else if sleep(ctx, w.h, edgeWait) {
			w.step(0)
		}
	}
}

// step waits up to wait for an edge, then samples the level.
func (w *watch) step(wait time.Duration) {
	w.pin.WaitForEdge(wait)
	w.deb.sample(w.pin.Read() == w.active)
}

// sleep waits d on the Hub's clock; false when ctx ended first.
func sleep(ctx context.Context, h *Hub, d time.Duration) bool {
	ch := make(chan struct{})
	t := h.clk.AfterFunc(d, func() { close(ch) })
	select {
	case <-ctx.Done():
		t.Stop()
		return false
	case <-ch:
		return true
	}
}
