package localauth

import (
	"fmt"
	"sync/atomic"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// Principal is a local integration configured on the hub, not a person with
// a grant: Home Assistant over the local MQTT broker, Apple Home over the
// HomeKit bridge. The config file (root's) is its trust anchor, as it is for
// the admin socket; unlike the socket, it acts only within Devices and
// Actions, and every action is decided and audited like a person's.
type Principal struct {
	Name      string    // e.g. "home-assistant": the audit entry's subject
	Role      wire.Role // shown in the audit log and the events the cloud reads
	Devices   []string  // device ids, or ["*"]
	Actions   []string  // actions, or ["*"]
	Transport string    // what carried the command: "mqtt", "homekit"
}

// DetailPrincipal starts the Detail of a principal's audit entries, so that
// the log tells an integration's action from a person's.
const DetailPrincipal = "local principal via "

// DecidePrincipal decides an action of a local principal: device
// (device_not_allowed), then action (action_not_allowed). There is no grant,
// so no revocation, validity or schedule: the principal exists while the
// config names it. As with Decide, the decision is appended to the audit log
// and the event log durably before DecidePrincipal returns; a non-nil error
// means that record could not be written, and the caller must not act.
func (k *Keeper) DecidePrincipal(p Principal, device, action string) (Decision, error) {
	d := Decision{Device: device, Action: action, Role: p.Role, Name: p.Name, Transport: p.Transport}
	k.mu.Lock()
	closed := k.closed
	k.advanceLocked()
	floor := k.tt.floor
	k.mu.Unlock()
	if closed {
		return d, ErrClosed
	}
	if p.Name == "" || !p.Role.Valid() {
		return d, fmt.Errorf("%w: principal %q with role %q", ErrBadSpec, p.Name, p.Role)
	}
	switch {
	case !wire.Allows(p.Devices, device):
		d.Reason = ReasonDeviceNotAllowed
	case !wire.Allows(p.Actions, action):
		d.Reason = ReasonActionNotAllowed
	default:
		d.Reason, d.Granted = ReasonGranted, true
	}
	d.Time = floor
	e := &wire.AuditEntry{
		Kind: KindDecision, OK: d.Granted, Reason: string(d.Reason),
		Time: floor.UnixMilli(), Wall: k.clk.Now().UnixMilli(),
		Device: device, Action: action, Role: string(p.Role), Subject: p.Name,
		Detail: DetailPrincipal + p.Transport, Transport: p.Transport,
	}
	seq, err := k.record(e, EventDecision, nil)
	if err != nil {
		d.Granted = false
		return d, err
	}
	d.AuditSeq = seq
	k.observe(d)
	return d, nil
}

// DecisionObserver is told of every recorded decision and the transport
// that carried it (the agent's metrics). It runs on the deciding goroutine
// and must be quick.
type DecisionObserver func(d Decision, transport string)

// ObserveDecisions sets the observer; nil stops it. Safe at any time.
func (k *Keeper) ObserveDecisions(o DecisionObserver) {
	if o == nil {
		k.observer.Store(nil)
		return
	}
	k.observer.Store(&o)
}

func (k *Keeper) observe(d Decision) {
	if o := k.observer.Load(); o != nil {
		(*o)(d, d.Transport)
	}
}

// decisionObserver is the Keeper's field type (kept here with its setter).
type decisionObserver = atomic.Pointer[DecisionObserver]
