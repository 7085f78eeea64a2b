package devices

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
)

// plainPin is a gpio.PinIO that is not a *SimPin: the device code must not
// care what its pins are.
type plainPin struct{ gpio.PinIO }

// fakeSim is a Simulator that records what it is asked and drives the
// wrapped sim pins and sensors itself, as a gpio-sim chip or a test bench
// would from outside.
type fakeSim struct {
	sim   *Sim
	mu    sync.Mutex
	calls []string
}

func (f *fakeSim) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeSim) SetInput(name string, l gpio.Level) error {
	f.note(fmt.Sprintf("input %s %s", name, l))
	return f.sim.SetInput(name, l)
}

func (f *fakeSim) Settle(name string, inactive gpio.Level) {
	f.note(fmt.Sprintf("settle %s %s", name, inactive))
	f.sim.Settle(name, inactive)
}

func (f *fakeSim) SetTemperature(sensor string, c float64) error {
	f.note(fmt.Sprintf("temperature %s %g", sensor, c))
	return f.sim.SetTemperature(sensor, c)
}

func (f *fakeSim) FailSensor(sensor string, err error) error {
	f.note(fmt.Sprintf("fail %s %v", sensor, err))
	return f.sim.FailSensor(sensor, err)
}

// TestSimulatedActionsGoThroughTheSimulator: with pins and a sensor that
// are not the package's own simulated types, every simulated action still
// works, through Options.Sim alone, and its event comes through the normal
// debounced or polled path. Before the Simulator hook, the device code
// type-asserted *SimPin and *SimThermometer and refused these with
// ErrNotSimulated.
func TestSimulatedActionsGoThroughTheSimulator(t *testing.T) {
	clk := clocktest.New(t0)
	sim := NewSim(clk)
	fs := &fakeSim{sim: sim}
	j := &memJournal{}
	h, err := New(baseConfig(), Options{
		Clock: clk,
		Pin: func(name string) (gpio.PinIO, error) {
			p, err := sim.Pin(name)
			return plainPin{p}, err
		},
		Thermometer: func(id string) (Thermometer, error) {
			th, err := sim.Thermometer(id)
			return struct{ Thermometer }{th}, err
		},
		Sim: fs,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Start(j, nil)
	sample := func() {
		for _, w := range h.watches {
			w.step(0)
		}
	}
	do := func(id, action, value string) {
		t.Helper()
		if _, err := h.Do(id, action, value); err != nil {
			t.Fatalf("Do(%s %s %s): %v", id, action, value, err)
		}
		sample()
		clk.Advance(time.Second) // past every debounce and simulated press
		sample()
		clk.Advance(time.Second)
	}
	do("front", "door-open", "")
	do("front", "door-close", "")
	do("front", "press", "")
	do("bell", "press", "")
	do("window", "open", "")
	do("pir", "motion", "")
	do("heat", "set-temperature", "12.5")
	h.byID["heat"].(*boiler).read()
	if st, _ := h.Get("heat"); st.Attrs["temperature"] != 12.5 {
		t.Errorf("boiler after set-temperature and a reading: %+v", st)
	}
	do("heat", "sensor-fail", "")
	do("heat", "sensor-ok", "")

	eq(t, "front", j.types("front"), []string{"door_opened", "door_forced", "door_closed",
		"alarm_cleared(door_forced)", "unlocked(exit_button)", "locked(relock_after)"})
	eq(t, "bell", j.types("bell"), []string{"pressed"})
	eq(t, "window", j.types("window"), []string{"contact_opened"})
	eq(t, "pir", j.types("pir"), []string{"motion"})
	fs.mu.Lock()
	calls := slices.Clone(fs.calls)
	fs.mu.Unlock()
	for _, want := range []string{
		"settle GPIO22 Low", // the door contact starts closed
		"input GPIO22 High", "input GPIO22 Low",
		"input GPIO23 Low", "input GPIO23 High", // exit button pressed, released
		"input GPIO24 Low", "input GPIO24 High",
		"input GPIO25 Low", "input GPIO26 High",
		"temperature 28-00000a1b2c3d 12.5",
		"fail 28-00000a1b2c3d simulated sensor failure", "fail 28-00000a1b2c3d <nil>",
	} {
		if !slices.Contains(calls, want) {
			t.Errorf("Simulator not asked %q; calls %q", want, calls)
		}
	}
}

// TestSimRefusesWhatItDidNotMake: the Sim drives only pins and sensors the
// Hub got from it; anything else is real hardware, ErrNotSimulated.
func TestSimRefusesWhatItDidNotMake(t *testing.T) {
	s := NewSim(nil)
	if _, err := s.Pin("GPIO4"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetInput("GPIO4", gpio.High); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"input":       s.SetInput("GPIO5", gpio.High),
		"temperature": s.SetTemperature("28-000000000001", 20),
		"fail":        s.FailSensor("28-000000000001", nil),
	} {
		if !errors.Is(err, ErrNotSimulated) {
			t.Errorf("%s on something the Sim never made: %v", name, err)
		}
	}
	s.Settle("GPIO5", gpio.Low) // nothing to settle: no pin made
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pins["GPIO5"]; ok {
		t.Error("the Simulator made a pin of its own")
	}
}

// TestSetTemperatureSaysWhenTheBoilerSeesIt: a simulated temperature
// reaches the thermostat at the next poll, and until then the boiler's state
// says so, counting down; the reading clears it.
func TestSetTemperatureSaysWhenTheBoilerSeesIt(t *testing.T) {
	r := started(t, boilerConfig(24*time.Hour)) // poll 10 s
	r.read("heat")
	r.advance(3 * time.Second)
	st := r.do("heat", "set-temperature", "15")
	if st.Attrs["pending"] != "new reading in 7 s (poll)" || st.Attrs["temperature"] != 20.0 {
		t.Fatalf("answer to set-temperature: %+v", st)
	}
	r.advance(6500 * time.Millisecond)
	if p := r.get("heat").Attrs["pending"]; p != "new reading in 1 s (poll)" {
		t.Errorf("half a second before the poll: %v", p)
	}
	r.advance(time.Second) // overdue: the poller is late, not the clock
	if p := r.get("heat").Attrs["pending"]; p != "new reading in 0 s (poll)" {
		t.Errorf("poll overdue: %v", p)
	}
	r.read("heat")
	st = r.get("heat")
	if _, ok := st.Attrs["pending"]; ok || st.Attrs["temperature"] != 15.0 {
		t.Errorf("after the reading: %+v", st)
	}
	r.do("heat", "sensor-fail", "")
	if p := r.get("heat").Attrs["pending"]; p != "new reading in 10 s (poll)" {
		t.Errorf("after sensor-fail: %v", p)
	}
	r.read("heat")
	if st := r.get("heat"); st.State != "fault" || st.Attrs["pending"] != nil {
		t.Errorf("after sensor-fail and a reading: %+v", st)
	}
}

// TestDoStartsNoGoroutinePerCall: a thousand actions, answered or refused,
// leave no goroutine behind (Do's flush runs on a goroutine that ends with
// it, never one per record left waiting).
func TestDoStartsNoGoroutinePerCall(t *testing.T) {
	r := started(t, baseConfig())
	before := runtime.NumGoroutine()
	for i := range 1000 {
		a := map[bool]string{true: "on", false: "off"}[i%2 == 0]
		r.do("hall", a, "")
		if _, err := r.h.Do("hall", "dim", ""); !errors.Is(err, ErrUnknownAction) {
			t.Fatal(err)
		}
	}
	// The last Do's flush goroutine may not have returned yet: one over.
	waitUntil(t, "goroutines back to where they were", func() bool { return runtime.NumGoroutine() <= before+1 })
	if n := len(r.j.events("hall")); n != 1000 {
		t.Errorf("%d events for 1000 switch changes", n)
	}
}

// TestNoConfigImport: devices takes its own options; the config file is the
// loader's business (and an import of it would be an import cycle waiting
// for config's mapping).
func TestNoConfigImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "periph.io/x/conn/v3/gpio") {
		t.Fatalf("periph's gpio missing from the dependency list %v: is this the devices package's?", deps)
	}
	for _, d := range deps {
		if strings.HasSuffix(d, "/internal/config") || strings.Contains(d, "/internal/localapi") || strings.Contains(d, "/internal/sync/") {
			t.Errorf("devices imports %s", d)
		}
	}
}

// TestDefaultThermometerRoot: an unset OneWireRoot reads the sensors
// where the kernel shows them.
func TestDefaultThermometerRoot(t *testing.T) {
	sim := NewSim(nil)
	h, err := New(boilerConfig(time.Minute), Options{Pin: sim.Pin})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := h.boilers[0].therm.(DS18B20); !ok || d.Root != DefaultOneWireRoot || d.ID != sensor {
		t.Errorf("thermometer %#v", h.boilers[0].therm)
	}
}

// TestNewRefusesBadOptionsBeforeTouchingAPin: options New cannot use are an
// *OptError naming the device and the option, and no pin has moved.
func TestNewRefusesBadOptionsBeforeTouchingAPin(t *testing.T) {
	for _, tt := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Boilers[0].Setpoint = 40 }, `devices: boiler "heat" setpoint: 40 is outside 5..35 °C`},
		{func(c *Config) { c.Boilers[0].Sensor = "../../etc" }, `devices: boiler "heat" sensor: "../../etc" is not a 1-Wire id like "28-00000a1b2c3d"`},
		{func(c *Config) { c.Boilers[0].StaleAfter = c.Boilers[0].Poll }, `devices: boiler "heat" stale_after: 10s must be longer than poll (10s)`},
		{func(c *Config) { c.Locks[0].Fail = "" }, `devices: lock "front" fail: missing`},
		{func(c *Config) { c.Locks[0].RelockAfter = 0 }, `devices: lock "front" relock_after: must be above 0`},
		{func(c *Config) { c.Covers[0].Down = c.Covers[0].Up }, `devices: cover "blind" down: pin "GPIO20" is already used by cover "blind" up`},
		{func(c *Config) { c.Switches[0].Relay = c.Locks[0].Relay }, `devices: switch "hall" relay: pin "GPIO17" is already used by lock "front" relay`},
		{func(c *Config) { c.Inputs[0].Pin = c.Locks[0].Contact }, `devices: input "bell" pin: pin "GPIO22" is already used by lock "front" contact`},
		{func(c *Config) { c.Inputs[0].Type = "lever" }, `devices: input "bell" type: "lever" is not`},
		{func(c *Config) { c.Inputs[1].ID = "hall" }, `devices: input "hall" id: duplicate device id`},
		{func(c *Config) { c.Switches[0].ID = "" }, `devices: switch id: missing`},
	} {
		t.Run(tt.want, func(t *testing.T) {
			cfg := baseConfig()
			tt.change(&cfg)
			sim := NewSim(nil)
			_, err := New(cfg, sim.Options())
			var oe *OptError
			if !errors.As(err, &oe) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want an *OptError %q", err, tt.want)
			}
			sim.mu.Lock()
			defer sim.mu.Unlock()
			if len(sim.pins) != 0 {
				t.Errorf("%d pins resolved before the options were checked", len(sim.pins))
			}
		})
	}
}
