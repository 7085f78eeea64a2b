package devices

import (
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/store"
)

// input is a button, a contact or a motion sensor. It persists nothing: its
// state is read from the pin at Start.
type input struct {
	h         *Hub
	id, name  string
	typ       string // button, contact, motion
	pin       gpio.PinIO
	activeLvl gpio.Level
	debounce  time.Duration

	mu     sync.Mutex
	shut   bool
	active bool
}

// inputWords: the state word and event for inactive / active, per type.
var inputWords = map[string]struct {
	idle, active       string
	class              store.Class
	idleEvt, activeEvt string
}{
	"button":  {"released", "pressed", ClassTelemetry, "", "pressed"},
	"contact": {"closed", "open", ClassAudit, "contact_closed", "contact_opened"},
	"motion":  {"clear", "motion", ClassTelemetry, "motion_cleared", "motion"},
}

func newInput(b *builder, c config.Input) *input {
	in := &input{h: b.h, id: c.ID, name: c.Name, typ: c.Type, activeLvl: levelOf(c.Active, gpio.Low), debounce: c.Debounce.D()}
	pull := map[string]gpio.Pull{"up": gpio.PullUp, "down": gpio.PullDown, "none": gpio.Float}[c.Pull]
	if c.Pull == "" {
		pull = gpio.PullUp
	}
	in.pin = b.watch("input", c.ID, "pin", c.Pin, pull, in.activeLvl, in.debounce, in.atStart, in.changed)
	return in
}

func (in *input) atStart(active bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.active = active
}

func (in *input) changed(active bool, _ time.Time) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.shut || active == in.active {
		return
	}
	in.active = active
	w := inputWords[in.typ]
	typ := w.idleEvt
	if active {
		typ = w.activeEvt
	}
	if typ != "" {
		in.h.journal.note(in.id, nil, []Event{newEvent(w.class, in.id, typ)})
	}
}

// do offers only simulated actions: they drive the pin, and the event comes
// through the debounced path like a real one.
func (in *input) do(action, value string) (State, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.shut {
		return State{}, errShutdown("input", in.id, action)
	}
	valid := map[string][]string{"button": {"press"}, "contact": {"open", "close"}, "motion": {"motion", "clear"}}[in.typ]
	known := false
	for _, a := range valid {
		known = known || a == action
	}
	if !known {
		return State{}, errUnknownAction("input", in.id, action, valid...)
	}
	if err := noValue("input", in.id, action, value); err != nil {
		return State{}, err
	}
	p, ok := in.pin.(*SimPin)
	if !ok {
		return State{}, errNotSimulated("input", in.id, action, "pin "+in.pin.Name())
	}
	switch action {
	case "press":
		press(in.h, p, in.activeLvl, in.debounce)
	case "open", "motion":
		p.Set(in.activeLvl)
	case "close", "clear":
		p.Set(!in.activeLvl)
	}
	return in.stateLocked(), nil
}

func (in *input) restore([]byte) error { return nil }

func (in *input) shutdown() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.shut = true
}

func (in *input) state() State {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stateLocked()
}

func (in *input) stateLocked() State {
	w := inputWords[in.typ]
	s := State{ID: in.id, Kind: "input", Name: in.name, State: w.idle, Attrs: map[string]any{"type": in.typ}}
	if in.active {
		s.State = w.active
	}
	return s
}
