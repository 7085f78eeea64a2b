package devices

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgeagent/edgeagent/internal/nodelink"
)

// NodeOpts is an actuator node of firmware/ on a serial port: one lock (with
// its keypad and door contact) or one boiler relay, which keeps its output
// safe and runs alone when the hub is gone (docs/operations.md, "Actuator
// nodes").
type NodeOpts struct {
	ID, Name string
	// Port is the serial device, e.g. "/dev/ttyAMA0" or "/dev/ttyUSB0".
	Port string
	Baud int
	// Kind is NodeLock or NodeBoiler: the image flashed on the node (a node
	// of the other kind refuses the commands: ErrUnknownAction).
	Kind string
	// UnlockFor is an unlock pulse; the node ends it itself, at most 60 s.
	UnlockFor time.Duration
	// PINs are the keypad's verifiers (nodelink.NewPINEntry), pushed at
	// each session with Iterations; empty: the keypad opens nothing.
	PINs       []nodelink.PINEntry
	Iterations uint32
}

// Node kinds.
const (
	NodeLock   = "lock"
	NodeBoiler = "boiler"
)

// DefaultNodeOpts: 115 200 baud, a 5 s unlock pulse, 1 000 PBKDF2
// iterations (0.1 s per PIN entry on the node's 64 MHz Cortex-M3).
var DefaultNodeOpts = NodeOpts{Baud: 115200, UnlockFor: 5 * time.Second, Iterations: 1000}

// Validate reports the first option of the node that New cannot use.
func (o NodeOpts) Validate() error {
	e := optChecker{kind: "node", id: o.ID}
	e.required("port", o.Port)
	switch o.Kind {
	case NodeLock, NodeBoiler:
	case "":
		e.fail("kind", `missing ("lock" or "boiler": the image flashed on the node)`)
	default:
		e.fail("kind", `%q is not "lock" or "boiler"`, o.Kind)
	}
	if !slices.Contains(nodelink.Bauds, o.Baud) {
		e.fail("baud", "%d is not one of %v", o.Baud, nodelink.Bauds)
	}
	e.positive("unlock_for", o.UnlockFor)
	if o.UnlockFor > 60*time.Second {
		e.fail("unlock_for", "%s is longer than the node's limit of 60s", o.UnlockFor)
	}
	if len(o.PINs) > nodelink.MaxPINEntries {
		e.fail("pins", "%d verifiers, the node holds at most %d", len(o.PINs), nodelink.MaxPINEntries)
	}
	if o.Iterations < 1 || o.Iterations > nodelink.MaxIterations {
		e.fail("iterations", "%d is outside 1..%d", o.Iterations, nodelink.MaxIterations)
	}
	return e.err
}

// SerialPort is a node's line: a tty from nodelink.OpenSerial, a pty in
// tests. The node device owns it and closes it.
type SerialPort interface {
	nodelink.Port
	io.Closer
}

// ErrNodeUnreachable: the node did not answer (unplugged, powered off, a
// cut cable) or restarted during the action; whether it acted is unknown,
// and its own timers keep it safe.
var ErrNodeUnreachable = errors.New("node unreachable")

// nodeWait bounds an action: the link's resends (10 x 300 ms) and a little.
const nodeWait = 4 * time.Second

// node is the hub's side of one node: a nodelink.Conn, the node's last
// reported state, and its reports turned into events.
type node struct {
	h    *Hub
	o    NodeOpts
	port SerialPort
	conn *nodelink.Conn
	ctx  context.Context // cancelled by shutdown: ends the session
	stop context.CancelFunc
	ran  atomic.Bool // run started: it closes the port when it ends

	cmdMu sync.Mutex // one command at a time

	mu        sync.Mutex
	shut      bool
	inflight  bool // a command is waiting for the node's answer
	unlocked  bool // lock: as last reported or commanded
	relay     bool // boiler
	mode      uint32
	door      string
	temp      *float64
	reported  bool
	lastAlarm string
}

func newNode(b *builder, c NodeOpts) *node {
	n := &node{h: b.h, o: c}
	open := b.opts.NodePort
	if open == nil {
		open = func(path string, baud int) (SerialPort, error) { return nodelink.OpenSerial(path, baud) }
	}
	p, err := open(c.Port, c.Baud)
	if err != nil {
		b.errs = append(b.errs, fmt.Errorf("devices: node %q port %q: %w", c.ID, c.Port, err))
		return n
	}
	n.port = p
	n.conn = nodelink.New(p, b.h.clk, nodelink.Options{Logger: b.h.log.With("node", c.ID)})
	n.ctx, n.stop = context.WithCancel(context.Background())
	return n
}

// run keeps the session and turns reports into events until shutdown.
func (n *node) run() {
	n.ran.Store(true)
	defer n.port.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.conn.Run(n.ctx); err != nil && !errors.Is(err, context.Canceled) {
			n.h.log.Error("devices: node link stopped", "node", n.o.ID, "err", err)
		}
	}()
	go n.pushPINs()
	for {
		select {
		case m := <-n.conn.Reports():
			n.report(m)
		case <-done:
			return
		}
	}
}

// pushPINs sends the keypad table once the session is up (Do waits for it).
func (n *node) pushPINs() {
	if n.o.Kind != NodeLock {
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	m := nodelink.Msg{Type: nodelink.PINs, Iterations: n.o.Iterations, Entries: n.o.PINs}
	if err := n.conn.Do(ctx, m); err != nil && n.ctx.Err() == nil {
		n.h.log.Error("devices: node PIN table not pushed", "node", n.o.ID, "err", err)
	}
}

func (n *node) do(action, value string) (State, error) {
	if !n.known(action) {
		return State{}, errUnknownAction("node", n.o.ID, action, n.actions()...)
	}
	if err := noValue("node", n.o.ID, action, value); err != nil {
		return State{}, err
	}
	var m nodelink.Msg
	by := "command"
	switch {
	case n.o.Kind == NodeLock && action == "lock":
		m = nodelink.Msg{Type: nodelink.Lock}
	case n.o.Kind == NodeLock && action == "unlock":
		m = nodelink.Msg{Type: nodelink.Lock, On: true, MS: uint32(n.o.UnlockFor.Milliseconds())}
	case n.o.Kind == NodeBoiler && (action == "on" || action == "off"):
		m = nodelink.Msg{Type: nodelink.Relay, On: action == "on"}
	default:
		return State{}, errUnknownAction("node", n.o.ID, action, n.actions()...)
	}
	// One command at a time; while it is in flight, the node's state
	// report of the same change is left to this call, so that the audit
	// says who asked (a report can overtake the ack's return).
	n.cmdMu.Lock()
	defer n.cmdMu.Unlock()
	n.mu.Lock()
	if n.shut {
		n.mu.Unlock()
		return State{}, errShutdown("node", n.o.ID, action)
	}
	n.inflight = true
	was := n.output()
	n.mu.Unlock()

	ctx, cancel := context.WithTimeout(n.ctx, nodeWait)
	defer cancel()
	err := n.conn.Do(ctx, m)

	n.mu.Lock()
	defer n.mu.Unlock()
	n.inflight = false
	if err == nil {
		n.setOutput(action == "unlock" || action == "on")
	}
	if now := n.output(); now != was {
		if err == nil {
			n.record([]Event{n.outputEvent(now, "by", by)})
		} else {
			n.record([]Event{n.outputEvent(now, "by", "node")}) // moved, though the answer was lost
		}
	}
	if err != nil {
		return State{}, n.doError(action, err)
	}
	return n.stateLocked(), nil
}

// output is the lock's unlocked or the boiler's relay; with n.mu held.
func (n *node) output() bool {
	if n.o.Kind == NodeLock {
		return n.unlocked
	}
	return n.relay
}

func (n *node) setOutput(v bool) {
	if n.o.Kind == NodeLock {
		n.unlocked = v
	} else {
		n.relay = v
	}
}

// outputEvent is the event of the output becoming v: the lock's
// unlocked/locked (audit), the boiler's relay_on/relay_off (state).
func (n *node) outputEvent(v bool, kv ...any) Event {
	if n.o.Kind == NodeBoiler {
		typ := "relay_off"
		if v {
			typ = "relay_on"
		}
		return newEvent(ClassState, n.o.ID, typ, kv...)
	}
	if v {
		return newEvent(ClassAudit, n.o.ID, "unlocked", kv...)
	}
	if len(kv) > 0 && kv[0] == "by" && kv[1] == "node" {
		kv[0] = "reason"
	}
	return newEvent(ClassAudit, n.o.ID, "locked", kv...)
}

func (n *node) known(action string) bool {
	for _, a := range n.actions() {
		if a == action {
			return true
		}
	}
	return false
}

func (n *node) actions() []string {
	if n.o.Kind == NodeLock {
		return []string{"lock", "unlock"}
	}
	return []string{"on", "off"}
}

func (n *node) doError(action string, err error) error {
	switch {
	case errors.Is(err, nodelink.ErrRefused):
		return fmt.Errorf("devices: node %q: %s: %w: the node refused it (its own guard: resting after a maximum run, or no temperature)", n.o.ID, action, ErrBadValue)
	case errors.Is(err, nodelink.ErrUnsupported), errors.Is(err, nodelink.ErrBadRequest):
		return fmt.Errorf("devices: node %q: %s: %w: %v", n.o.ID, action, ErrUnknownAction, err)
	default:
		return fmt.Errorf("devices: node %q: %s: %w: %v", n.o.ID, action, ErrNodeUnreachable, err)
	}
}

var alarmNames = map[uint32]string{
	nodelink.AlarmHubLost: "hub_lost", nodelink.AlarmMaxRun: "max_run", nodelink.AlarmFrostOn: "frost_guard_on",
	nodelink.AlarmSensor: "sensor_fault", nodelink.AlarmWatchdog: "watchdog_reset", nodelink.AlarmDoorForced: "door_forced",
	nodelink.AlarmLockout: "keypad_lockout", nodelink.AlarmDropped: "reports_dropped",
}

var keypadResults = map[uint32]string{nodelink.KeypadGranted: "granted", nodelink.KeypadDenied: "denied", nodelink.KeypadLockedOut: "locked_out"}

// report turns one node report into state and events. A keypad entry or an
// alarm is audit, with the node's report number and uptime so that one
// decided while the hub was away is placed among the rest.
func (n *node) report(m nodelink.Msg) {
	n.mu.Lock()
	var evs []Event
	at := []any{"node_no", m.No, "node_ms", m.TMS}
	switch m.Type {
	case nodelink.State:
		if m.Mode != n.mode || !n.reported {
			evs = append(evs, newEvent(ClassAudit, n.o.ID, "node_mode", append([]any{"mode", modeName(m.Mode)}, at...)...))
		}
		n.mode, n.reported = m.Mode, true
		if m.Output != n.output() {
			// A change the node made itself (its pulse ended, the hub
			// was away, a guard); one a command in flight asked for is
			// that command's to record.
			if !n.inflight {
				evs = append(evs, n.outputEvent(m.Output, append([]any{"by", "node"}, at...)...))
			}
			n.setOutput(m.Output)
		}
		if n.o.Kind == NodeBoiler {
			n.temp = nil
			if m.TempValid {
				t := float64(m.TempCenti) / 100
				n.temp = &t
			}
		}
		switch m.Door {
		case nodelink.DoorOpen:
			n.door = "open"
		case nodelink.DoorClosed:
			n.door = "closed"
		}
	case nodelink.Door:
		typ := "door_closed"
		if m.Open {
			typ, n.door = "door_opened", "open"
		} else {
			n.door = "closed"
		}
		evs = append(evs, newEvent(ClassAudit, n.o.ID, typ, at...))
	case nodelink.Keypad:
		local := m.Opened
		evs = append(evs, newEvent(ClassAudit, n.o.ID, "keypad_"+keypadResults[m.Result],
			append([]any{"user", m.User, "opened_by_node", local}, at...)...))
		if local {
			evs = append(evs, newEvent(ClassAudit, n.o.ID, "unlocked", append([]any{"by", "keypad_local", "user", m.User}, at...)...))
			n.unlocked = true
		}
	case nodelink.Alarm:
		name := alarmNames[m.Code]
		if name == "" {
			name = fmt.Sprintf("code_%d", m.Code)
		}
		n.lastAlarm = name
		evs = append(evs, newEvent(ClassAudit, n.o.ID, "node_alarm", append([]any{"alarm", name, "arg", m.Arg}, at...)...))
	}
	n.record(evs)
	grantedInHubMode := m.Type == nodelink.Keypad && m.Result == nodelink.KeypadGranted && !m.Opened
	n.mu.Unlock()
	n.h.journal.flush()
	if grantedInHubMode {
		// With the hub present the node reports a verified PIN and the hub
		// opens: the table is the hub's own, pushed from its config.
		if _, err := n.h.Do(n.o.ID, "unlock", ""); err != nil {
			n.h.log.Warn("devices: keypad unlock through the node failed", "node", n.o.ID, "err", err)
		}
	}
}

func modeName(m uint32) string {
	if m == nodelink.ModeLocal {
		return "local"
	}
	return "hub"
}

func (n *node) record(evs []Event) {
	n.h.journal.note(n.o.ID, nil, evs)
}

// abandon releases the port of a node New is giving up on.
func (n *node) abandon() {
	if n.port != nil {
		n.stop()
		n.port.Close()
	}
}

func (n *node) restore([]byte) error { return nil } // the node keeps its own state

// shutdown makes the node safe while the link is still up (lock, relay
// off), then ends the session; the node would reach the same state on its
// own 5 s later.
func (n *node) shutdown() {
	n.mu.Lock()
	if n.shut || n.conn == nil {
		n.shut = true
		n.mu.Unlock()
		return
	}
	n.shut = true
	n.mu.Unlock()
	m := nodelink.Msg{Type: nodelink.Lock}
	if n.o.Kind == NodeBoiler {
		m = nodelink.Msg{Type: nodelink.Relay}
	}
	ctx, cancel := context.WithTimeout(n.ctx, time.Second)
	if err := n.conn.Do(ctx, m); err != nil {
		n.h.log.Warn("devices: node not made safe at shutdown; it will on its own within 5 s", "node", n.o.ID, "err", err)
	}
	cancel()
	n.stop()
	if !n.ran.Load() {
		n.port.Close()
	}
}

func (n *node) state() State {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stateLocked()
}

func (n *node) stateLocked() State {
	s := State{ID: n.o.ID, Kind: n.o.Kind, Name: n.o.Name, Attrs: map[string]any{}}
	if n.o.Kind == NodeLock {
		s.State = "locked"
		if n.unlocked {
			s.State = "unlocked"
		}
		if n.door != "" {
			s.Attrs["door"] = n.door
		}
	} else {
		s.State = "off"
		if n.relay {
			s.State = "heating"
		}
		if n.temp != nil {
			s.Attrs["temperature"] = *n.temp
		}
	}
	health := map[string]any{"port": n.o.Port, "up": false}
	if n.conn != nil {
		hl := n.conn.Health()
		health["up"] = hl.Up
		health["mode"] = modeName(n.mode)
		health["version"] = hl.Version
		health["bad_frames"] = hl.BadFrames
		health["watchdog_reset"] = hl.ResetCause == 1
		if n.lastAlarm != "" {
			health["last_alarm"] = n.lastAlarm
		}
	}
	s.Attrs["node"] = health
	return s
}
