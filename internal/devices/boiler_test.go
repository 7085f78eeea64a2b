package devices

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// boilerConfig is one boiler; stale sets stale_after (long when a test takes
// readings only when it wants to).
func boilerConfig(stale time.Duration) Config {
	return Config{Boilers: []BoilerOpts{with(DefaultBoilerOpts, func(o *BoilerOpts) {
		o.ID, o.Relay, o.Sensor = "heat", "GPIO12", "28-00000a1b2c3d"
		o.Setpoint, o.Hysteresis, o.Frost = 20, 1, 5
		o.MinCycle, o.MaxRun, o.Poll, o.StaleAfter = 3*time.Minute, time.Hour, 10*time.Second, stale
	})}}
}

const sensor = "28-00000a1b2c3d"

// pollFor lets d pass, taking a reading every 10 s as the poller would.
func (r *rig) pollFor(d time.Duration) {
	for ; d > 0; d -= 10 * time.Second {
		r.advance(10 * time.Second)
		r.read("heat")
	}
}

func (r *rig) relay() string { return map[string]string{"H": "on", "L": "off"}[r.level("GPIO12")] }

func TestBoilerThermostat(t *testing.T) {
	tests := []struct {
		mode    string  // "on" (heat, setpoint 20) or "off" (frost 5)
		startOn bool    // relay on before the reading
		temp    float64 // the reading
		want    string  // relay afterwards
		reason  string  // reason of the change, if any
	}{
		// Band 19.5 .. 20.5 around the setpoint.
		{"on", false, 19.4, "on", "thermostat"},
		{"on", false, 19.5, "off", ""},
		{"on", false, 20.0, "off", ""},
		{"on", false, 20.6, "off", ""},
		{"on", true, 19.0, "on", ""},
		{"on", true, 20.0, "on", ""},
		{"on", true, 20.5, "on", ""},
		{"on", true, 20.6, "off", "thermostat"},
		// Frost guard in mode off: band 4.5 .. 5.5.
		{"off", false, 4.4, "on", "frost"},
		{"off", false, 4.5, "off", ""},
		{"off", false, 18, "off", ""},
		{"off", true, 5.5, "on", ""},
		{"off", true, 5.6, "off", "frost"},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("mode %s relay %v at %g", tt.mode, tt.startOn, tt.temp)
		t.Run(name, func(t *testing.T) {
			r := started(t, boilerConfig(24*time.Hour))
			r.do("heat", tt.mode, "")
			r.advance(3 * time.Minute)
			start := 30.0
			if tt.startOn {
				start = 0
			}
			r.therm(sensor).Set(start)
			r.read("heat")
			if (r.relay() == "on") != tt.startOn {
				t.Fatalf("setup: relay %s", r.relay())
			}
			n := len(r.j.events("heat"))
			r.advance(3 * time.Minute)
			r.therm(sensor).Set(tt.temp)
			r.read("heat")
			if r.relay() != tt.want {
				t.Errorf("relay %s, want %s", r.relay(), tt.want)
			}
			var want []string
			if tt.reason != "" {
				want = []string{fmt.Sprintf("boiler_%s(%s)", tt.want, tt.reason)}
			}
			eq(t, "events", r.j.types("heat")[n:], want)
			if st := r.get("heat"); st.Attrs["temperature"] != tt.temp {
				t.Errorf("temperature attr %v, want %v", st.Attrs["temperature"], tt.temp)
			}
		})
	}
}

func TestBoilerMinimumCycle(t *testing.T) {
	r := started(t, boilerConfig(24*time.Hour))
	r.therm(sensor).Set(10)
	// New's safe write counts as a change: no start within min_cycle of it.
	// The state says so, so that a cold house with the heating off does
	// not look like a broken boiler.
	waiting := func(want string) {
		t.Helper()
		if got, _ := r.get("heat").Attrs["waiting"].(string); got != want {
			t.Errorf("waiting = %q, want %q", got, want)
		}
	}
	r.advance(time.Minute)
	r.read("heat")
	waiting("waiting 120 s before heating (min_cycle)")
	r.advance(2*time.Minute - time.Nanosecond)
	r.read("heat")
	if r.relay() != "off" {
		t.Fatal("relay on sooner than min_cycle after New")
	}
	waiting("waiting 1 s before heating (min_cycle)")
	r.advance(time.Nanosecond)
	r.read("heat")
	if r.relay() != "on" {
		t.Fatal("relay still off min_cycle after New")
	}
	waiting("")
	r.therm(sensor).Set(25)
	r.advance(time.Minute)
	r.read("heat")
	if r.relay() != "on" {
		t.Fatal("thermostat turned the relay off 1 min after turning it on")
	}
	waiting("waiting 120 s before stopping (min_cycle)")
	r.advance(2*time.Minute - time.Nanosecond)
	r.read("heat")
	if r.relay() != "on" {
		t.Fatal("relay off 1 ns before min_cycle")
	}
	r.advance(time.Nanosecond)
	r.read("heat")
	if r.relay() != "off" {
		t.Fatal("relay still on at min_cycle")
	}
	eq(t, "events", r.j.types("heat"), []string{"boiler_on(thermostat)", "boiler_off(thermostat)"})
}

func TestBoilerMaximumRun(t *testing.T) {
	r := started(t, boilerConfig(60*time.Second))
	r.therm(sensor).Set(10) // a cold house, or a sensor stuck cold
	r.pollFor(3 * time.Minute)
	if r.relay() != "on" {
		t.Fatal("setup: relay off")
	}
	onAt := r.clk.Now()
	r.pollFor(time.Hour)
	if r.relay() != "off" {
		t.Fatal("relay still on after max_run")
	}
	h := r.pin("GPIO12").History()
	if got := h[len(h)-1].At.Sub(onAt); got != time.Hour {
		t.Errorf("forced off after %v, want exactly max_run (1h)", got)
	}
	st := r.get("heat")
	if alarms, _ := st.Attrs["alarms"].([]string); strings.Join(alarms, ",") != "max_run" {
		t.Errorf("alarms %v, want [max_run]", alarms)
	}
	// It rests at least min_cycle, then the thermostat starts it again.
	r.pollFor(3*time.Minute - 10*time.Second)
	if r.relay() != "off" {
		t.Fatal("relay on again before resting min_cycle")
	}
	r.pollFor(30 * time.Second)
	if r.relay() != "on" {
		t.Fatal("relay not restarted after the rest")
	}
	h = r.pin("GPIO12").History()
	if rest := h[len(h)-1].At.Sub(h[len(h)-2].At); rest < 3*time.Minute {
		t.Errorf("rested %v, want at least min_cycle", rest)
	}
	r.therm(sensor).Set(25)
	r.pollFor(4 * time.Minute)
	eq(t, "events", r.j.types("heat"), []string{
		"boiler_on(thermostat)", "boiler_off(max_run)", "alarm_raised(max_run)",
		"boiler_on(thermostat)", "boiler_off(thermostat)", "alarm_cleared(max_run)",
	})
}

func TestBoilerSensorFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault func(r *rig) // makes the fault happen, from a running boiler
	}{
		{"read error", func(r *rig) {
			r.therm(sensor).Fail(fmt.Errorf("1-Wire bus timeout"))
			r.advance(10 * time.Second)
			r.read("heat")
		}},
		{"power-on reset value 85.0", func(r *rig) {
			r.therm(sensor).Set(85)
			r.advance(10 * time.Second)
			r.read("heat")
		}},
		{"stale reading", func(r *rig) {
			r.advance(60*time.Second - time.Nanosecond) // no reading at all
			if r.relay() != "on" {
				r.t.Fatal("relay off before stale_after")
			}
			r.advance(time.Nanosecond)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := started(t, boilerConfig(60*time.Second))
			r.therm(sensor).Set(10)
			r.pollFor(3 * time.Minute)
			if r.relay() != "on" {
				t.Fatal("setup: relay off")
			}
			tt.fault(r) // within min_cycle of the start: a safety off ignores it
			if r.relay() != "off" {
				t.Fatal("relay still on after a sensor fault")
			}
			st := r.get("heat")
			if st.State != "fault" || st.Attrs["temperature"] != nil {
				t.Errorf("state %q temperature %v, want fault and no temperature", st.State, st.Attrs["temperature"])
			}
			r.therm(sensor).OK()
			r.therm(sensor).Set(10)
			r.advance(10 * time.Second)
			r.read("heat")
			if st := r.get("heat"); st.State == "fault" || st.Attrs["alarms"] != nil {
				t.Errorf("a good reading did not clear the alarm: %+v", st)
			}
			if r.relay() != "off" {
				t.Error("relay on again sooner than min_cycle after the safety off")
			}
			r.pollFor(3 * time.Minute)
			if r.relay() != "on" {
				t.Error("relay not back on after the fault cleared")
			}
			eq(t, "events", r.j.types("heat"), []string{
				"boiler_on(thermostat)", "boiler_off(sensor)", "alarm_raised(sensor)",
				"alarm_cleared(sensor)", "boiler_on(thermostat)",
			})
		})
	}
}

func TestBoilerNoReadingAtStartRaisesStale(t *testing.T) {
	r := started(t, boilerConfig(60*time.Second))
	r.advance(60 * time.Second)
	eq(t, "events", r.j.types("heat"), []string{"alarm_raised(sensor)"})
	if r.relay() != "off" {
		t.Error("relay on")
	}
}

func TestBoilerModeOffStopsAtOnceButFrostGuardStays(t *testing.T) {
	r := started(t, boilerConfig(24*time.Hour))
	r.therm(sensor).Set(10)
	r.advance(3 * time.Minute)
	r.read("heat")
	r.advance(10 * time.Second) // well within min_cycle
	if st := r.do("heat", "off", ""); st.State != "off" || r.relay() != "off" {
		t.Fatalf("after off: state %q relay %s, want off/off", st.State, r.relay())
	}
	eq(t, "events", r.j.types("heat"), []string{"boiler_on(thermostat)", "mode(off)", "boiler_off(mode)"})

	r.therm(sensor).Set(3)
	r.advance(3 * time.Minute)
	r.read("heat")
	if st := r.get("heat"); st.State != "heating" || r.relay() != "on" {
		t.Fatalf("frost guard: state %q relay %s", st.State, r.relay())
	}
	r.do("heat", "off", "") // already off: the frost guard keeps heating
	if r.relay() != "on" {
		t.Error("mode off stopped the frost guard below the frost band")
	}
}

func TestBoilerSetpointAndSimulatedSensor(t *testing.T) {
	r := started(t, boilerConfig(24*time.Hour))
	r.advance(3 * time.Minute)
	r.do("heat", "set-temperature", "21")
	if _, ok := r.get("heat").Attrs["temperature"]; ok {
		t.Error("set-temperature shortcut the sensor: the boiler must see it at its next reading")
	}
	r.read("heat")
	st := r.do("heat", "set-setpoint", "22.5")
	if st.Attrs["setpoint"] != 22.5 || st.State != "heating" || r.relay() != "on" {
		t.Errorf("after setpoint 22.5 at 21 °C: %+v relay %s", st, r.relay())
	}
	r.do("heat", "sensor-fail", "")
	r.read("heat")
	if st := r.get("heat"); st.State != "fault" || r.relay() != "off" {
		t.Errorf("after sensor-fail: %+v relay %s", st, r.relay())
	}
	r.do("heat", "sensor-ok", "")
	r.read("heat")
	if st := r.get("heat"); st.State == "fault" {
		t.Errorf("after sensor-ok: %+v", st)
	}
	eq(t, "events", r.j.types("heat"), []string{"setpoint(22.5)", "boiler_on(thermostat)",
		"boiler_off(sensor)", "alarm_raised(sensor)", "alarm_cleared(sensor)"})
	for _, e := range r.j.events("heat") {
		want := ClassState
		if strings.HasPrefix(e.Type, "alarm_") {
			want = ClassAudit
		}
		if e.Class != want {
			t.Errorf("%s has class %s, want %s", e.Type, e.Class, want)
		}
	}
}

// blockingThermometer blocks in Temperature until released.
type blockingThermometer struct {
	entered, release chan struct{}
}

func (b *blockingThermometer) Temperature() (float64, error) {
	b.entered <- struct{}{}
	<-b.release
	return 19, nil
}

func TestBoilerReadsWithoutHoldingItsLock(t *testing.T) {
	r := &rig{t: t, j: &memJournal{}}
	r.sim = NewSim(nil)
	bt := &blockingThermometer{entered: make(chan struct{}), release: make(chan struct{})}
	h, err := New(boilerConfig(24*time.Hour), Options{Pin: r.sim.Pin,
		Thermometer: func(string) (Thermometer, error) { return bt, nil }})
	if err != nil {
		t.Fatal(err)
	}
	h.Start(r.j, nil)
	done := make(chan struct{})
	go func() {
		h.byID["heat"].(*boiler).read()
		close(done)
	}()
	<-bt.entered
	got := make(chan error, 1)
	go func() {
		_, err := h.Do("heat", "set-setpoint", "21")
		_ = h.List()
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Do blocked while the sensor was being read")
	}
	close(bt.release)
	<-done
}
