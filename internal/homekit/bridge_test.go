package homekit

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/homekit/hapctl"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
	"github.com/edgeagent/edgeagent/internal/wire"
)

const siteConfig = `site = "t"
[[lock]]
id = "door"
relay = "GPIO1"
fail = "secure"
relock_after = "5s"
[[switch]]
id = "light"
relay = "GPIO2"
[[boiler]]
id = "heating"
relay = "GPIO3"
sensor = "28-00000a1b2c3d"
[[cover]]
id = "curtain"
up = "GPIO5"
down = "GPIO6"
travel = "10s"
[[input]]
id = "window"
pin = "GPIO7"
type = "contact"
[[input]]
id = "hall"
pin = "GPIO8"
type = "motion"
[[input]]
id = "bell"
pin = "GPIO4"
type = "button"
`

// HAP characteristic types (short form) the tests read and write.
const (
	typeSerial         = "30"
	typeOn             = "25"
	typeLockCurrent    = "1D"
	typeLockTarget     = "1E"
	typeTargetTemp     = "35"
	typeTargetHeatCool = "33"
	typeTargetPosition = "7C"
)

// env is a hub with simulated pins, a real bbolt store, the security
// directory and a Keeper: the parts the agent gives the bridge.
type env struct {
	t      *testing.T
	dir    string
	clk    *clocktest.Fake
	hub    *devices.Hub
	st     *store.Store
	sec    *secstate.Dir
	keeper *localauth.Keeper
}

func newEnv(t *testing.T, dir string) *env {
	t.Helper()
	e := &env{t: t, dir: dir, clk: clocktest.New(time.Now().UTC().Truncate(time.Second))}
	cfg, err := config.Parse("t.toml", []byte(siteConfig))
	if err != nil {
		t.Fatal(err)
	}
	sim := devices.NewSim(e.clk)
	if e.hub, err = devices.New(cfg.Devices(), devices.Options{Clock: e.clk, Pin: sim.Pin, Thermometer: sim.Thermometer}); err != nil {
		t.Fatal(err)
	}
	if e.st, _, err = store.Open(filepath.Join(dir, "state.db"), store.Options{Now: e.clk.Now}); err != nil {
		t.Fatal(err)
	}
	if e.sec, err = secstate.Open(filepath.Join(dir, "security")); err != nil {
		t.Fatal(err)
	}
	e.hub.Start(e.st, nil)
	if e.keeper, err = localauth.New(localauth.Options{Site: "t", Store: e.st, SecState: e.sec, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	if e.keeper != nil {
		e.keeper.Close()
		e.hub.Shutdown()
		e.st.Close()
		e.keeper = nil
	}
}

// running is a bridge served on loopback until the test ends (or stop).
type running struct {
	b    *Bridge
	st   *Store
	host string
	port int
	stop func()
}

func (e *env) bridge(actions []string) *running {
	e.t.Helper()
	hs, err := OpenStore(e.sec)
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := New(Options{
		Listen: "127.0.0.1:0", Interfaces: []string{"lo"}, Name: "Test Hub", Lights: []string{"light"},
		Principal: localauth.Principal{Name: "apple-home", Role: wire.Role("service"), Devices: []string{"*"}, Actions: actions},
		Devices:   e.hub, Decider: e.keeper, Store: hs, Clock: clocktest.New(e.clk.Now()),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, ready) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		e.t.Fatalf("bridge: %v", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			e.t.Errorf("bridge stopped with %v", err)
		}
	}
	e.t.Cleanup(stop)
	host, port, _ := net.SplitHostPort(b.Status().Listen)
	p, _ := strconv.Atoi(port)
	return &running{b: b, st: hs, host: host, port: p, stop: stop}
}

func (r *running) request() hapctl.Request {
	return hapctl.Request{ID: r.b.Status().DeviceID, Host: r.host, Port: r.port}
}

// aids maps device ids to accessory ids by the accessories' serial numbers.
func aids(t *testing.T, resp hapctl.Response) map[string]uint64 {
	t.Helper()
	m := map[string]uint64{}
	for _, c := range resp.Characteristics {
		if c.Type == typeSerial || c.Type == "00000030-0000-1000-8000-0026BB765291" {
			if s, ok := c.Value.(string); ok {
				m[s] = c.AID
			}
		}
	}
	return m
}

func ref(t *testing.T, resp hapctl.Response, aid uint64, typ string) hapctl.Ref {
	t.Helper()
	c, ok := resp.Find(aid, typ)
	if !ok {
		t.Fatalf("accessory %d has no characteristic %s", aid, typ)
	}
	return hapctl.Ref{AID: c.AID, IID: c.IID}
}

func state(t *testing.T, hub *devices.Hub, id string) devices.State {
	t.Helper()
	for _, st := range hub.List() {
		if st.ID == id {
			return st
		}
	}
	t.Fatalf("no device %q", id)
	return devices.State{}
}

// homekitEntries returns the audit entries the bridge's principal made.
func homekitEntries(t *testing.T, k *localauth.Keeper) []wire.AuditEntry {
	t.Helper()
	all, err := k.AuditEntries(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []wire.AuditEntry
	for _, e := range all {
		if e.Transport == "homekit" {
			if e.Subject != "apple-home" || e.Role != "service" || e.Kind != localauth.KindDecision {
				t.Errorf("homekit entry %+v: want subject apple-home, role service, a decision", e)
			}
			out = append(out, e)
		}
	}
	return out
}

// pair runs pair-setup with the bridge's own code and reads the database.
func pair(t *testing.T, script string, r *running) (hapctl.Response, map[string]uint64) {
	t.Helper()
	req := r.request()
	req.Pin, req.Accessories = r.b.Status().SetupCode, true
	resp := hapctl.Run(t, script, req)
	if resp.Error != "" || len(resp.Pairing) == 0 {
		t.Fatalf("pair-setup with the setup code: error %q, pairing %s", resp.Error, resp.Pairing)
	}
	if st := r.b.Status(); !st.Paired || st.Pairings != 1 {
		t.Fatalf("after pair-setup: status %+v, want paired once", st)
	}
	ids := aids(t, resp)
	for _, id := range []string{"door", "light", "heating", "curtain", "window", "hall"} {
		if ids[id] == 0 {
			t.Fatalf("no accessory for %q in %v", id, ids)
		}
	}
	if ids["bell"] != 0 {
		t.Errorf("the button has an accessory (%d): it has no state to show", ids["bell"])
	}
	return resp, ids
}

// TestControllerDrivesHub: an independent controller pairs with the setup
// code, verifies, and writes over the encrypted session; each write moves
// the device and leaves an audit entry naming the principal; an unlock the
// config does not allow is refused (-70401), audited, and the lock's
// characteristics still say secured.
func TestControllerDrivesHub(t *testing.T) {
	script := hapctl.Install(t)
	e := newEnv(t, t.TempDir())
	r := e.bridge(config.DefaultHAActions)
	db, ids := pair(t, script, r)

	req := r.request()
	req.Pairing = db.Pairing
	req.Writes = []hapctl.Write{
		{Ref: ref(t, db, ids["light"], typeOn), Value: true},
		{Ref: ref(t, db, ids["heating"], typeTargetTemp), Value: 22.5},
		{Ref: ref(t, db, ids["heating"], typeTargetHeatCool), Value: 0},
		{Ref: ref(t, db, ids["curtain"], typeTargetPosition), Value: 40},
		{Ref: ref(t, db, ids["door"], typeLockTarget), Value: 0}, // unlock: not in the default actions
	}
	req.Reads = []hapctl.Ref{ref(t, db, ids["door"], typeLockTarget), ref(t, db, ids["door"], typeLockCurrent), ref(t, db, ids["light"], typeOn)}
	resp := hapctl.Run(t, script, req)
	if resp.Error != "" {
		t.Fatalf("session: %s", resp.Error)
	}
	want := []int{0, 0, 0, 0, -70401}
	for i, w := range resp.Writes {
		if w.Status != want[i] {
			t.Errorf("write %d (%+v): status %d %s, want %d", i, req.Writes[i], w.Status, w.Error, want[i])
		}
	}
	if st := state(t, e.hub, "light"); st.State != "on" {
		t.Errorf("light %q, want on", st.State)
	}
	if st := state(t, e.hub, "heating"); st.Attrs["setpoint"] != 22.5 || st.Attrs["mode"] != "off" {
		t.Errorf("boiler setpoint %v mode %v, want 22.5 off", st.Attrs["setpoint"], st.Attrs["mode"])
	}
	if st := state(t, e.hub, "curtain"); st.State != "opening" {
		t.Errorf("curtain %q, want opening (to 40%%)", st.State)
	}
	if st := state(t, e.hub, "door"); st.State != "locked" {
		t.Fatalf("door %q after a refused unlock", st.State)
	}
	for i, c := range resp.Reads {
		if want := []any{1.0, 1.0, true}[i]; c.Value != want {
			t.Errorf("read %+v: %v, want %v (a refused unlock leaves the lock secured)", req.Reads[i], c.Value, want)
		}
	}
	got := map[string]string{}
	for _, a := range homekitEntries(t, e.keeper) {
		got[a.Device+"/"+a.Action] = a.Reason
		if a.OK != (a.Reason == string(localauth.ReasonGranted)) {
			t.Errorf("entry %+v: ok and reason disagree", a)
		}
	}
	for k, reason := range map[string]string{"light/on": "granted", "heating/set-setpoint": "granted", "heating/off": "granted", "curtain/set-position": "granted", "door/unlock": "action_not_allowed"} {
		if got[k] != reason {
			t.Errorf("audit %s: %q, want %q (all: %v)", k, got[k], reason, got)
		}
	}

	// State changed at the hub reaches the controller.
	if _, err := e.hub.Do("light", "off", ""); err != nil {
		t.Fatal(err)
	}
	r.b.refresh()
	req.Writes = nil
	req.Reads = []hapctl.Ref{ref(t, db, ids["light"], typeOn)}
	if resp := hapctl.Run(t, script, req); resp.Error != "" || len(resp.Reads) != 1 || resp.Reads[0].Value != false {
		t.Errorf("light switched off at the hub: controller reads %+v (error %q), want false", resp.Reads, resp.Error)
	}
}

// TestUnlockWhenConfigAllows: the same write is carried out, and audited
// granted, when the principal's actions include unlock.
func TestUnlockWhenConfigAllows(t *testing.T) {
	script := hapctl.Install(t)
	e := newEnv(t, t.TempDir())
	r := e.bridge([]string{"*"})
	db, ids := pair(t, script, r)
	req := r.request()
	req.Pairing = db.Pairing
	req.Writes = []hapctl.Write{{Ref: ref(t, db, ids["door"], typeLockTarget), Value: 0}}
	resp := hapctl.Run(t, script, req)
	if resp.Error != "" || resp.Writes[0].Status != 0 {
		t.Fatalf("unlock: %+v", resp)
	}
	if st := state(t, e.hub, "door"); st.State != "unlocked" {
		t.Errorf("door %q, want unlocked", st.State)
	}
	entries := homekitEntries(t, e.keeper)
	if len(entries) != 1 || !entries[0].OK || entries[0].Action != "unlock" {
		t.Errorf("audit %+v, want one granted unlock", entries)
	}
}

// TestSecondControllerRefused: the attack: with a controller paired, a
// second one tries pair-setup with a wrong code and with the right one, and
// pair-verify with keys the bridge never saw; each is refused and the
// bridge still has exactly one pairing. Before any pairing, a wrong code
// pairs nothing.
func TestSecondControllerRefused(t *testing.T) {
	script := hapctl.Install(t)
	e := newEnv(t, t.TempDir())
	r := e.bridge(config.DefaultHAActions)

	req := r.request()
	req.Pin = wrongCode(r.b.code)
	if resp := hapctl.Run(t, script, req); resp.Error == "" || len(resp.Pairing) != 0 {
		t.Fatalf("pair-setup with a wrong code on an unpaired bridge: %+v", resp)
	}
	if st := r.b.Status(); st.Paired || st.Pairings != 0 {
		t.Fatalf("a wrong code paired: %+v", st)
	}
	db, _ := pair(t, script, r)

	for _, pin := range []string{wrongCode(r.b.code), r.b.Status().SetupCode} {
		req := r.request()
		req.Pin = pin
		if resp := hapctl.Run(t, script, req); resp.Error == "" || len(resp.Pairing) != 0 {
			t.Errorf("second pair-setup with %s: %+v, want refused", pin, resp)
		}
	}
	// A stranger's pairing data: its own keys, the paired controller's id.
	req = r.request()
	req.Pairing = forgePairing(t, db.Pairing)
	req.Accessories = true
	if resp := hapctl.Run(t, script, req); resp.Error == "" || len(resp.Characteristics) != 0 {
		t.Errorf("pair-verify with a forged controller key: %+v, want refused", resp)
	}
	if st := r.b.Status(); st.Pairings != 1 {
		t.Errorf("pairings %d, want 1", st.Pairings)
	}
}

// wrongCode is a valid-looking code that is not code.
func wrongCode(code string) string {
	for i := 1; ; i++ {
		n, _ := strconv.Atoi(code)
		c := strconv.Itoa((n+i*1_111_111)%100_000_000 + 100_000_000)[1:]
		if c != code && ValidSetupCode(c) {
			return FormatSetupCode(c)
		}
	}
}

// TestPairingSurvivesRestartAndStoreLoss: the paired controller verifies
// again after the bridge restarts, after the store file is deleted (the
// store starts empty, as after a recovery) and with one of the record's
// two copies gone; the setup code and the device id stay the same.
func TestPairingSurvivesRestartAndStoreLoss(t *testing.T) {
	script := hapctl.Install(t)
	dir := t.TempDir()
	e := newEnv(t, dir)
	r := e.bridge(config.DefaultHAActions)
	db, ids := pair(t, script, r)
	before := r.b.Status()
	r.stop()
	e.close()

	for _, lose := range []string{"state.db", filepath.Join("security", RecordName+".0")} {
		if err := os.Remove(filepath.Join(dir, lose)); err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, dir)
		r := e.bridge(config.DefaultHAActions)
		after := r.b.Status()
		if after.SetupCode != before.SetupCode || after.DeviceID != before.DeviceID || after.Pairings != 1 {
			t.Fatalf("after losing %s: status %+v, was %+v", lose, after, before)
		}
		req := r.request()
		req.Pairing = db.Pairing
		req.Writes = []hapctl.Write{{Ref: ref(t, db, ids["light"], typeOn), Value: true}}
		resp := hapctl.Run(t, script, req)
		if resp.Error != "" || resp.Writes[0].Status != 0 {
			t.Fatalf("after losing %s: pair-verify and write: %+v", lose, resp)
		}
		if st := state(t, e.hub, "light"); st.State != "on" {
			t.Errorf("after losing %s: light %q", lose, st.State)
		}
		r.stop()
		e.close()
	}
}

// forgePairing keeps the paired controller's id and puts a key pair the
// bridge never saw in its place.
func forgePairing(t *testing.T, pairing []byte) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(pairing, &p); err != nil {
		t.Fatal(err)
	}
	if _, ok := p["iOSDeviceLTSK"]; !ok {
		t.Fatalf("pairing data without iOSDeviceLTSK: %s", pairing)
	}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	p["iOSDeviceLTSK"], p["iOSDeviceLTPK"] = hex.EncodeToString(priv), hex.EncodeToString(pub)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
