package devices

import (
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/store"
)

func TestInputs(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name  string
		id    string
		steps []step
		want  []string
		state string
		class store.Class
	}{
		{"button held", "bell",
			[]step{{set: "GPIO24 L"}, {wait: 100 * ms}, {set: "GPIO24 H"}, {wait: 100 * ms}},
			[]string{"pressed"}, "released", ClassTelemetry},
		{"button bounce shorter than debounce", "bell",
			[]step{{set: "GPIO24 L"}, {wait: 20 * ms}, {set: "GPIO24 H"}, {wait: 20 * ms}, {set: "GPIO24 L"}, {wait: 20 * ms}, {set: "GPIO24 H"}, {wait: time.Second}},
			nil, "released", ""},
		{"button bounces, then held: one event", "bell",
			[]step{{set: "GPIO24 L"}, {wait: 10 * ms}, {set: "GPIO24 H"}, {wait: 10 * ms}, {set: "GPIO24 L"}, {wait: time.Second}},
			[]string{"pressed"}, "pressed", ClassTelemetry},
		{"simulated press", "bell",
			[]step{{do: "bell press"}, {wait: time.Second}},
			[]string{"pressed"}, "released", ClassTelemetry},
		{"contact opens and closes", "window",
			[]step{{do: "window open"}, {wait: 100 * ms}, {do: "window close"}, {wait: 100 * ms}},
			[]string{"contact_opened", "contact_closed"}, "closed", ClassAudit},
		{"contact held open", "window",
			[]step{{set: "GPIO25 L"}, {wait: time.Second}},
			[]string{"contact_opened"}, "open", ClassAudit},
		{"motion and clear (active high)", "pir",
			[]step{{do: "pir motion"}, {wait: 100 * ms}, {do: "pir clear"}, {wait: 100 * ms}},
			[]string{"motion", "motion_cleared"}, "clear", ClassTelemetry},
		{"motion glitch", "pir",
			[]step{{set: "GPIO26 H"}, {wait: 30 * ms}, {set: "GPIO26 L"}, {wait: time.Second}},
			nil, "clear", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := started(t, baseConfig())
			r.play(tt.steps)
			eq(t, "events", r.j.types(tt.id), tt.want)
			if st := r.get(tt.id); st.State != tt.state {
				t.Errorf("state %q, want %q", st.State, tt.state)
			}
			for _, e := range r.j.events(tt.id) {
				if e.Class != tt.class {
					t.Errorf("%s has class %q, want %q", e.Type, e.Class, tt.class)
				}
			}
		})
	}
}

func TestDebounceBoundary(t *testing.T) {
	r := started(t, baseConfig())
	r.set("GPIO24", false)
	r.advance(50*time.Millisecond - time.Nanosecond)
	r.set("GPIO24", true) // released 1 ns short of the debounce
	r.advance(time.Second)
	eq(t, "events below the debounce", r.j.types("bell"), nil)

	r.set("GPIO24", false)
	r.advance(50 * time.Millisecond)
	eq(t, "events at the debounce", r.j.types("bell"), []string{"pressed"})
	r.sample() // the same level again does not restart anything
	r.advance(time.Second)
	eq(t, "events after holding", r.j.types("bell"), []string{"pressed"})
}

func TestSimulatedInputGoesThroughDebounce(t *testing.T) {
	r := started(t, baseConfig())
	r.do("window", "open", "")
	r.sample()
	if st := r.get("window"); st.State != "closed" {
		t.Fatalf("state %q right after the action: the debounce was bypassed", st.State)
	}
	r.advance(50 * time.Millisecond)
	if st := r.get("window"); st.State != "open" {
		t.Fatalf("state %q after the debounce", st.State)
	}
}
