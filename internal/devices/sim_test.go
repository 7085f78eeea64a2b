package devices

import (
	"errors"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
)

func TestSimPinEdges(t *testing.T) {
	tests := []struct {
		edge  gpio.Edge
		sets  []gpio.Level
		wakes []bool // WaitForEdge(0) after each Set
	}{
		{gpio.BothEdges, []gpio.Level{gpio.Low, gpio.Low, gpio.High}, []bool{true, false, true}},
		{gpio.RisingEdge, []gpio.Level{gpio.Low, gpio.High}, []bool{false, true}},
		{gpio.FallingEdge, []gpio.Level{gpio.Low, gpio.High}, []bool{true, false}},
		{gpio.NoEdge, []gpio.Level{gpio.Low, gpio.High}, []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.edge.String(), func(t *testing.T) {
			p, _ := NewSim(nil).Pin("GPIO4")
			if err := p.In(gpio.PullUp, tt.edge); err != nil {
				t.Fatal(err)
			}
			if p.Read() != gpio.High {
				t.Fatal("pull-up input with nothing connected does not read high")
			}
			for i, l := range tt.sets {
				p.(*SimPin).Set(l)
				if got := p.WaitForEdge(0); got != tt.wakes[i] {
					t.Errorf("after Set(%v): WaitForEdge = %v, want %v", l, got, tt.wakes[i])
				}
				if p.Read() != l {
					t.Errorf("Read = %v after Set(%v)", p.Read(), l)
				}
			}
		})
	}
}

func TestSimPinWaitForEdgeWakesAWaiter(t *testing.T) {
	p, _ := NewSim(nil).Pin("GPIO4")
	p.In(gpio.PullDown, gpio.BothEdges)
	woke := make(chan bool)
	go func() { woke <- p.WaitForEdge(10 * time.Second) }()
	p.(*SimPin).Set(gpio.High)
	select {
	case ok := <-woke:
		if !ok {
			t.Fatal("WaitForEdge returned false")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Set did not wake WaitForEdge")
	}
	if p.WaitForEdge(time.Millisecond) {
		t.Error("WaitForEdge true with no edge")
	}
}

func TestSimPinHistoryAndMemo(t *testing.T) {
	clk := clocktest.New(t0)
	s := NewSim(clk)
	a, _ := s.Pin("A")
	again, _ := s.Pin("A")
	b, _ := s.Pin("B")
	if a != again {
		t.Fatal("Pin is not memoized")
	}
	a.Out(gpio.Low)
	clk.Advance(time.Second)
	b.Out(gpio.High)
	a.Out(gpio.Low) // no change: not recorded
	a.Out(gpio.High)
	h := a.(*SimPin).History()
	if len(h) != 2 || h[0].Level != gpio.Low || !h[0].At.Equal(t0) || h[1].Level != gpio.High || !h[1].At.Equal(t0.Add(time.Second)) {
		t.Fatalf("history %+v", h)
	}
	if hb := b.(*SimPin).History(); hb[0].Seq <= h[0].Seq || hb[0].Seq >= h[1].Seq {
		t.Errorf("sequence numbers do not order writes across pins: %v %v", h, hb)
	}
	if _, err := s.Pin(""); err == nil {
		t.Error("empty pin name accepted")
	}
}

func TestSimThermometer(t *testing.T) {
	s := NewSim(nil)
	th, _ := s.Thermometer("28-000000000001")
	if again, _ := s.Thermometer("28-000000000001"); again != th {
		t.Fatal("Thermometer is not memoized")
	}
	if c, err := th.Temperature(); c != 20 || err != nil {
		t.Fatalf("initial %v %v, want 20", c, err)
	}
	st := th.(*SimThermometer)
	st.Set(4.5)
	boom := errors.New("boom")
	st.Fail(boom)
	if _, err := th.Temperature(); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	st.OK()
	if c, err := th.Temperature(); c != 4.5 || err != nil {
		t.Fatalf("after OK %v %v", c, err)
	}
}
