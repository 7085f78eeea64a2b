package devices

import (
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/store"
)

// input is a button, a contact or a motion sensor. It persists nothing: its
// state is read from the pin at Start.
type input struct {
	h         *Hub
	id, name  string
	typ       string // button, contact, motion
	pin       gpio.PinIO
	pinName   string
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

func newInput(b *builder, c InputOpts) *input {
	in := &input{h: b.h, id: c.ID, name: c.Name, typ: c.Type, pinName: c.Pin, activeLvl: c.Active, debounce: c.Debounce}
	in.pin = b.watch("input", c.ID, "pin", c.Pin, c.Pull, in.activeLvl, in.debounce, in.atStart, in.changed)
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
	what := "pin " + in.pinName
	var err error
	switch action {
	case "press":
		err = in.h.press("input", in.id, action, what, in.pinName, in.activeLvl, in.debounce)
	case "open", "motion", "close", "clear":
		lvl := in.activeLvl
		if action == "close" || action == "clear" {
			lvl = !lvl
		}
		err = in.h.simulate("input", in.id, action, what, func(s Simulator) error { return s.SetInput(in.pinName, lvl) })
	}
	if err != nil {
		return State{}, err
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
