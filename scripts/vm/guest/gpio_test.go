//go:build linux

package main

import (
	"reflect"
	"testing"
)

// A trace as the kernel prints it: the control's glitch on GPIO 529, reads
// ("get") and another line's events that must not count.
const sampleTrace = `# tracer: nop
#
      vmguest-95      [000] .....     5.123456: tracing_mark_write: periph-start
      vmguest-101     [001] .....     5.200000: gpio_value: 529 set 0
      vmguest-101     [001] .....     5.200100: gpio_direction: 529 out (0)
      vmguest-101     [001] .....     5.200200: gpio_value: 529 set 1
      vmguest-101     [001] .....     5.200250: gpio_value: 529 get 1
      vmguest-101     [001] .....     5.200300: gpio_value: 5290 set 0
      vmguest-101     [001] .....     5.200400: gpio_direction: 528  in (0)
      vmguest-95      [000] .....     5.300000: tracing_mark_write: periph-end
    edgeagent-120     [000] .....     6.000000: gpio_value: 529 set 0
`

func TestParseLineTrace(t *testing.T) {
	got, err := parseLineTrace(sampleTrace, 529, "periph-start", "periph-end")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gpio_value set 0", "gpio_direction out (0)", "gpio_value set 1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// Events after the closing marker are not the window's.
	if got, _ := parseLineTrace(sampleTrace, 529, "periph-end", ""); !reflect.DeepEqual(got, []string{"gpio_value set 0"}) {
		t.Errorf("after periph-end: %q", got)
	}
	// A missing marker is an error, never an empty (glitch-free) window.
	if _, err := parseLineTrace(sampleTrace, 529, "agent-start", "agent-ready"); err == nil {
		t.Error("a window whose start marker is missing was accepted")
	}
	if _, err := parseLineTrace(sampleTrace, 529, "periph-start", "agent-ready"); err == nil {
		t.Error("a window whose end marker is missing was accepted")
	}
}
