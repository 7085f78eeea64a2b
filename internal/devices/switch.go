package devices

import (
	"errors"
	"sync"

	"periph.io/x/conn/v3/gpio"
)

// relaySwitch is a relay for a light, a socket or a vehicle immobiliser.
type relaySwitch struct {
	h        *Hub
	id, name string
	relay    gpio.PinIO
	onLvl    gpio.Level
	restores bool

	mu   sync.Mutex
	shut bool
	on   bool
}

type switchSaved struct {
	On *bool `cbor:"on"`
}

func newSwitch(b *builder, c SwitchOpts) *relaySwitch {
	s := &relaySwitch{h: b.h, id: c.ID, name: c.Name, onLvl: c.Active, restores: c.Restore}
	s.relay = b.output("switch", c.ID, "relay", c.Relay, !s.onLvl)
	return s
}

func (s *relaySwitch) do(action, value string) (State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shut {
		return State{}, errShutdown("switch", s.id, action)
	}
	var on bool
	switch action {
	case "on":
		on = true
	case "off":
		on = false
	case "toggle":
		on = !s.on
	default:
		return State{}, errUnknownAction("switch", s.id, action, "on", "off", "toggle")
	}
	if err := noValue("switch", s.id, action, value); err != nil {
		return State{}, err
	}
	if err := s.set(on); err != nil {
		return State{}, err
	}
	return s.stateLocked(), nil
}

func (s *relaySwitch) set(on bool) error {
	if err := s.h.out(s.relay, s.level(on)); err != nil {
		s.h.out(s.relay, s.level(s.on))
		return err
	}
	if on == s.on {
		return nil
	}
	s.on = on
	typ := "switched_off"
	if on {
		typ = "switched_on"
	}
	s.h.journal.note(s.id, encode(switchSaved{On: &s.on}), []Event{newEvent(ClassState, s.id, typ)})
	return nil
}

func (s *relaySwitch) level(on bool) gpio.Level {
	if on {
		return s.onLvl
	}
	return !s.onLvl
}

// restore brings the switch back on only when its options allow it: an
// immobiliser has Restore = false so that a reboot leaves it off.
func (s *relaySwitch) restore(b []byte) error {
	var v switchSaved
	if err := decode(b, &v); err != nil {
		return err
	}
	if v.On == nil {
		return errors.New("switch record without \"on\"")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.restores || !*v.On || s.shut {
		return nil
	}
	if err := s.h.out(s.relay, s.onLvl); err != nil {
		return err
	}
	s.on = true
	return nil
}

func (s *relaySwitch) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shut = true // switches keep their state: lights stay as residents left them
}

func (s *relaySwitch) state() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stateLocked()
}

func (s *relaySwitch) stateLocked() State {
	st := State{ID: s.id, Kind: "switch", Name: s.name, State: "off"}
	if s.on {
		st.State = "on"
	}
	return st
}
