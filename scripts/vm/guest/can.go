//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/edgeagent/edgeagent/internal/canbus"
	"github.com/edgeagent/edgeagent/internal/devices"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/store"
)

// The CAN scenario: the arm64 agent on vcan0 (vcan.ko, can-raw.ko of
// Debian's kernel) against canbus.BodySim, the simulated body controller,
// speaking real SocketCAN from this process: status frames at 100 Hz from
// simcar.dbc, lock commands acted on.
const (
	canDBC    = "/etc/edgeagent/simcar.dbc"
	canPeriod = 10 * time.Millisecond // 100 Hz
)

const canConfig = `site = "vm-car"
data_dir = "/tmp/can/data"
log_level = "info"

[vehicle]
id = "car"
drive = "drive"
ignition = "ignition"
trunk = "trunk"
auto_relock = "10m"

[vehicle.can]
interface = "vcan0"
dbc = "%s"
drive_command = "DriveAllowed"
trunk_command = "TrunkRelease"
speed_limit = "SpeedLimit"
ignition = "Ignition"
status_period = "10ms"
status_lost = 3

[[vehicle.door]]
id = "door-fl"
lock_command = "LockCmdFL"
lock_status = "LockedFL"
ajar_signal = "AjarFL"

[[vehicle.door]]
id = "door-fr"
lock_command = "LockCmdFR"
lock_status = "LockedFR"
ajar_signal = "AjarFR"

[[vehicle.door]]
id = "door-rl"
lock_command = "LockCmdRL"
lock_status = "LockedRL"
ajar_signal = "AjarRL"

[[vehicle.door]]
id = "door-rr"
lock_command = "LockCmdRR"
lock_status = "LockedRR"
ajar_signal = "AjarRR"
`

var (
	carLocks = map[string]string{"LockCmdFL": "LockedFL", "LockCmdFR": "LockedFR", "LockCmdRL": "LockedRL", "LockCmdRR": "LockedRR"}
	// The controller sends StatusCounter too (an alive counter, as real
	// body controllers do): the agent ignores it, the reader bench counts
	// lost frames by it.
	carStatus   = []string{"LockedFL", "LockedFR", "LockedRL", "LockedRR", "AjarFL", "AjarFR", "AjarRL", "AjarRR", "Ignition", "StatusCounter"}
	carCommands = []string{"LockCmdFL", "LockCmdFR", "LockCmdRL", "LockCmdRR", "TrunkRelease", "DriveAllowed", "SpeedLimit"}
)

// car is the body controller: status every canPeriod on a schedule of its
// own (a late frame is sent late, never dropped), skipping frames on
// request.
type car struct {
	sim  *canbus.BodySim
	skip atomic.Int64 // frames still to leave out
	sent atomic.Int64 // status frames sent

	mu     sync.Mutex
	last   time.Time
	maxGap time.Duration // between two frames sent, since resetGap
}

// resetGap starts measuring the longest gap between frames sent afresh.
func (c *car) resetGap() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.maxGap
	c.maxGap = 0
	return g
}

func (c *car) run(ctx context.Context) error {
	go c.sim.ReadCommands()
	next := time.Now()
	for n := 0; ; n++ {
		next = next.Add(canPeriod)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(next)):
		}
		if c.skip.Load() > 0 {
			c.skip.Add(-1)
			continue
		}
		c.sim.Set("StatusCounter", float64(n%256))
		if err := c.sim.SendStatus(ctx); err != nil {
			return err
		}
		c.sent.Add(1)
		c.mu.Lock()
		now := time.Now()
		if !c.last.IsZero() {
			c.maxGap = max(c.maxGap, now.Sub(c.last))
		}
		c.last = now
		c.mu.Unlock()
	}
}

// frames waits until n more status frames were sent.
func (c *car) frames(n int64) bool {
	target := c.sent.Load() + n
	return waitFor(10*time.Second, func() bool { return c.sent.Load() >= target })
}

func canScenario(r *report) error {
	err := shAll([]string{"ip", "link", "add", "vcan0", "type", "vcan"}, []string{"ip", "link", "set", "vcan0", "up"})
	if !r.ok("vcan0-up", err, "ip link add vcan0 type vcan (vcan.ko, can-raw.ko)") {
		return nil
	}
	if err := os.MkdirAll("/tmp/can", 0o755); err != nil {
		return err
	}
	dbc, err := os.ReadFile(canDBC)
	if err != nil {
		return err
	}

	// A DBC that lacks a configured signal: the agent refuses to start.
	bad := strings.Replace(string(dbc), "SG_ LockedFL ", "SG_ LockedFrontLeft ", 1)
	err = os.WriteFile("/tmp/can/wrong.dbc", []byte(bad), 0o644)
	if err == nil {
		err = os.WriteFile("/tmp/can/wrong.toml", []byte(fmt.Sprintf(canConfig, "/tmp/can/wrong.dbc")), 0o644)
	}
	var out []byte
	if err == nil {
		out, err = exec.Command(agentBin, "run", "--config", "/tmp/can/wrong.toml").CombinedOutput()
		switch {
		case err == nil:
			err = errors.New("the agent ran with a DBC that lacks LockedFL")
		case !strings.Contains(string(out), "/tmp/can/wrong.dbc") || !strings.Contains(string(out), `"LockedFL"`):
			err = fmt.Errorf("the error does not name the file and the signal: %s", out)
		default:
			err = nil
		}
	}
	r.ok("wrong-dbc-refused", err, "%s", lastLine(string(out)))

	if err := os.WriteFile("/tmp/can/agent.toml", []byte(fmt.Sprintf(canConfig, canDBC)), 0o644); err != nil {
		return err
	}
	conn, err := canbus.OpenRaw("vcan0")
	if err != nil {
		return err
	}
	sim, err := canbus.NewBodySim(conn, canDBC, dbc, carCommands, carStatus)
	if err != nil {
		return err
	}
	sim.Locks = carLocks
	for _, s := range carLocks {
		sim.Set(s, 1) // the car starts locked
	}
	bcm := &car{sim: sim}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if err := bcm.run(ctx); err != nil {
			fmt.Println("vmguest: body controller:", err)
		}
	}()

	a, err := startAgent("/tmp/can/agent.toml", nil)
	if err != nil {
		return err
	}
	defer a.stop()
	if !r.ok("agent-ready", a.waitReady(60*time.Second), "edgeagent run, [vehicle.can] on vcan0, simcar.dbc, status every 10 ms") {
		return nil
	}
	c := localapi.NewAdminClient("/tmp/can/data/admin.sock")
	ev := &eventWatch{c: c}
	state := func(id string) string {
		list, err := c.Devices()
		if err != nil {
			return "error: " + err.Error()
		}
		for _, s := range list {
			if s.ID == id {
				return s.State
			}
		}
		return "missing"
	}
	err = nil
	if !waitFor(10*time.Second, func() bool { return state("car") == "locked" && state("ignition") == "off" }) {
		err = fmt.Errorf("car %s, ignition %s", state("car"), state("ignition"))
	}
	r.ok("status-known", err, "car locked, ignition off from the status frames")

	// Lock commands: admin action → command frame → the controller's
	// status → the agent's state; the latency to the frame on the bus.
	var lat []time.Duration
	err = nil
	for i := 0; i < 20 && err == nil; i++ {
		for _, act := range []string{"unlock", "lock"} {
			_, seen := sim.Commands()
			start := time.Now()
			if _, err = c.Do("door-fl", act, ""); err != nil {
				break
			}
			select {
			case <-seen:
				lat = append(lat, time.Since(start))
			case <-time.After(5 * time.Second):
				err = fmt.Errorf("%s: no command frame on vcan0", act)
			}
			want := map[string]string{"unlock": "unlocked", "lock": "locked"}[act]
			if err == nil && !waitFor(5*time.Second, func() bool { return state("door-fl") == want }) {
				err = fmt.Errorf("%s: door-fl is %s", act, state("door-fl"))
			}
			if err != nil {
				break
			}
		}
	}
	if err == nil {
		_, err = c.Do("car", "unlock", "")
		if err == nil && !waitFor(5*time.Second, func() bool { return state("car") == "unlocked" && sim.Get("LockedRR") == 0 }) {
			err = fmt.Errorf("central unlock: car %s, LockedRR %v", state("car"), sim.Get("LockedRR"))
		}
		if err == nil {
			_, err = c.Do("car", "lock", "")
		}
		if err == nil && !waitFor(5*time.Second, func() bool { return state("car") == "locked" }) {
			err = fmt.Errorf("central lock: car %s", state("car"))
		}
	}
	r.ok("lock-round-trip", err, "door-fl unlock/lock x20, then central unlock/lock: state from the controller's status")
	if len(lat) > 0 {
		slices.Sort(lat)
		bench("admin-action-to-can-frame-p50", ms(lat[len(lat)/2]), "ms")
		bench("admin-action-to-can-frame-p99", ms(lat[len(lat)*99/100]), "ms")
	}

	// Lost frames: two in a row change nothing; three raise bus_silent,
	// cleared by the next frame.
	// A round in which the controller itself sent a frame later than the
	// alarm's bound (the VM stalled: qemu emulates, the host is shared)
	// proves nothing either way: it is run again, at most three times.
	alarmAt := 3*canPeriod + canPeriod/2
	var gap time.Duration
	for round := 1; round <= 3; round++ {
		ev.skip()
		bcm.resetGap()
		bcm.skip.Store(2)
		err = nil
		if !bcm.frames(20) {
			err = errors.New("the controller stopped")
		}
		if e, ok := ev.find("car", "alarm"); ok && err == nil {
			err = fmt.Errorf("alarm after 2 lost frames: %v", e.Data)
		}
		if gap = bcm.resetGap(); gap < alarmAt {
			break
		}
		_, _ = ev.wait("car", "alarm_cleared", 5*time.Second)
	}
	if gap >= alarmAt && err == nil {
		err = errors.New("the controller sent late in 3 rounds (the VM stalled): cannot judge")
	}
	r.ok("lost-2-frames-no-alarm", err, "controller skipped 2 frames (longest gap sent %s, alarm at %s)", gap.Round(time.Millisecond), alarmAt)

	// Three lost frames leave 5 ms between the agent's bound (3.5
	// periods) and the next frame: an agent timer that fires late in the
	// emulated VM lets that frame in first. The exact bound is proven on
	// a fake clock on the host (internal/devices TestVehicleBusStatusAndSilence); here a
	// round without the alarm is run again, at most five times, and the
	// check fails only if no round raised it.
	var rounds int
	for rounds = 1; rounds <= 5; rounds++ {
		ev.skip()
		bcm.skip.Store(3)
		if _, err = ev.wait("car", "alarm", time.Second); err == nil {
			break
		}
	}
	if err == nil {
		_, err = ev.wait("car", "alarm_cleared", 5*time.Second)
	}
	r.ok("lost-3-frames-alarm", err, "controller skipped 3 frames: alarm bus_silent, cleared by the next frame (round %d)", min(rounds, 5))

	// A silent bus: the car's state unknown, drive refused, doors still
	// commanded; the status back clears it.
	sim.Silence(true)
	_, err = ev.wait("car", "alarm", 5*time.Second)
	if err == nil && state("car") != "unknown" {
		err = fmt.Errorf("car %s while the bus is silent", state("car"))
	}
	if err == nil {
		_, derr := c.Do("drive", "authorise", "")
		if derr == nil || !strings.Contains(derr.Error(), devices.ErrVehicleUnknown.Error()) {
			err = fmt.Errorf("drive authorise on a silent bus: %v", derr)
		}
	}
	if err == nil {
		_, seen := sim.Commands()
		if _, err = c.Do("door-fl", "unlock", ""); err == nil {
			select {
			case <-seen:
			case <-time.After(5 * time.Second):
				err = errors.New("no unlock frame while the status is silent")
			}
		}
	}
	r.ok("silent-bus-drive-refused", err, "status stopped: bus_silent, car unknown, drive authorise refused (%s), door unlock still sent", devices.ErrVehicleUnknown)
	sim.Silence(false)
	_, err = ev.wait("car", "alarm_cleared", 5*time.Second)
	if err == nil && !waitFor(5*time.Second, func() bool { return state("door-fl") == "unlocked" }) {
		err = fmt.Errorf("door-fl %s after the status returned", state("door-fl"))
	}
	if err == nil {
		_, err = c.Do("drive", "authorise", "")
	}
	if err == nil {
		_, err = c.Do("drive", "rearm", "")
	}
	if err == nil {
		_, err = c.Do("car", "lock", "")
	}
	if err == nil && !waitFor(5*time.Second, func() bool { return state("car") == "locked" }) {
		err = fmt.Errorf("car %s", state("car"))
	}
	r.ok("silent-bus-recovers", err, "status back: alarm cleared, door-fl unlocked as commanded, drive authorise and rearm, car locked")

	// A flood of frames no DBC message describes, at the rate the guest
	// can write, beside the 100 Hz status: nothing changes, no frame of
	// status is lost to the agent's reader (else bus_silent), the agent
	// answers. The reader bench reads the same bus with canbus.Bus.
	var res floodResult
	for round := 1; round <= 3; round++ {
		before, _ := c.Devices()
		ev.skip()
		bcm.resetGap()
		res, err = flood(bcm, dbc, 2*time.Second)
		if err == nil {
			err = a.alive()
		}
		if err == nil {
			bcm.frames(10)
			if e, ok := ev.find("", ""); ok {
				err = fmt.Errorf("event during the flood: %s %s %v", e.Device, e.Type, e.Data)
			}
		}
		after, aerr := c.Devices()
		if err == nil && aerr == nil && !sameStates(before, after) {
			err = fmt.Errorf("states changed: %v -> %v", before, after)
		}
		err = errors.Join(err, aerr)
		if gap = bcm.resetGap(); gap < alarmAt {
			break
		}
		_, _ = ev.wait("car", "alarm_cleared", 5*time.Second)
	}
	if gap >= alarmAt && err == nil {
		err = errors.New("the controller sent late in 3 rounds (the VM stalled): cannot judge")
	}
	r.ok("garbage-flood-no-change", err, "%d garbage frames in %s (%.0f/s): no event, states unchanged, agent up; longest gap between status frames sent %s, read %s",
		res.garbage, res.elapsed.Round(time.Millisecond), float64(res.garbage)/res.elapsed.Seconds(), gap.Round(time.Millisecond), res.maxGap.Round(time.Millisecond))
	if res.elapsed > 0 {
		bench("can-reader-unfiltered-frames-per-s", float64(res.read)/res.elapsed.Seconds(), "frames/s")
		bench("can-reader-unfiltered-dropped", float64(res.garbage+res.allStatus-res.read)/float64(res.garbage+res.allStatus)*100, "% (of garbage + status)")
	}
	err = nil
	if res.statusLost != 0 || res.status == 0 {
		err = fmt.Errorf("status frames: %d read, %d lost by the alive counter", res.status, res.statusLost)
	}
	r.ok("reader-no-status-lost", err, "canbus.Dial's filtered reader during the flood: %d status frames at 100 Hz, %d lost", res.status, res.statusLost)

	cancel()
	r.ok("agent-stops", a.stop(), "SIGTERM")
	return nil
}

// alive is nil while the agent has not exited.
func (a *agent) alive() error {
	select {
	case <-a.done:
		return fmt.Errorf("agent exited (%v): %s", a.err, lastLine(a.logText()))
	default:
		return nil
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type floodResult struct {
	garbage, read, status, statusLost int
	allStatus                         int // status frames the unfiltered reader read
	maxGap                            time.Duration
	elapsed                           time.Duration
}

// flood has canFlood write garbage on vcan0 for d while canbus readers
// read the bus and check the status frames' alive counter.
func flood(bcm *car, dbc []byte, d time.Duration) (floodResult, error) {
	var res floodResult
	db, err := canbus.Parse(canDBC, dbc, nil, []string{"StatusCounter"})
	if err != nil {
		return res, err
	}
	// The agent's kind of reader (filtered to the status message) checks
	// the alive counter; an unfiltered one measures what a reader of every
	// frame keeps up with.
	reader, err := canbus.Dial("vcan0", db)
	if err != nil {
		return res, err
	}
	rc, err := canbus.OpenRaw("vcan0")
	if err != nil {
		return res, err
	}
	all := canbus.New(rc, db)
	var mu sync.Mutex
	last := -1
	var lastAt time.Time
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- all.Run(ctx, func(map[string]float64) {}) }()
	go func() {
		done <- reader.Run(ctx, func(v map[string]float64) {
			mu.Lock()
			defer mu.Unlock()
			n := int(v["StatusCounter"])
			now := time.Now()
			if last >= 0 {
				res.maxGap = max(res.maxGap, now.Sub(lastAt))
			}
			lastAt = now
			if last >= 0 {
				res.statusLost += (n - last - 1 + 256) % 256
			}
			last = n
			res.status++
		})
	}()
	// The flood comes from a process of its own at the lowest priority:
	// on a car it comes from the bus, and the body controller is an ECU
	// with a CPU of its own; here both share the VM's two.
	start := time.Now()
	out, err := exec.Command("/proc/self/exe", "can-flood", d.String()).Output()
	if err != nil {
		cancel()
		return res, fmt.Errorf("can-flood: %w", err)
	}
	if _, err := fmt.Sscan(string(out), &res.garbage); err != nil {
		cancel()
		return res, fmt.Errorf("can-flood said %q", out)
	}
	res.elapsed = time.Since(start)
	bcm.frames(5) // status after the flood: the reader has caught up to it
	cancel()
	if err := errors.Join(<-done, <-done); err != nil {
		return res, err
	}
	mu.Lock()
	defer mu.Unlock()
	res.read = int(all.Stats().Frames)
	res.allStatus = int(all.Stats().Status)
	return res, nil
}

func sameStates(a, b []devices.State) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].State != b[i].State {
			return false
		}
	}
	return true
}

// eventWatch reads the agent's events after a cursor.
type eventWatch struct {
	c    *localapi.AdminClient
	seen uint64
}

// skip moves the cursor past every event so far.
func (w *eventWatch) skip() {
	for {
		evs, err := w.c.Events(w.seen, 1000)
		if err != nil || len(evs) == 0 {
			return
		}
		w.seen = evs[len(evs)-1].Seq
	}
}

// find returns the first event of dev and typ ("" matches any) since the
// cursor, without moving it.
func (w *eventWatch) find(dev, typ string) (store.Event, bool) {
	evs, err := w.c.Events(w.seen, 1000)
	if err != nil {
		return store.Event{}, false
	}
	for _, e := range evs {
		if (dev == "" || e.Device == dev) && (typ == "" || e.Type == typ) {
			return e, true
		}
	}
	return store.Event{}, false
}

// wait returns the next event of dev and typ, moving the cursor past it.
func (w *eventWatch) wait(dev, typ string, bound time.Duration) (store.Event, error) {
	var found store.Event
	ok := waitFor(bound, func() bool {
		evs, err := w.c.Events(w.seen, 1000)
		if err != nil {
			return false
		}
		for _, e := range evs {
			w.seen = e.Seq
			if e.Device == dev && e.Type == typ {
				found = e
				return true
			}
		}
		return false
	})
	if !ok {
		return found, fmt.Errorf("no %s %s event within %s", dev, typ, bound)
	}
	return found, nil
}

// canFlood writes garbage frames on vcan0 for d at the lowest priority and
// prints how many it wrote. Garbage is what no message of the DBC
// describes: other ids, and the DBC's ids with the wrong length, extended
// or remote (a well-formed status frame from a forger is a different
// attack: classic CAN has no authentication).
func canFlood(d time.Duration) error {
	if err := unix.Setpriority(unix.PRIO_PROCESS, 0, 19); err != nil {
		return err
	}
	w, err := canbus.OpenRaw("vcan0")
	if err != nil {
		return err
	}
	defer w.Close()
	ours := map[uint32]bool{0x200: true, 0x201: true, 0x300: true}
	buf := make([]byte, 16)
	n := 0
	for start := time.Now(); time.Since(start) < d; {
		for i := range buf {
			buf[i] = byte(rand.IntN(256))
		}
		id := uint32(rand.IntN(0x800))
		length := byte(rand.IntN(9))
		switch rand.IntN(4) {
		case 0: // a DBC id with the wrong length
			id = []uint32{0x200, 0x201, 0x300}[rand.IntN(3)]
			length = byte(rand.IntN(8))
		case 1: // extended, the low bits a DBC id
			id = 0x80000000 | uint32(rand.IntN(1<<18))<<11 | 0x300
		case 2: // remote
			id = 0x40000000 | 0x300
		default:
			for ours[id] {
				id = uint32(rand.IntN(0x800))
			}
		}
		buf[0], buf[1], buf[2], buf[3] = byte(id), byte(id>>8), byte(id>>16), byte(id>>24)
		buf[4] = length
		buf[5], buf[6], buf[7] = 0, 0, 0
		if _, err := w.Write(buf); errors.Is(err, unix.ENOBUFS) {
			continue // the interface's queue is full: not sent, not counted
		} else if err != nil {
			return fmt.Errorf("garbage frame %d: %w", n, err)
		}
		n++
	}
	fmt.Println(n)
	return nil
}
