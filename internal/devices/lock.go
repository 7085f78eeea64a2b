package devices

import (
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// lock is a door or vehicle lock: one relay, an optional door contact and an
// optional exit button. An unlock is always a pulse; nothing leaves a door
// unlocked for longer than RelockAfter.
type lock struct {
	h          *Hub
	id, name   string
	fail       string
	relay      gpio.PinIO
	lockedLvl  gpio.Level
	relock     time.Duration
	leftOpen   time.Duration
	debounce   time.Duration
	contact    gpio.PinIO // nil without a door contact
	contactPin string
	contactLvl gpio.Level // level meaning "door open"
	exit       gpio.PinIO // nil without an exit button
	exitPin    string
	exitLvl    gpio.Level // level meaning "pressed"

	mu          sync.Mutex
	shut        bool
	locked      bool
	lockedAt    time.Time
	door        string // "open", "closed", or "" before Start read the contact
	openedPulse bool   // the door was open at some point during this unlock
	forced      bool   // alarm: opened while locked, until it closes
	leftAlarm   bool   // alarm: open longer than leftOpen, until it closes
	relockT     timer
	leftT       timer
}

// lockSaved is a lock's persisted state. It is recorded for the log and the
// cloud but never restored: a lock always starts locked.
type lockSaved struct {
	Locked bool `cbor:"locked"`
}

func newLock(b *builder, c LockOpts) *lock {
	l := &lock{
		h: b.h, id: c.ID, name: c.Name, fail: c.Fail,
		relock: c.RelockAfter, leftOpen: c.LeftOpenAfter, debounce: c.Debounce,
		contactPin: c.Contact, contactLvl: c.ContactActive,
		exitPin: c.ExitButton, exitLvl: c.ExitButtonActive,
		locked:   true,
		lockedAt: b.h.clk.Now(),
	}
	l.lockedLvl = c.LockedLevel()
	l.relay = b.output("lock", c.ID, "relay", c.Relay, l.lockedLvl)
	if c.Contact != "" {
		l.contact = b.watch("lock", c.ID, "contact", c.Contact, c.ContactPull(), l.contactLvl, l.debounce,
			l.doorAtStart, l.doorChanged)
	}
	if c.ExitButton != "" {
		l.exit = b.watch("lock", c.ID, "exit_button", c.ExitButton, c.ExitButtonPull(), l.exitLvl, l.debounce,
			func(bool) {}, l.exitChanged)
	}
	return l
}

func (l *lock) do(action, value string) (State, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shut {
		return State{}, errShutdown("lock", l.id, action)
	}
	var evs []Event
	switch action {
	case "lock", "unlock":
		if err := noValue("lock", l.id, action, value); err != nil {
			return State{}, err
		}
		if action == "lock" {
			evs = l.lockNow("by", "command")
		} else {
			var err error
			if evs, err = l.unlock("command"); err != nil {
				return State{}, err
			}
		}
	case "press":
		if err := l.simulated(action, value, l.exit); err != nil {
			return State{}, err
		}
		if err := l.h.press("lock", l.id, action, "exit button "+l.exitPin, l.exitPin, l.exitLvl, l.debounce); err != nil {
			return State{}, err
		}
	case "door-open", "door-close":
		if err := l.simulated(action, value, l.contact); err != nil {
			return State{}, err
		}
		lvl := l.contactLvl
		if action == "door-close" {
			lvl = !lvl
		}
		err := l.h.simulate("lock", l.id, action, "door contact "+l.contactPin, func(s Simulator) error {
			return s.SetInput(l.contactPin, lvl)
		})
		if err != nil {
			return State{}, err
		}
	default:
		return State{}, errUnknownAction("lock", l.id, action, l.actions()...)
	}
	l.record(evs)
	return l.stateLocked(), nil
}

// simulated checks that the lock has the input a simulated action acts on,
// and that no value was given.
func (l *lock) simulated(action, value string, pin gpio.PinIO) error {
	if pin == nil {
		return errUnknownAction("lock", l.id, action, l.actions()...)
	}
	return noValue("lock", l.id, action, value)
}

// actions lists what Do accepts for this lock: the simulated ones only
// for the inputs it has.
func (l *lock) actions() []string {
	a := []string{"lock", "unlock"}
	if l.exit != nil {
		a = append(a, "press")
	}
	if l.contact != nil {
		a = append(a, "door-open", "door-close")
	}
	return a
}

// unlock starts an unlock pulse, or restarts it when already unlocked.
func (l *lock) unlock(by string) ([]Event, error) {
	if err := l.h.out(l.relay, !l.lockedLvl); err != nil {
		l.h.out(l.relay, l.lockedLvl) // back to safe whatever the pin did
		return nil, err
	}
	l.locked = false
	// A door already open when the pulse starts also relocks on closing.
	l.openedPulse = l.door == "open"
	l.h.arm(&l.relockT, &l.mu, l.relock, func() { l.record(l.lockNow("reason", "relock_after")) })
	return []Event{newEvent(ClassAudit, l.id, "unlocked", "by", by)}, nil
}

// lockNow locks at once; key is "by" for a command or "reason" otherwise.
func (l *lock) lockNow(key, val string) []Event {
	l.relockT.stop()
	l.h.out(l.relay, l.lockedLvl) // always written: re-asserting safe costs nothing
	if l.locked {
		return nil
	}
	l.locked = true
	l.lockedAt = l.h.clk.Now()
	return []Event{newEvent(ClassAudit, l.id, "locked", key, val)}
}

func (l *lock) doorAtStart(open bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.door = "closed"
	if open {
		l.door = "open"
		l.h.arm(&l.leftT, &l.mu, l.leftOpen, l.leftOpenTimeout)
	}
}

// doorChanged handles a debounced contact change; since is when the new
// level was first seen.
func (l *lock) doorChanged(open bool, since time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	word := "closed"
	if open {
		word = "open"
	}
	if l.shut || l.door == word {
		return
	}
	l.door = word
	var evs []Event
	if open {
		evs = append(evs, newEvent(ClassAudit, l.id, "door_opened"))
		switch {
		case !l.locked:
			l.openedPulse = true
		case !since.Before(l.lockedAt):
			// Opened while locked. A door that began to open during the
			// pulse and was confirmed after the relock is not forced.
			l.forced = true
			evs = append(evs, newEvent(ClassAudit, l.id, "door_forced"))
		}
		l.h.arm(&l.leftT, &l.mu, l.leftOpen, l.leftOpenTimeout)
	} else {
		evs = append(evs, newEvent(ClassAudit, l.id, "door_closed"))
		l.leftT.stop()
		evs = append(evs, l.clearAlarms()...)
		if !l.locked && l.openedPulse {
			evs = append(evs, l.lockNow("reason", "door_closed")...)
		}
	}
	l.record(evs)
}

func (l *lock) leftOpenTimeout() {
	if l.door != "open" || l.leftAlarm {
		return
	}
	l.leftAlarm = true
	l.h.log.Warn("devices: door left open", "lock", l.id)
	l.record([]Event{newEvent(ClassAudit, l.id, "door_left_open")})
}

func (l *lock) clearAlarms() []Event {
	var evs []Event
	if l.forced {
		l.forced = false
		evs = append(evs, newEvent(ClassAudit, l.id, "alarm_cleared", "alarm", "door_forced"))
	}
	if l.leftAlarm {
		l.leftAlarm = false
		evs = append(evs, newEvent(ClassAudit, l.id, "alarm_cleared", "alarm", "door_left_open"))
	}
	return evs
}

func (l *lock) exitChanged(pressed bool, _ time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shut || !pressed {
		return
	}
	evs, err := l.unlock("exit_button")
	if err == nil {
		l.record(evs)
	}
}

func (l *lock) record(evs []Event) {
	l.h.journal.note(l.id, encode(lockSaved{Locked: l.locked}), evs)
}

func (l *lock) restore([]byte) error { return nil } // locks always start locked

func (l *lock) shutdown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shut = true
	l.leftT.stop()
	l.record(l.lockNow("reason", "shutdown"))
}

func (l *lock) state() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stateLocked()
}

func (l *lock) stateLocked() State {
	s := State{ID: l.id, Kind: "lock", Name: l.name, State: "locked", Attrs: map[string]any{"fail": l.fail}}
	if !l.locked {
		s.State = "unlocked"
	}
	if l.door != "" {
		s.Attrs["door"] = l.door
	}
	var alarms []string
	if l.forced {
		alarms = append(alarms, "door_forced")
	}
	if l.leftAlarm {
		alarms = append(alarms, "door_left_open")
	}
	if alarms != nil {
		s.Attrs["alarms"] = alarms
	}
	return s
}
