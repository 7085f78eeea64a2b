package localauth

import (
	"errors"
	"testing"

	"github.com/edgeagent/edgeagent/internal/wire"
)

// A local principal acts within its config's devices and actions, each
// decision audited with its name, role and transport, and observed.
func TestDecidePrincipal(t *testing.T) {
	h := newHarness(t)
	type seen struct {
		reason    Reason
		transport string
	}
	var observed []seen
	h.k.ObserveDecisions(func(d Decision, transport string) { observed = append(observed, seen{d.Reason, transport}) })
	ha := Principal{Name: "home-assistant", Role: wire.RoleService, Devices: []string{"*"}, Actions: []string{"on", "off", "lock"}, Transport: "mqtt"}
	for _, c := range []struct {
		p              Principal
		device, action string
		want           Reason
	}{
		{ha, "hall-light", "on", ReasonGranted},
		{ha, "front-door", "lock", ReasonGranted},
		{ha, "front-door", "unlock", ReasonActionNotAllowed}, // the attack: HA opening a door it was not given
		{Principal{Name: "home-assistant", Role: wire.RoleService, Devices: []string{"hall-light"}, Actions: []string{"*"}, Transport: "mqtt"}, "front-door", "unlock", ReasonDeviceNotAllowed},
	} {
		d, err := h.k.DecidePrincipal(c.p, c.device, c.action)
		if err != nil {
			t.Fatal(err)
		}
		if d.Reason != c.want || d.Granted != (c.want == ReasonGranted) {
			t.Errorf("%s %s: %s granted=%v, want %s", c.device, c.action, d.Reason, d.Granted, c.want)
		}
		e := h.lastAudit()
		if e.Seq != d.AuditSeq || e.Reason != string(c.want) || e.Subject != "home-assistant" || e.Role != "service" ||
			e.Detail != DetailPrincipal+"mqtt" || e.Device != c.device || e.Action != c.action || e.OK != d.Granted {
			t.Errorf("%s %s: audit entry %+v does not record the decision %+v", c.device, c.action, e, d)
		}
		if ev := h.lastEvent(); ev.Type != EventDecision || ev.Device != c.device {
			t.Errorf("%s %s: last event %s %s, want the decision queued for the cloud", c.device, c.action, ev.Type, ev.Device)
		}
	}
	if len(observed) != 4 || observed[2] != (seen{ReasonActionNotAllowed, "mqtt"}) {
		t.Errorf("observed %v", observed)
	}
	if _, err := h.k.DecidePrincipal(Principal{Name: "x", Role: "admin"}, "hall-light", "on"); !errors.Is(err, ErrBadSpec) {
		t.Errorf("a principal with role admin: %v, want ErrBadSpec", err)
	}
	k := h.k
	h.close()
	if _, err := k.DecidePrincipal(ha, "hall-light", "on"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}
