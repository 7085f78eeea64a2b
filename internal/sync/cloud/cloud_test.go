package cloud

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/hlc"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/sync/chunk"
	"github.com/edgeagent/edgeagent/internal/sync/mqttlink"
	"github.com/edgeagent/edgeagent/internal/sync/outbox"
	"github.com/edgeagent/edgeagent/internal/wire"
)

// The inbound rules, without a broker: messages are handed to handle() as
// the link would hand them over.

const site = "home-1"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeDevices is a lock and a boiler.
type fakeDevices struct {
	mu       sync.Mutex
	locked   bool
	mode     string
	setpoint float64
	car      bool // also a car's drive authorisation, "car-drive"
	calls    []string
}

func (f *fakeDevices) Do(id, action, value string) (devices.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, id+" "+action+" "+value)
	switch id + " " + action {
	case "door unlock":
		f.locked = false
		return devices.State{ID: id, State: "unlocked"}, nil
	case "door lock":
		f.locked = true
		return devices.State{ID: id, State: "locked"}, nil
	case "car-drive authorise", "car-drive rearm":
	case "boiler on":
		f.mode = "heat"
	case "boiler off":
		f.mode = "off"
	case "boiler set-setpoint":
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return devices.State{}, fmt.Errorf("bad value: %w", devices.ErrBadValue)
		}
		f.setpoint = v
	default:
		return devices.State{}, fmt.Errorf("%s %s: %w", id, action, devices.ErrUnknownAction)
	}
	return devices.State{ID: id, State: "idle"}, nil
}

func (f *fakeDevices) List() []devices.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := []devices.State{
		{ID: "door", Kind: "lock", State: map[bool]string{true: "locked", false: "unlocked"}[f.locked]},
		{ID: "boiler", Kind: "boiler", State: "idle", Attrs: map[string]any{"mode": f.mode, "setpoint": f.setpoint}},
	}
	if f.car {
		l = append(l, devices.State{ID: "car-drive", Kind: devices.KindDrive, State: "armed"})
	}
	return l
}

func (f *fakeDevices) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// fakeKeeper records imports and has a settable floor.
type fakeKeeper struct {
	mu      sync.Mutex
	floor   time.Time
	imports [][]byte
}

func (k *fakeKeeper) Import(b []byte) (localauth.ImportResult, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.imports = append(k.imports, b)
	return localauth.ImportResult{Accepted: true, Reason: localauth.ReasonAccepted}, nil
}

func (k *fakeKeeper) TimeStatus() localauth.TimeStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	return localauth.TimeStatus{Floor: k.floor}
}

type rig struct {
	t      *testing.T
	st     *store.Store
	dev    *fakeDevices
	keeper *fakeKeeper
	clk    *clocktest.Fake
	auth   crypto.Signer
	s      *Service
}

func newRig(t *testing.T) *rig {
	t.Helper()
	st, _, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	auth, err := wire.GenerateKey(wire.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, dev: &fakeDevices{locked: true, mode: "heat", setpoint: 20}, keeper: &fakeKeeper{floor: t0.Add(-time.Hour)},
		clk: clocktest.New(t0), auth: auth}
	r.restart()
	return r
}

// restart makes a new Service on the same store, as after a reboot.
func (r *rig) restart() {
	r.t.Helper()
	s, err := New(Options{Site: site, Store: r.st, Devices: r.dev, Keeper: r.keeper, Authorities: []crypto.PublicKey{r.auth.Public()},
		Link: mqttlink.Options{Broker: "tcp://127.0.0.1:1", ClientID: "test"}, Clock: r.clk, MaxCommandIDs: 3})
	if err != nil {
		r.t.Fatal(err)
	}
	r.s = s
}

func (r *rig) deliver(topic string, payload []byte) {
	r.s.handle(mqttlink.Message{Topic: topic, Payload: payload, Size: len(payload), Ack: func() {}})
}

func (r *rig) command(edit func(c *wire.Command)) []byte {
	r.t.Helper()
	c := &wire.Command{ID: randomID(), Site: site, IssuedAt: t0.Unix(), ExpiresAt: t0.Add(time.Minute).Unix(), Device: "door", Action: "unlock"}
	key := r.auth
	if edit != nil {
		edit(c)
	}
	b, err := wire.SignCommand(key, c)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func randomID() []byte {
	id := make([]byte, 16)
	rand.Read(id)
	return id
}

// events returns the event log's events of the given types.
func (r *rig) events(types ...string) []store.Event {
	r.t.Helper()
	evs, err := r.st.Events(0, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []store.Event
	for _, ev := range evs {
		for _, typ := range types {
			if ev.Type == typ {
				out = append(out, ev)
			}
		}
	}
	return out
}

func TestCommandExecutedOnceAndRemembered(t *testing.T) {
	r := newRig(t)
	b := r.command(nil)
	r.deliver(r.s.topics.Cmd, b)
	if calls := r.dev.Calls(); len(calls) != 1 || calls[0] != "door unlock " {
		t.Fatalf("calls %v", calls)
	}
	evs := r.events(EventCommandAccepted, EventCommandExecuted)
	if len(evs) != 2 || evs[1].Data["ok"] != true || evs[1].Data["state"] != "unlocked" || evs[0].Class != store.ClassAudit {
		t.Fatalf("events %+v", evs)
	}
	// Replayed now, and after a restart.
	r.deliver(r.s.topics.Cmd, b)
	r.restart()
	r.deliver(r.s.topics.Cmd, b)
	if calls := r.dev.Calls(); len(calls) != 1 {
		t.Fatalf("a replayed command ran again: %v", calls)
	}
	refused := r.events(EventCommandRefused)
	if len(refused) != 2 || refused[0].Data["reason"] != ReasonReplayed || refused[1].Data["reason"] != ReasonReplayed {
		t.Fatalf("refusals %+v", refused)
	}
}

func TestCommandRefusals(t *testing.T) {
	other, _ := wire.GenerateKey(wire.Ed25519)
	for _, tc := range []struct {
		name   string
		msg    func(r *rig) []byte
		reason string
	}{
		{"expired by the wall clock", func(r *rig) []byte {
			return r.command(func(c *wire.Command) {
				c.IssuedAt, c.ExpiresAt = t0.Add(-2*time.Minute).Unix(), t0.Add(-time.Minute).Unix()
			})
		}, ReasonExpired},
		{"expired by the trusted floor though the wall clock was set back", func(r *rig) []byte {
			r.clk.Set(t0.Add(-24 * time.Hour))
			return r.command(nil)
		}, ReasonExpired},
		{"another site", func(r *rig) []byte {
			return r.command(func(c *wire.Command) { c.Site = "home-2" })
		}, ReasonWrongSite},
		{"unknown key", func(r *rig) []byte {
			b, _ := wire.SignCommand(other, &wire.Command{ID: randomID(), Site: site, IssuedAt: t0.Unix(), ExpiresAt: t0.Add(time.Minute).Unix(), Device: "door", Action: "unlock"})
			return b
		}, ReasonUnknownAuthority},
		{"unsigned (a bare payload)", func(r *rig) []byte {
			b, _ := wire.Marshal(&wire.Command{ID: randomID(), Site: site, IssuedAt: t0.Unix(), ExpiresAt: t0.Add(time.Minute).Unix(), Device: "door", Action: "unlock"})
			return b
		}, ReasonMalformed},
		{"a grant on the command topic", func(r *rig) []byte {
			b, _ := wire.SignRevocation(r.auth, &wire.RevocationSnapshot{Site: site, IssuedAt: 1, Serial: 1})
			return b
		}, ReasonWrongType},
		{"garbage", func(r *rig) []byte { return []byte("open sesame") }, ReasonMalformed},
		// Starting a car needs a phone at the car (localauth's vehicle
		// policy); a signed command is no holder proof.
		{"drive authorisation from the cloud", func(r *rig) []byte {
			r.dev.car = true
			return r.command(func(c *wire.Command) { c.Device, c.Action = "car-drive", "authorise" })
		}, ReasonNotRemote},
		{"bad signature", func(r *rig) []byte {
			b := r.command(nil)
			b[len(b)-1] ^= 1
			return b
		}, ReasonBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			if tc.name[:7] == "expired" {
				r.keeper.floor = t0.Add(2 * time.Minute) // the floor is past the expiry
				if tc.name == "expired by the wall clock" {
					r.keeper.floor = t0.Add(-time.Hour)
				}
			}
			r.deliver(r.s.topics.Cmd, tc.msg(r))
			if calls := r.dev.Calls(); len(calls) != 0 {
				t.Fatalf("executed: %v", calls)
			}
			evs := r.events(EventCommandRefused)
			if len(evs) != 1 || evs[0].Data["reason"] != tc.reason {
				t.Fatalf("refusals %+v, want reason %s", evs, tc.reason)
			}
		})
	}
}

func TestOversizedMessagesAreRefusedOnEveryTopic(t *testing.T) {
	r := newRig(t)
	for _, topic := range []string{r.s.topics.Cmd, r.s.topics.Cfg, r.s.topics.Cred, r.s.topics.Cred + "/grant-1"} {
		r.s.handle(mqttlink.Message{Topic: topic, Size: 1 << 20, Ack: func() {}})
	}
	evs := r.events(EventCommandRefused, EventSettingsRefused, EventCredRefused)
	if len(evs) != 4 {
		t.Fatalf("events %+v", evs)
	}
	for _, ev := range evs {
		if ev.Data["reason"] != ReasonTooLarge || ev.Data["size"] != uint64(1<<20) {
			t.Fatalf("event %+v", ev)
		}
	}
}

// A flood of garbage costs a bounded number of audit events; what is
// suppressed is counted in the next one.
func TestRefusalsAreRateLimited(t *testing.T) {
	r := newRig(t)
	for range 200 {
		r.deliver(r.s.topics.Cmd, []byte("junk"))
	}
	if n := len(r.events(EventCommandRefused)); n != 20 {
		t.Fatalf("%d refusal events for 200 messages, want the burst of 20", n)
	}
	r.clk.Advance(time.Second)
	r.deliver(r.s.topics.Cmd, []byte("junk"))
	evs := r.events(EventCommandRefused)
	if last := evs[len(evs)-1]; last.Data["suppressed"] != uint64(180) {
		t.Fatalf("last refusal %+v, want 180 suppressed", last)
	}
}

// Ids are forgotten only once the trusted floor has passed their expiry;
// until then a full memory refuses new commands rather than forget.
func TestCommandIDMemoryIsBounded(t *testing.T) {
	r := newRig(t) // MaxCommandIDs 3
	for range 3 {
		r.deliver(r.s.topics.Cmd, r.command(nil))
	}
	r.deliver(r.s.topics.Cmd, r.command(nil))
	if evs := r.events(EventCommandRefused); len(evs) != 1 || evs[0].Data["reason"] != ReasonIDsFull {
		t.Fatalf("refusals %+v", evs)
	}
	r.keeper.floor = t0.Add(2 * time.Minute) // the three have expired
	r.clk.Set(t0.Add(2 * time.Minute))
	r.deliver(r.s.topics.Cmd, r.command(func(c *wire.Command) {
		c.IssuedAt, c.ExpiresAt = t0.Add(2*time.Minute).Unix(), t0.Add(3*time.Minute).Unix()
	}))
	if n := len(r.dev.Calls()); n != 4 {
		t.Fatalf("%d commands ran, want 4", n)
	}
	if r.s.Status().CommandIDs != 1 {
		t.Fatalf("remembered %d ids, want 1", r.s.Status().CommandIDs)
	}
}

func (r *rig) settings(version uint64, mode string, setpoint float64) []byte {
	r.t.Helper()
	b, err := wire.SignSettings(r.auth, &wire.Settings{Site: site, IssuedAt: t0.Unix(), Version: version,
		Boilers: []wire.BoilerSettings{{Device: "boiler", Mode: mode, Setpoint: &setpoint}}})
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func TestSettingsConflict(t *testing.T) {
	r := newRig(t)
	r.deliver(r.s.topics.Cfg, r.settings(5, "heat", 21))
	if r.dev.setpoint != 21 {
		t.Fatalf("v5 not applied: %v", r.dev.Calls())
	}
	// The resident turns it up while the link is down.
	r.dev.Do("boiler", "set-setpoint", "23")
	r.s.detectOverrides()
	if evs := r.events(EventOverridden); len(evs) != 1 || evs[0].Data["value"] != "23" || evs[0].Data["overrode_version"] != uint64(5) {
		t.Fatalf("override events %+v", evs)
	}
	// The retained v5 again, then an older v4: the local change stands.
	r.deliver(r.s.topics.Cfg, r.settings(5, "heat", 21))
	r.deliver(r.s.topics.Cfg, r.settings(4, "heat", 19))
	if r.dev.setpoint != 23 {
		t.Fatalf("an older version overrode the local change: %v", r.dev.setpoint)
	}
	if evs := r.events(EventSettingsStale); len(evs) != 1 || evs[0].Data["version"] != uint64(4) {
		t.Fatalf("stale events %+v", evs)
	}
	// After a restart the override is still known.
	r.restart()
	if st := r.s.Status(); len(st.Overrides) != 1 || st.SettingsVersion != 5 {
		t.Fatalf("status after restart %+v", st)
	}
	// v6: newer than the version the change overrode: applied.
	r.deliver(r.s.topics.Cfg, r.settings(6, "off", 18))
	if r.dev.setpoint != 18 || r.dev.mode != "off" {
		t.Fatalf("v6 not applied: %+v", r.dev.Calls())
	}
	res := r.events(EventOverrideResolve)
	if len(res) != 1 || res[0].Data["local_value"] != "23" || res[0].Data["version"] != uint64(6) {
		t.Fatalf("resolutions %+v", res)
	}
	if evs := r.events(EventSettingsApplied); len(evs) != 2 {
		t.Fatalf("applied events %+v", evs)
	}
	if st := r.s.Status(); len(st.Overrides) != 0 || st.SettingsVersion != 6 {
		t.Fatalf("status %+v", st)
	}
	// A local change undone by hand: the override is cleared.
	r.dev.Do("boiler", "set-setpoint", "19")
	r.s.detectOverrides()
	r.dev.Do("boiler", "set-setpoint", "18")
	r.s.detectOverrides()
	if evs := r.events(EventOverrideCleared); len(evs) != 1 {
		t.Fatalf("cleared events %+v", evs)
	}
}

func TestSettingsRefusals(t *testing.T) {
	r := newRig(t)
	other, _ := wire.GenerateKey(wire.Ed25519)
	sp := 21.0
	foreign, _ := wire.SignSettings(other, &wire.Settings{Site: site, IssuedAt: 1, Version: 9, Boilers: []wire.BoilerSettings{{Device: "boiler", Setpoint: &sp}}})
	wrongSite, _ := wire.SignSettings(r.auth, &wire.Settings{Site: "elsewhere", IssuedAt: 1, Version: 9})
	r.deliver(r.s.topics.Cfg, foreign)
	r.deliver(r.s.topics.Cfg, wrongSite)
	r.deliver(r.s.topics.Cfg, []byte{0xd2, 0x84, 0x40})
	var reasons []any
	for _, ev := range r.events(EventSettingsRefused) {
		reasons = append(reasons, ev.Data["reason"])
	}
	if fmt.Sprint(reasons) != "[unknown_authority wrong_site malformed]" || len(r.dev.Calls()) != 0 {
		t.Fatalf("reasons %v, calls %v", reasons, r.dev.Calls())
	}
}

func TestCredentialsReachTheMailboxOnlySigned(t *testing.T) {
	r := newRig(t)
	other, _ := wire.GenerateKey(wire.Ed25519)
	own, _ := wire.SignRevocation(r.auth, &wire.RevocationSnapshot{Site: site, IssuedAt: t0.Unix(), Serial: 1})
	forged, _ := wire.SignRevocation(other, &wire.RevocationSnapshot{Site: site, IssuedAt: t0.Unix(), Serial: 2})
	cmd := r.command(nil)
	r.deliver(r.s.topics.Cred, own)
	r.deliver(r.s.topics.Cred+"/revocation", forged)
	r.deliver(r.s.topics.Cred, cmd)
	r.deliver(r.s.topics.Cred, []byte("garbage"))
	r.deliver(r.s.topics.Cred, nil) // a retained message being cleared
	if len(r.keeper.imports) != 1 || !bytes.Equal(r.keeper.imports[0], own) {
		t.Fatalf("imports %d", len(r.keeper.imports))
	}
	var reasons []any
	for _, ev := range r.events(EventCredRefused) {
		reasons = append(reasons, ev.Data["reason"])
	}
	if fmt.Sprint(reasons) != "[unknown_authority wrong_type malformed]" {
		t.Fatalf("reasons %v", reasons)
	}

	// A 10 000-id snapshot in parts, out of order, on retained sub-topics.
	snap := &wire.RevocationSnapshot{Site: site, IssuedAt: t0.Unix(), Serial: 2}
	for range 10000 {
		snap.Grants = append(snap.Grants, randomID())
	}
	big, err := wire.SignRevocation(r.auth, snap)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := chunk.Split(big, outbox.MaxPayload)
	if err != nil || len(parts) < 2 {
		t.Fatalf("%d parts: %v", len(parts), err)
	}
	for i := len(parts) - 1; i >= 0; i-- {
		r.deliver(fmt.Sprintf("%s/revocation/%d", r.s.topics.Cred, i), parts[i])
	}
	if len(r.keeper.imports) != 2 || !bytes.Equal(r.keeper.imports[1], big) {
		t.Fatalf("the split snapshot was not imported whole (%d imports)", len(r.keeper.imports))
	}
}

func TestCheckPrefix(t *testing.T) {
	for p, ok := range map[string]bool{
		"edgeagent": true, "acme/prod/eu/edgeagent": true, "a/b/c/d/e": false,
		"": false, "a//b": false, "a/+": false, "#": false, "$SYS": false, "/a": false,
	} {
		if err := CheckPrefix(p); (err == nil) != ok {
			t.Errorf("CheckPrefix(%q) = %v", p, err)
		}
	}
	tp := NewTopics("edgeagent", "home-1")
	if tp.Evt != "edgeagent/home-1/evt" || tp.Cfg != "edgeagent/home-1/cfg" {
		t.Fatalf("%+v", tp)
	}
}

// A signed command's issued-at ahead of the hub's wall clock raises the
// hybrid logical clock durably: even after the store file is lost, the
// next event is stamped above it (issue 9 item 8).
func TestCommandIssuedAtRaisesTheClockDurably(t *testing.T) {
	dir := t.TempDir()
	sec, err := secstate.Open(filepath.Join(dir, "security"))
	if err != nil {
		t.Fatal(err)
	}
	behind := func() time.Time { return t0.Add(-10 * time.Minute) } // a Pi whose clock lags
	path := filepath.Join(dir, "state.db")
	st, _, err := store.Open(path, store.Options{SecState: sec, Now: behind})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := wire.GenerateKey(wire.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, dev: &fakeDevices{locked: true}, keeper: &fakeKeeper{floor: t0.Add(-time.Hour)}, clk: clocktest.New(t0), auth: auth}
	r.restart()
	r.deliver(r.s.topics.Cmd, r.command(nil)) // issued at t0
	if calls := r.dev.Calls(); len(calls) != 1 {
		t.Fatalf("the command did not run: %v", calls)
	}
	iat := hlc.FromTime(t0)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil { // the store is lost
		t.Fatal(err)
	}
	st, _, err = store.Open(path, store.Options{SecState: sec, Now: behind})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Record("door", nil, []store.Event{{Class: store.ClassAudit, Type: "locked"}}); err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := evs[len(evs)-1].HLC; got <= iat {
		t.Fatalf("after the store was lost the next event has HLC %v, not above the command's issued-at %v", got, iat)
	}
}
