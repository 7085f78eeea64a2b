package localapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/config"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localauth"
	"github.com/edgeagent/edgeagent/internal/secstate"
	"github.com/edgeagent/edgeagent/internal/store"
)

const siteConfig = `site = "t"
[[lock]]
id = "door"
relay = "GPIO1"
fail = "secure"
[[switch]]
id = "light"
relay = "GPIO2"
[[boiler]]
id = "boiler"
relay = "GPIO3"
sensor = "28-00000a1b2c3d"
[[input]]
id = "bell"
pin = "GPIO4"
type = "button"
`

// serve starts the admin API on a unix socket over a real hub and store.
// pin resolves the hub's pins (simulated or a plain test pin).
func serve(t *testing.T, pin func(string) (gpio.PinIO, error)) (*AdminClient, *store.Store) {
	t.Helper()
	cfg, err := config.Parse("t.toml", []byte(siteConfig))
	if err != nil {
		t.Fatal(err)
	}
	sim := devices.NewSim(nil)
	if pin == nil {
		pin = sim.Pin
	}
	hub, err := devices.New(cfg.Devices(), devices.Options{Pin: pin, Thermometer: sim.Thermometer})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, _, err := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hub.Start(st, nil)
	sec, err := secstate.Open(filepath.Join(dir, "security"))
	if err != nil {
		t.Fatal(err)
	}
	keeper, err := localauth.New(localauth.Options{Site: "t", Store: st, SecState: sec})
	if err != nil {
		t.Fatal(err)
	}
	a := &Admin{Hub: hub, Store: st, Keeper: keeper, Version: "test", Site: "t", Sim: true, Started: time.Now(), Log: slog.New(slog.DiscardHandler)}
	sock := filepath.Join(dir, "admin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler()}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		hub.Shutdown()
		keeper.Close()
		st.Close()
	})
	return NewAdminClient(sock), st
}

// snapshot is everything an action could change: every device and the log.
func snapshot(t *testing.T, c *AdminClient) ([]devices.State, []store.Event) {
	t.Helper()
	list, err := c.Devices()
	if err != nil {
		t.Fatal(err)
	}
	evs, err := c.Events(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return list, evs
}

func TestAdminBadInputChangesNothing(t *testing.T) {
	c, _ := serve(t, nil)
	cases := []struct {
		name, id, action, value string
		status                  int
		code, mention           string
	}{
		{"unknown device", "garage", "on", "", 404, "unknown_device", "garage"},
		{"unknown action", "light", "explode", "", 400, "unknown_action", "explode"},
		{"action of another kind", "light", "unlock", "", 400, "unknown_action", "unlock"},
		{"bad value", "boiler", "set-setpoint", "warm", 400, "bad_value", "warm"},
		{"value out of range", "boiler", "set-setpoint", "90", 400, "bad_value", "90"},
		{"missing value", "boiler", "set-setpoint", "", 400, "bad_value", "set-setpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			beforeDevs, beforeEvs := snapshot(t, c)
			_, err := c.Do(tc.id, tc.action, tc.value)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want an API error", err)
			}
			if ae.Status != tc.status || ae.Code != tc.code || !strings.Contains(ae.Message, tc.mention) {
				t.Errorf("got %d %s %q, want %d %s mentioning %q", ae.Status, ae.Code, ae.Message, tc.status, tc.code, tc.mention)
			}
			afterDevs, afterEvs := snapshot(t, c)
			if !reflect.DeepEqual(beforeDevs, afterDevs) || len(afterEvs) != len(beforeEvs) {
				t.Errorf("a refused action changed something:\n%v\n%v", beforeDevs, afterDevs)
			}
		})
	}
}

// raw sends a body as it is, for what the client would never send.
func raw(t *testing.T, c *AdminClient, method, path, body string) (int, Error) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://agent"+path, strings.NewReader(body))
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb errorBody
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &eb)
	return resp.StatusCode, eb.Error
}

// Malformed requests are refused before the hub is asked anything: the
// hub is a fake that records every call.
func TestAdminMalformedRequests(t *testing.T) {
	hub := &fakeHub{states: doorAndLight}
	c := serveFake(t, fakeAdmin(hub, &fakeAdminStore{}, &fakeKeeper{}))
	big := `{"action":"on","value":"` + strings.Repeat("x", 8<<10) + `"}`
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"oversized body", "POST", "/v1/devices/light/action", big, 413, "body_too_large"},
		{"not JSON", "POST", "/v1/devices/light/action", "on please", 400, "bad_request"},
		{"unknown field", "POST", "/v1/devices/light/action", `{"action":"on","force":true}`, 400, "bad_request"},
		{"empty body", "POST", "/v1/devices/light/action", ``, 400, "bad_request"},
		{"two objects", "POST", "/v1/devices/light/action", `{"action":"on"}{"action":"off"}`, 400, "bad_request"},
		{"wrong method", "DELETE", "/v1/devices/light", ``, 404, "not_found"},
		{"no route", "GET", "/v2/everything", ``, 404, "not_found"},
		{"bad after", "GET", "/v1/events?after=-1", ``, 400, "bad_request"},
		{"bad limit", "GET", "/v1/events?limit=100000", ``, 400, "bad_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, e := raw(t, c, tc.method, tc.path, tc.body)
			if status != tc.status || e.Code != tc.code || e.Message == "" {
				t.Errorf("got %d %+v, want %d %s with a message", status, e, tc.status, tc.code)
			}
		})
	}
	if calls := hub.calls(); len(calls) != 0 {
		t.Errorf("malformed requests reached the hub: %q", calls)
	}
}

// hwPin stands for a real board pin: it works, but it is not a SimPin.
type hwPin struct {
	gpio.PinIO
	name  string
	level gpio.Level
}

func (p *hwPin) Name() string                     { return p.name }
func (p *hwPin) String() string                   { return p.name }
func (p *hwPin) Out(l gpio.Level) error           { p.level = l; return nil }
func (p *hwPin) Read() gpio.Level                 { return p.level }
func (p *hwPin) In(gpio.Pull, gpio.Edge) error    { return nil }
func (p *hwPin) WaitForEdge(d time.Duration) bool { time.Sleep(d); return false }
func (p *hwPin) Halt() error                      { return nil }

func TestAdminSimulatedInputOnRealPinIsRefused(t *testing.T) {
	c, _ := serve(t, func(name string) (gpio.PinIO, error) { return &hwPin{PinIO: gpio.INVALID, name: name}, nil })
	cfgLock := "door" // has no contact: door-open is not one of its actions at all
	_, err := c.Do(cfgLock, "door-open", "")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "unknown_action" {
		t.Fatalf("door-open on a lock without a contact: %v", err)
	}
	// The light is a real relay: switching it works, simulating does not.
	if _, err := c.Do("light", "on", ""); err != nil {
		t.Fatal(err)
	}
	_, err = c.Do("light", "press", "")
	if !errors.As(err, &ae) || ae.Code != "unknown_action" {
		t.Fatalf("press on a switch: %v", err)
	}
	_, err = c.Do("bell", "press", "")
	if !errors.As(err, &ae) || ae.Status != 409 || ae.Code != "not_simulated" || !strings.Contains(ae.Message, "bell") {
		t.Fatalf("press on a real button: %v", err)
	}
}

func TestAdminActionIsDurableAndListed(t *testing.T) {
	c, st := serve(t, nil)
	s, err := c.Do("light", "on", "")
	if err != nil || s.State != "on" {
		t.Fatalf("on: %+v %v", s, err)
	}
	d, err := c.Devices()
	if err != nil || len(d) != 4 || d[1].ID != "light" || d[1].State != "on" {
		t.Fatalf("devices: %+v %v", d, err)
	}
	// Acknowledged means committed: the store has the event now.
	evs, err := st.Events(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[len(evs)-1].Type != "switched_on" || evs[len(evs)-1].Device != "light" {
		t.Fatalf("event log after an acknowledged action: %+v", evs)
	}
	got, err := c.Events(evs[len(evs)-1].Seq-1, 10)
	if err != nil || len(got) != 1 || got[0].Seq != evs[len(evs)-1].Seq {
		t.Errorf("events after: %+v %v", got, err)
	}
	status, err := c.Status()
	if err != nil || status.Site != "t" || status.Devices != 4 || status.Store.LastSeq == 0 || status.Store.Instance == "" {
		t.Errorf("status: %+v %v", status, err)
	}
	b, _ := json.Marshal(status)
	if !bytes.Contains(b, []byte(`"recovered":false`)) {
		t.Errorf("status JSON: %s", b)
	}
}
