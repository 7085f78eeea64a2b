package devices

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgeagent/edgeagent/internal/clock/clocktest"
)

// The structs must have the kernel's sizes, or the ioctl numbers (which
// carry the size) and the fields would not match include/uapi/linux/gpio.h.
// The ioctl numbers are the uapi's, as the kernel headers compute them.
func TestChipOutputUAPILayout(t *testing.T) {
	for _, c := range []struct {
		what      string
		got, want uintptr
	}{
		{"gpio_v2_line_attribute", unsafe.Sizeof(lineAttribute{}), 16},
		{"gpio_v2_line_config_attribute", unsafe.Sizeof(lineConfigAttribute{}), 24},
		{"gpio_v2_line_config", unsafe.Sizeof(lineConfig{}), 272},
		{"gpio_v2_line_request", unsafe.Sizeof(lineRequest{}), lineRequestSize},
		{"gpio_v2_line_request.fd offset", unsafe.Offsetof(lineRequest{}.fd), 588},
		{"gpio_v2_line_request.config offset", unsafe.Offsetof(lineRequest{}.config), 288},
		{"gpio_v2_line_values", unsafe.Sizeof(lineValues{}), lineValuesSize},
		{"GPIO_V2_GET_LINE_IOCTL", iowr(gpioV2GetLine, lineRequestSize), 0xC250B407},
		{"GPIO_V2_LINE_SET_VALUES_IOCTL", iowr(gpioV2SetValues, lineValuesSize), 0xC010B40F},
		{"GPIO_V2_LINE_GET_VALUES_IOCTL", iowr(gpioV2GetValues, lineValuesSize), 0xC010B40E},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.what, c.got, c.want)
		}
	}
}

// ioctlCall is one ioctl the fake kernel saw, with a copy of its argument.
type ioctlCall struct {
	fd, req uintptr
	request lineRequest
	values  lineValues
}

// fakeChip answers line requests with the fd of a real file (so that Close
// is real) and records every call.
type fakeChip struct {
	t      *testing.T
	path   string
	calls  []ioctlCall
	fail   error
	lineFD *os.File
}

func newFakeChip(t *testing.T) *fakeChip {
	dir := t.TempDir()
	path := filepath.Join(dir, "gpiochip0")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "line"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &fakeChip{t: t, path: path, lineFD: f}
}

func (k *fakeChip) ioctl(fd, req uintptr, arg unsafe.Pointer) error {
	c := ioctlCall{fd: fd, req: req}
	switch req {
	case iowr(gpioV2GetLine, lineRequestSize):
		r := (*lineRequest)(arg)
		if k.fail != nil {
			return k.fail
		}
		fd, err := syscall.Dup(int(k.lineFD.Fd()))
		if err != nil {
			k.t.Fatal(err)
		}
		r.fd = int32(fd)
		c.request = *r
	case iowr(gpioV2SetValues, lineValuesSize):
		c.values = *(*lineValues)(arg)
	case iowr(gpioV2GetValues, lineValuesSize):
		v := (*lineValues)(arg)
		v.bits = 1
		c.values = *v
	default:
		k.t.Fatalf("unexpected ioctl %#x", req)
	}
	k.calls = append(k.calls, c)
	return nil
}

// The first Out is one request that names the line as an output with the
// level as its initial value: there is no instant at which the kernel
// drives the line without it (periph's gpioioctl configures the output
// first and sets the value in a second ioctl).
func TestChipOutputRequestsWithInitialValue(t *testing.T) {
	for _, safe := range []gpio.Level{gpio.High, gpio.Low} {
		k := newFakeChip(t)
		c := NewChipOutput(k.path, 17, "GPIO17")
		c.ioctl = k.ioctl
		if err := c.Out(safe); err != nil {
			t.Fatal(err)
		}
		if len(k.calls) != 1 || k.calls[0].req != iowr(gpioV2GetLine, lineRequestSize) {
			t.Fatalf("Out(%v) made calls %+v, want one line request", safe, k.calls)
		}
		r := k.calls[0].request
		var want uint64
		if safe {
			want = 1
		}
		cfg := r.config
		if r.numLines != 1 || r.offsets[0] != 17 || cfg.flags != gpioV2FlagOutput || cfg.numAttrs != 1 ||
			cfg.attrs[0].attr.id != gpioV2AttrOutVals || cfg.attrs[0].mask != 1 || cfg.attrs[0].attr.value != want {
			t.Fatalf("request %+v: want line 17 as output with initial value %d", r, want)
		}
		if got := string(r.consumer[:len(gpioLineConsumer)]); got != gpioLineConsumer {
			t.Errorf("consumer %q", got)
		}
		// Later levels go to the line's fd, not the chip's.
		if err := c.Out(!safe); err != nil {
			t.Fatal(err)
		}
		last := k.calls[len(k.calls)-1]
		if last.req != iowr(gpioV2SetValues, lineValuesSize) || last.fd != uintptr(r.fd) || last.values.mask != 1 || (last.values.bits == 1) != bool(!safe) {
			t.Fatalf("second Out: %+v", last)
		}
		if !c.Read() || c.Func() != gpio.OUT_HIGH {
			t.Errorf("Read/Func do not show the kernel's value")
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

// A refused request (line busy) is an error naming the line, and the next
// Out asks again rather than writing to a line it does not hold.
func TestChipOutputRequestFailure(t *testing.T) {
	k := newFakeChip(t)
	k.fail = syscall.EBUSY
	c := NewChipOutput(k.path, 5, "GPIO5")
	c.ioctl = k.ioctl
	err := c.Out(gpio.High)
	if !errors.Is(err, syscall.EBUSY) || c.String() == "" {
		t.Fatalf("Out = %v", err)
	}
	if want := "GPIO5 (" + k.path + " line 5): request as output at High: device or resource busy"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	k.fail = nil
	if err := c.Out(gpio.High); err != nil || len(k.calls) != 1 || k.calls[0].req != iowr(gpioV2GetLine, lineRequestSize) {
		t.Fatalf("retry: %v, calls %+v", err, k.calls)
	}
	if err := (NewChipOutput(filepath.Join(t.TempDir(), "none"), 1, "GPIO1")).Out(gpio.Low); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing chip: %v", err)
	}
}

// With an Output resolver (Host's), New claims every relay through it with
// the same safe level it drives through Pin then Out, and never resolves a
// relay through Pin: the one-step claim is the only path an output takes.
func TestNewClaimsOutputsWithTheirSafeLevel(t *testing.T) {
	ref := newRig(t, mixedLevels())
	r := &rig{t: t, clk: clocktest.New(t0), j: &memJournal{}}
	r.sim = NewSim(r.clk)
	cfg := mixedLevels()
	outputs := map[string]bool{}
	claimed := map[string]gpio.Level{}
	for _, l := range cfg.Locks {
		outputs[l.Relay] = true
	}
	for _, s := range cfg.Switches {
		outputs[s.Relay] = true
	}
	for _, b := range cfg.Boilers {
		outputs[b.Relay] = true
	}
	for _, c := range cfg.Covers {
		outputs[c.Up], outputs[c.Down] = true, true
	}
	pin := func(name string) (gpio.PinIO, error) {
		if outputs[name] {
			t.Errorf("relay %s resolved through Pin", name)
		}
		return r.sim.Pin(name)
	}
	output := func(name string, safe gpio.Level) (gpio.PinIO, error) {
		if _, dup := claimed[name]; dup {
			t.Errorf("relay %s claimed twice", name)
		}
		claimed[name] = safe
		p, err := r.sim.Pin(name)
		if err != nil {
			return nil, err
		}
		return p, p.Out(safe)
	}
	if _, err := New(cfg, Options{Clock: r.clk, Pin: pin, Output: output, Thermometer: r.sim.Thermometer}); err != nil {
		t.Fatal(err)
	}
	if len(claimed) != len(outputs) {
		t.Fatalf("claimed %v, want every relay of %v", claimed, outputs)
	}
	for name, l := range claimed {
		if want := ref.level(name); l.String()[:1] != want {
			t.Errorf("%s claimed at %s, want the safe level %s", name, l, want)
		}
	}
}
