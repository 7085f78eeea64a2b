//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/host/v3"
	"periph.io/x/host/v3/gpioioctl"

	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/store"
)

// simChip is a gpio-sim chip made through configfs: lines GPIO0..GPIO(n-1),
// driven from the "outside" through sysfs sim_gpioN/{value,pull}.
type simChip struct {
	sysfs string // /sys/devices/platform/gpio-sim.N/gpiochipM
	base  int    // global GPIO number of line 0: the trace's numbering
}

func newSimChip(name string, lines int) (*simChip, error) {
	dir := filepath.Join("/sys/kernel/config/gpio-sim", name)
	if err := os.MkdirAll(filepath.Join(dir, "bank0"), 0o755); err != nil {
		return nil, fmt.Errorf("gpio-sim configfs (is the module loaded?): %w", err)
	}
	if err := writeFile(filepath.Join(dir, "bank0/num_lines"), strconv.Itoa(lines)); err != nil {
		return nil, err
	}
	for i := 0; i < lines; i++ {
		l := filepath.Join(dir, "bank0", fmt.Sprintf("line%d", i))
		if err := os.Mkdir(l, 0o755); err != nil {
			return nil, err
		}
		if err := writeFile(filepath.Join(l, "name"), fmt.Sprintf("GPIO%d", i)); err != nil {
			return nil, err
		}
	}
	if err := writeFile(filepath.Join(dir, "live"), "1"); err != nil {
		return nil, err
	}
	return openSimChip(name)
}

// simChipNamed is the chip made by an earlier scenario, or a new one.
func simChipNamed(name string, lines int) (*simChip, error) {
	if _, err := os.Stat(filepath.Join("/sys/kernel/config/gpio-sim", name)); err == nil {
		return openSimChip(name)
	}
	return newSimChip(name, lines)
}

func openSimChip(name string) (*simChip, error) {
	dir := filepath.Join("/sys/kernel/config/gpio-sim", name)
	chip, err := readTrim(filepath.Join(dir, "bank0/chip_name"))
	if err != nil {
		return nil, err
	}
	dev, err := readTrim(filepath.Join(dir, "dev_name"))
	if err != nil {
		return nil, err
	}
	// debugfs lists every chip as "gpiochipN: GPIOs BASE-END, ...".
	dbg, err := os.ReadFile("/sys/kernel/debug/gpio")
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`(?mi)^` + regexp.QuoteMeta(chip) + `: GPIOs (\d+)-`).FindSubmatch(dbg)
	if m == nil {
		return nil, fmt.Errorf("%s not in /sys/kernel/debug/gpio:\n%s", chip, dbg)
	}
	base, _ := strconv.Atoi(string(m[1]))
	return &simChip{sysfs: filepath.Join("/sys/devices/platform", dev, chip), base: base}, nil
}

// value is the level the line shows: what a relay on it would see.
func (s *simChip) value(line int) (int, error) {
	v, err := readTrim(filepath.Join(s.sysfs, fmt.Sprintf("sim_gpio%d/value", line)))
	if err != nil {
		return -1, err
	}
	return strconv.Atoi(v)
}

// pull drives an input from outside, as a switch or resistor would.
func (s *simChip) pull(line int, p string) error {
	return writeFile(filepath.Join(s.sysfs, fmt.Sprintf("sim_gpio%d/pull", line)), p)
}

func (s *simChip) waitValue(line, want int, bound time.Duration) error {
	got := -1
	if waitFor(bound, func() bool { got, _ = s.value(line); return got == want }) {
		return nil
	}
	return fmt.Errorf("GPIO%d shows %d, want %d (waited %s)", line, got, want, bound)
}

func writeFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return fmt.Errorf("write %q to %s: %w", s, path, err)
	}
	return f.Close()
}

func readTrim(path string) (string, error) {
	b, err := os.ReadFile(path)
	return strings.TrimSpace(string(b)), err
}

// The kernel's gpio trace events (tracefs events/gpio): every value a
// consumer sets on a line, including the initial value of a request.
const tracefs = "/sys/kernel/tracing"

func traceStart() error {
	if err := writeFile(tracefs+"/tracing_on", "0"); err != nil {
		return err
	}
	f, err := os.OpenFile(tracefs+"/trace", os.O_WRONLY|os.O_TRUNC, 0) // clears the buffer
	if err != nil {
		return err
	}
	f.Close()
	for _, ev := range []string{"gpio_value", "gpio_direction"} {
		if err := writeFile(tracefs+"/events/gpio/"+ev+"/enable", "1"); err != nil {
			return err
		}
	}
	return writeFile(tracefs+"/tracing_on", "1")
}

func traceMark(s string) error { return writeFile(tracefs+"/trace_marker", s) }

// lineTrace is what the trace recorded for one GPIO between two markers
// (to "" = the end): the values set ("set 0", "set 1") and directions, in
// order.
func lineTrace(gpioNum int, from, to string) ([]string, error) {
	b, err := os.ReadFile(tracefs + "/trace")
	if err != nil {
		return nil, err
	}
	return parseLineTrace(string(b), gpioNum, from, to)
}

// parseLineTrace reads the trace's text: marker lines
// ("tracing_mark_write: NAME") and the gpio events' TP_printk formats
// ("gpio_value: GPIO set|get VALUE", "gpio_direction: GPIO in|out (ERR)").
func parseLineTrace(trace string, gpioNum int, from, to string) ([]string, error) {
	var out []string
	in := false
	num := strconv.Itoa(gpioNum)
	for _, line := range strings.Split(trace, "\n") {
		if i := strings.Index(line, "tracing_mark_write: "); i >= 0 {
			mark := strings.TrimSpace(line[i+len("tracing_mark_write: "):])
			switch {
			case mark == from:
				in = true
			case in && to != "" && mark == to:
				return out, nil
			}
			continue
		}
		if !in {
			continue
		}
		for _, ev := range []string{"gpio_value: ", "gpio_direction: "} {
			i := strings.Index(line, ev)
			if i < 0 {
				continue
			}
			f := strings.Fields(line[i+len(ev):])
			if len(f) >= 3 && f[0] == num && (ev == "gpio_direction: " || f[1] == "set") {
				out = append(out, strings.TrimSuffix(ev, ": ")+" "+strings.Join(f[1:], " "))
			}
		}
	}
	if !in {
		return nil, fmt.Errorf("marker %q not in the trace", from)
	}
	if to != "" {
		return out, fmt.Errorf("marker %q not in the trace", to)
	}
	return out, nil
}

func contains(evs []string, s string) bool {
	for _, e := range evs {
		if e == s {
			return true
		}
	}
	return false
}

// Lines of the scenario's config (docs/testing.md describes the wiring).
const (
	lockRelay  = 17 // active low, fail secure: safe (locked) = high
	doorLine   = 27 // contact, active high = open
	exitButton = 22 // active low = pressed
	boilerLine = 6  // active high: safe (off) = low
)

const gpioConfig = `site = "vm"
data_dir = "/tmp/gpio/data"
onewire_root = "/tmp/gpio/w1"
log_level = "info"

[lan]
listen = "127.0.0.1:8443"

[[lock]]
id = "front-door"
name = "Front door"
relay = "GPIO17"
active = "low"
fail = "secure"
relock_after = "8s"
contact = "GPIO27"
contact_active = "high"
exit_button = "GPIO22"
exit_button_active = "low"
left_open_after = "60s"
debounce = "20ms"

[[boiler]]
id = "boiler"
name = "Boiler"
relay = "GPIO6"
sensor = "28-00000a1b2c3d"
setpoint = 20.0
hysteresis = 1.0
frost = 5.0
min_cycle = "1s"
poll = "200ms"
stale_after = "30s"
max_run = "4h"
`

func setTemperature(c float64) error {
	dir := "/tmp/gpio/w1/28-00000a1b2c3d"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	body := fmt.Sprintf("72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=%d\n", int(c*1000))
	tmp := filepath.Join(dir, ".w1_slave")
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "w1_slave"))
}

func gpioScenario(r *report) error {
	chip, err := simChipNamed("edgeagent", 28)
	if !r.ok("sim-chip", err, "gpio-sim chip with lines GPIO0..GPIO27") {
		return nil
	}
	relayGPIO := chip.base + lockRelay
	// Outside the hub: a pull-up holds the active-low lock relay off while
	// nothing drives it, the door is shut and the button released.
	for _, p := range []struct {
		line int
		pull string
	}{{lockRelay, "pull-up"}, {doorLine, "pull-down"}, {exitButton, "pull-up"}, {boilerLine, "pull-down"}} {
		if err := chip.pull(p.line, p.pull); err != nil {
			return err
		}
	}
	if err := os.MkdirAll("/tmp/gpio", 0o755); err != nil {
		return err
	}
	if err := os.WriteFile("/tmp/gpio/agent.toml", []byte(gpioConfig), 0o644); err != nil {
		return err
	}
	if err := setTemperature(25); err != nil {
		return err
	}
	if err := traceStart(); err != nil {
		return fmt.Errorf("gpio trace: %w", err)
	}

	// The control: periph's own gpioioctl Out, on the same line, in the
	// same trace. It shows the unsafe level before the safe one; if it did
	// not, the next check could not fail and would prove nothing.
	if err := traceMark("periph-start"); err != nil {
		return err
	}
	out, err := exec.Command("/proc/self/exe", "periph-out", "GPIO17").CombinedOutput()
	if err != nil {
		return fmt.Errorf("periph-out: %v: %s", err, out)
	}
	if err := traceMark("periph-end"); err != nil {
		return err
	}
	evs, err := lineTrace(relayGPIO, "periph-start", "periph-end")
	if err == nil && !contains(evs, "gpio_value set 0") {
		err = fmt.Errorf("periph's Out(High) did not show the line low in the trace (%v): the trace cannot catch a glitch", evs)
	}
	r.ok("control-periph-out-glitch", err, "periph gpioioctl Out(High) on GPIO17, trace: %s", strings.Join(evs, "; "))

	// The agent from start to ready: the relay line never shows low.
	if err := traceMark("agent-start"); err != nil {
		return err
	}
	started := time.Now()
	var readyAfter time.Duration
	a, err := startAgent("/tmp/gpio/agent.toml", func() {
		readyAfter = time.Since(started)
		_ = traceMark("agent-ready")
	})
	if err != nil {
		return err
	}
	defer a.stop()
	if !r.ok("agent-ready", a.waitReady(60*time.Second), "edgeagent run (periph host drivers, no --sim)") {
		return nil
	}
	bench("agent-start-to-ready", float64(readyAfter.Milliseconds()), "ms")
	if up, err := readTrim("/proc/uptime"); err == nil {
		s, _ := strconv.ParseFloat(strings.Fields(up)[0], 64)
		bench("kernel-boot-to-agent-ready", s*1000, "ms")
	}
	evs, err = lineTrace(relayGPIO, "agent-start", "agent-ready")
	if err == nil && contains(evs, "gpio_value set 0") {
		err = fmt.Errorf("the lock relay showed its unsafe level before ready: %v", evs)
	}
	if err == nil && !contains(evs, "gpio_value set 1") {
		err = fmt.Errorf("the trace shows no request of the lock relay: %v", evs)
	}
	r.ok("no-glitch-start-to-ready", err, "GPIO17 (active low, safe high) trace: %s", strings.Join(evs, "; "))

	err = errors.Join(chip.waitValue(lockRelay, 1, 0), chip.waitValue(boilerLine, 0, 0))
	r.ok("outputs-safe-at-ready", err, "lock relay GPIO17=1 (locked), boiler relay GPIO6=0 (off)")

	c := localapi.NewAdminClient("/tmp/gpio/data/admin.sock")
	var seen uint64
	waitEvent := func(dev, typ string, bound time.Duration) (store.Event, error) {
		var found store.Event
		var lastErr error
		ok := waitFor(bound, func() bool {
			evs, err := c.Events(seen, 1000)
			if err != nil {
				lastErr = err
				return false
			}
			for _, e := range evs {
				seen = e.Seq
				if e.Device == dev && e.Type == typ {
					found = e
					return true
				}
			}
			return false
		})
		if !ok {
			return found, fmt.Errorf("no %s %s event within %s (%v)", dev, typ, bound, lastErr)
		}
		return found, nil
	}

	// gpio-sim takes a consumer's bias as the line's pull: the agent asks
	// for a pull-up on the door contact (a cut wire reads open), which
	// opened the simulated door. Shut it again from outside.
	err = chip.pull(doorLine, "pull-down")
	if err == nil {
		_, err = waitEvent("front-door", "door_closed", 10*time.Second)
	}
	r.ok("door-contact-closed", err, "sim pull GPIO27 low after start: door_closed")

	// Unlock pulse and relock.
	_ = traceMark("unlock")
	_, err = c.Do("front-door", "unlock", "")
	if err == nil {
		_, err = waitEvent("front-door", "unlocked", 10*time.Second)
	}
	if err == nil {
		_, err = waitEvent("front-door", "locked", 30*time.Second)
	}
	if err == nil {
		err = chip.waitValue(lockRelay, 1, 5*time.Second)
	}
	evs, _ = lineTrace(relayGPIO, "unlock", "")
	if err == nil && !(len(evs) >= 2 && contains(evs, "gpio_value set 0") && evs[len(evs)-1] == "gpio_value set 1") {
		err = fmt.Errorf("trace of the pulse: %v", evs)
	}
	r.ok("unlock-pulse-relock", err, "admin unlock, trace: %s", strings.Join(evs, "; "))

	// Exit button, through the sim's pull: pressed = low.
	_ = traceMark("exit")
	err = chip.pull(exitButton, "pull-down")
	var ev store.Event
	if err == nil {
		ev, err = waitEvent("front-door", "unlocked", 10*time.Second)
	}
	if err == nil && fmt.Sprint(ev.Data["by"]) != "exit_button" {
		err = fmt.Errorf("unlocked by %v, want exit_button", ev.Data["by"])
	}
	if err == nil {
		err = chip.waitValue(lockRelay, 0, 5*time.Second)
	}
	err = errors.Join(err, chip.pull(exitButton, "pull-up"))
	r.ok("exit-button-unlocks", err, "sim pull GPIO22 low: event unlocked by=%v, relay GPIO17=0", ev.Data["by"])

	// Door opened during the pulse, then closed: relocks at once.
	err = chip.pull(doorLine, "pull-up")
	if err == nil {
		_, err = waitEvent("front-door", "door_opened", 10*time.Second)
	}
	if err == nil {
		err = chip.pull(doorLine, "pull-down")
	}
	if err == nil {
		_, err = waitEvent("front-door", "door_closed", 10*time.Second)
	}
	if err == nil {
		// Within the pulse (relock_after 8 s): the relock is the door's.
		ev, err = waitEvent("front-door", "locked", 10*time.Second)
	}
	if err == nil && fmt.Sprint(ev.Data["reason"]) != "door_closed" {
		err = fmt.Errorf("locked %v, want reason door_closed", ev.Data)
	}
	if err == nil {
		err = chip.waitValue(lockRelay, 1, 5*time.Second)
	}
	r.ok("door-contact-relocks", err, "sim pull GPIO27 high then low: door_opened, door_closed, locked %v, GPIO17=1", ev.Data)

	// Boiler relay follows its thermostat.
	err = setTemperature(3)
	if err == nil {
		_, err = waitEvent("boiler", "boiler_on", 20*time.Second)
	}
	if err == nil {
		err = chip.waitValue(boilerLine, 1, 5*time.Second)
	}
	if err == nil {
		err = setTemperature(25)
	}
	if err == nil {
		_, err = waitEvent("boiler", "boiler_off", 20*time.Second)
	}
	if err == nil {
		err = chip.waitValue(boilerLine, 0, 5*time.Second)
	}
	r.ok("boiler-follows-thermostat", err, "w1_slave 3 °C: GPIO6=1; 25 °C: GPIO6=0")

	if err := a.stop(); err != nil {
		r.ok("agent-stops", err, "")
	}

	// A line another process holds: the agent refuses to start, naming it.
	holder := exec.Command("/proc/self/exe", "hold", "GPIO17")
	hin, _ := holder.StdinPipe()
	hout, _ := holder.StdoutPipe()
	holder.Stderr = os.Stderr
	if err := holder.Start(); err != nil {
		return err
	}
	held, _ := bufio.NewReader(hout).ReadString('\n')
	b, err := startAgent("/tmp/gpio/agent.toml", nil)
	if err != nil {
		return err
	}
	exitErr, exited := b.exited(60 * time.Second)
	if !exited {
		b.kill()
	}
	hin.Close()
	_ = holder.Wait()
	log := b.logText()
	err = nil
	switch {
	case strings.TrimSpace(held) != "held":
		err = fmt.Errorf("the holder did not hold GPIO17: %q", held)
	case !exited:
		err = errors.New("the agent started although GPIO17 was held by another process")
	case exitErr == nil:
		err = errors.New("the agent exited 0")
	case !strings.Contains(log, "GPIO17") || !strings.Contains(log, "busy"):
		err = fmt.Errorf("the error does not name the line: %s", log)
	}
	r.ok("busy-line-named", err, "%s", lastLine(log))
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// periphOut is the control: periph's gpioioctl Out(High) on the line.
func periphOut(name string) error {
	if _, err := host.Init(); err != nil {
		return err
	}
	for _, chip := range gpioioctl.Chips {
		if line := chip.ByName(name); line != nil {
			if err := line.Out(gpio.High); err != nil {
				return err
			}
			line.Close()
			return nil
		}
	}
	return fmt.Errorf("no line %s", name)
}

// hold requests the line as the agent would and keeps it until stdin
// closes.
func hold(name string) error {
	opts, err := devices.Host()
	if err != nil {
		return err
	}
	p, err := opts.Output(name, gpio.High)
	if err != nil {
		return err
	}
	fmt.Println("held")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return p.Halt()
}
