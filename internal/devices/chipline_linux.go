package devices

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"
	"periph.io/x/host/v3/gpioioctl"
)

// ChipOutput is an output line of a kernel GPIO chip (/dev/gpiochipN),
// requested through the GPIO v2 character device with its first level as
// the line's initial output value, in one ioctl.
//
// Why not periph's gpioioctl line: its Out requests the line as it is and
// then reconfigures it as an output without a value, so the kernel drives
// it low for the ~60 µs until the value ioctl follows. An active-low relay
// whose safe level is high (a fail-safe lock, de-energised when unlocked)
// would pulse to its unsafe side on every start; a MOSFET driver reacts to
// that. Inputs stay periph's.
type ChipOutput struct {
	chip   string // /dev/gpiochipN
	offset uint32
	name   string
	ioctl  func(fd, req uintptr, arg unsafe.Pointer) error

	mu    sync.Mutex
	fd    int // the line request's fd; -1 until the first Out
	level gpio.Level
}

// NewChipOutput is line offset of chip, named name (for messages). Nothing
// is requested until the first Out, which gives the line its level.
func NewChipOutput(chip string, offset int, name string) *ChipOutput {
	return &ChipOutput{chip: chip, offset: uint32(offset), name: name, ioctl: ioctl, fd: -1}
}

// GPIO v2 uapi (include/uapi/linux/gpio.h). Go lays these structs out as the
// kernel does on arm, arm64 and amd64: every u64 sits at a multiple of 8.
const (
	gpioMaxNameSize   = 32
	gpioV2LinesMax    = 64
	gpioV2NumAttrsMax = 10
	gpioV2FlagOutput  = 1 << 3
	gpioV2AttrOutVals = 2
	gpioV2GetLine     = 0x07
	gpioV2GetValues   = 0x0E
	gpioV2SetValues   = 0x0F
	gpioIoctlType     = 0xB4
	iocRead, iocWrite = 2, 1
	iocDirShift       = 30
	iocSizeShift      = 16
	iocTypeShift      = 8
	gpioLineConsumer  = "edgeagent"
	lineRequestSize   = 592 // sizeof(struct gpio_v2_line_request)
	lineValuesSize    = 16  // sizeof(struct gpio_v2_line_values)
)

type lineAttribute struct {
	id      uint32
	padding uint32
	value   uint64 // union: flags, values or debounce period
}

type lineConfigAttribute struct {
	attr lineAttribute
	mask uint64
}

type lineConfig struct {
	flags    uint64
	numAttrs uint32
	padding  [5]uint32
	attrs    [gpioV2NumAttrsMax]lineConfigAttribute
}

type lineRequest struct {
	offsets         [gpioV2LinesMax]uint32
	consumer        [gpioMaxNameSize]byte
	config          lineConfig
	numLines        uint32
	eventBufferSize uint32
	padding         [5]uint32
	fd              int32
}

type lineValues struct {
	bits, mask uint64
}

func iowr(nr, size uintptr) uintptr {
	return (iocRead|iocWrite)<<iocDirShift | size<<iocSizeShift | gpioIoctlType<<iocTypeShift | nr
}

func ioctl(fd, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// Out drives the line. The first call requests it as an output whose
// initial value is l: from that instant the line shows l and nothing else.
func (c *ChipOutput) Out(l gpio.Level) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return c.request(l)
	}
	v := lineValues{mask: 1}
	if l {
		v.bits = 1
	}
	if err := c.ioctl(uintptr(c.fd), iowr(gpioV2SetValues, lineValuesSize), unsafe.Pointer(&v)); err != nil {
		return fmt.Errorf("%s: set value: %w", c, err)
	}
	c.level = l
	return nil
}

func (c *ChipOutput) request(l gpio.Level) error {
	chip, err := os.OpenFile(c.chip, os.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", c, err)
	}
	defer chip.Close() // the line request fd outlives the chip fd
	var r lineRequest
	r.offsets[0] = c.offset
	r.numLines = 1
	copy(r.consumer[:gpioMaxNameSize-1], gpioLineConsumer)
	r.config.flags = gpioV2FlagOutput
	r.config.numAttrs = 1
	r.config.attrs[0].attr.id = gpioV2AttrOutVals
	if l {
		r.config.attrs[0].attr.value = 1
	}
	r.config.attrs[0].mask = 1
	if err := c.ioctl(chip.Fd(), iowr(gpioV2GetLine, lineRequestSize), unsafe.Pointer(&r)); err != nil {
		return fmt.Errorf("%s: request as output at %s: %w", c, l, err)
	}
	c.fd, c.level = int(r.fd), l
	return nil
}

// Read reads the level the kernel reports for the line: the level last
// driven.
func (c *ChipOutput) Read() gpio.Level {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return gpio.Low
	}
	v := lineValues{mask: 1}
	if err := c.ioctl(uintptr(c.fd), iowr(gpioV2GetValues, lineValuesSize), unsafe.Pointer(&v)); err != nil {
		return c.level
	}
	return v.bits&1 != 0
}

// Close releases the line; the kernel keeps its last level.
func (c *ChipOutput) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return nil
	}
	err := syscall.Close(c.fd)
	c.fd = -1
	return err
}

var errOutputOnly = errors.New("devices: an output line; inputs are periph's")

func (c *ChipOutput) String() string   { return fmt.Sprintf("%s (%s line %d)", c.name, c.chip, c.offset) }
func (c *ChipOutput) Name() string     { return c.name }
func (c *ChipOutput) Number() int      { return int(c.offset) }
func (c *ChipOutput) Function() string { return string(c.Func()) }
func (c *ChipOutput) Halt() error      { return nil }

// Func is OUT_HIGH or OUT_LOW once requested.
func (c *ChipOutput) Func() pin.Func {
	c.mu.Lock()
	requested := c.fd >= 0
	c.mu.Unlock()
	if !requested {
		return pin.FuncNone
	}
	if c.Read() {
		return gpio.OUT_HIGH
	}
	return gpio.OUT_LOW
}
func (c *ChipOutput) SupportedFuncs() []pin.Func { return []pin.Func{gpio.OUT} }
func (c *ChipOutput) SetFunc(f pin.Func) error {
	if f == gpio.OUT_HIGH || f == gpio.OUT_LOW {
		return c.Out(f == gpio.OUT_HIGH)
	}
	return errOutputOnly
}
func (c *ChipOutput) In(gpio.Pull, gpio.Edge) error         { return errOutputOnly }
func (c *ChipOutput) WaitForEdge(time.Duration) bool        { return false }
func (c *ChipOutput) Pull() gpio.Pull                       { return gpio.PullNoChange }
func (c *ChipOutput) DefaultPull() gpio.Pull                { return gpio.PullNoChange }
func (c *ChipOutput) PWM(gpio.Duty, physic.Frequency) error { return errOutputOnly }

var _ gpio.PinIO = (*ChipOutput)(nil)

// chipOutput finds the kernel GPIO chip line named name among the chips
// periph's gpioioctl driver found (Host), or returns nil. gpioioctl
// renames a line whose name another driver registered first (bcm283x on a
// Pi 1-4 registers "GPIO17" too) to "gpiochipN-GPIO17": both are looked up.
func chipOutput(name string) gpio.PinIO {
	for _, chip := range gpioioctl.Chips {
		for _, n := range []string{name, chip.Name() + "-" + name} {
			if line := chip.ByName(n); line != nil {
				return NewChipOutput(chip.Path(), line.Number(), name)
			}
		}
	}
	return nil
}
