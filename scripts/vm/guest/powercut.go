//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/edgeagent/edgeagent/internal/localapi"
)

// The power-cut scenario: the agent's data directory on ext4 on a
// dm-log-writes target. Every write that reaches the data disk, and every
// flush, goes to the log disk in order; each acknowledged action is marked
// in the log after its acknowledgement ("ack,SEQ:DEVICE:TYPE,...": a mark
// is one word). The
// host (scripts/vm/powercheck) replays the log to every flush point and
// checks that each marked event is there.
// powercutConfig is scripts/vm/powercut.toml: powercheck starts the agent
// on the host with the same file.
const powercutConfig = "/etc/edgeagent-powercut.toml"

const (
	controlFiles = 20
	motionLine   = 21 // powercut.toml: hall-motion, active high
)

// Phases: the hub's first actions (they create the security directory's
// HLC ceiling record: a one-time cost, reported apart), actions at about
// 1/s for half a minute (the HLC ceiling is reserved a minute ahead, so
// one in-place save of it may fall in the phase), then as fast as the VM
// goes up to 100/s.
var phases = []struct {
	name    string
	actions int
	rate    float64
}{{"first", 2, 1}, {"slow", 30, 1}, {"fast", 150, 100}}

func dmsetup(args ...string) error {
	cmd := exec.Command("/sbin/dmsetup", append([]string{"--noudevsync"}, args...)...)
	// No ld.so.cache in the initramfs: name the library directories.
	cmd.Env = []string{"LD_LIBRARY_PATH=/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("dmsetup %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func mark(label string) error { return dmsetup("message", "logw", "0", "mark", label) }

// blockDevices finds the data disk and the log disk by size (the host
// makes the log the larger).
func blockDevices() (data, log string, dataSectors int64, err error) {
	size := func(dev string) int64 {
		s, _ := readTrim("/sys/block/" + dev + "/size")
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	}
	a, b := size("vda"), size("vdb")
	if a == 0 || b == 0 {
		return "", "", 0, fmt.Errorf("want two virtio disks, vda has %d sectors, vdb %d", a, b)
	}
	if a < b {
		return "/dev/vda", "/dev/vdb", a, nil
	}
	return "/dev/vdb", "/dev/vda", b, nil
}

func powercutScenario(r *report) error {
	data, logDev, sectors, err := blockDevices()
	if err != nil {
		return err
	}
	err = dmsetup("create", "logw", "--table", fmt.Sprintf("0 %d log-writes %s %s", sectors, data, logDev))
	if err == nil {
		err = dmsetup("mknodes", "logw") // no udev to make /dev/mapper/logw
	}
	if err == nil {
		err = syscall.Mount("/dev/mapper/logw", "/mnt", "ext4", 0, "")
	}
	if !r.ok("log-writes-mounted", err, "ext4 on dm-log-writes (%s, log on %s)", data, logDev) {
		return nil
	}
	// The agent drives the sim chip (a motion sensor on GPIO21 makes the
	// telemetry); powercheck starts it with --sim on the host.
	chip, err := simChipNamed("edgeagent", 28)
	if err == nil {
		err = chip.pull(motionLine, "pull-down")
	}
	if err != nil {
		return err
	}
	a, err := startAgent(powercutConfig, nil)
	if err != nil {
		return err
	}
	if !r.ok("agent-ready-on-ext4", a.waitReady(120*time.Second), "edgeagent run (gpio-sim chip), data_dir on the logged ext4") {
		a.kill()
		return nil
	}
	c := localapi.NewAdminClient("/mnt/data/admin.sock")
	last, err := lastSeq(c)
	if err != nil {
		return err
	}
	acked := 0
	for _, ph := range phases {
		// What came before (the agent's start: its files, the store's
		// log preallocated) is written out before the phase's count
		// starts: a phase counts what its own actions cause, the file
		// system's journal commits for them included.
		syscall.Sync()
		if err := mark("phase-" + ph.name); err != nil {
			return err
		}
		phaseStart := time.Now()
		var pending []string
		flushAcks := func() error {
			if len(pending) == 0 {
				return nil
			}
			err := mark("ack," + strings.Join(pending, ","))
			pending = pending[:0]
			return err
		}
		lastMark := time.Now()
		for i := 0; i < ph.actions; i++ {
			// A load generator's pacing, not synchronisation.
			if d := time.Until(phaseStart.Add(time.Duration(float64(i) / ph.rate * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
			dev, action, typ := actionAt(acked)
			if _, err := c.Do(dev, action, ""); err != nil {
				return fmt.Errorf("action %d (%s %s): %w", acked, dev, action, err)
			}
			// The acknowledged action's event: its seq goes in the mark.
			evs, err := c.Events(last, 100)
			if err != nil {
				return err
			}
			seq := uint64(0)
			for _, e := range evs {
				last = e.Seq
				if e.Device == dev && e.Type == typ {
					seq = e.Seq
				}
			}
			if seq == 0 {
				return fmt.Errorf("action %d (%s %s) acknowledged without a %s event: %v", acked, dev, action, typ, evs)
			}
			acked++
			pending = append(pending, fmt.Sprintf("%d:%s:%s", seq, dev, typ))
			// Marks cost a process each: at speed, batch them (a mark
			// placed later only makes the check weaker, never wrong).
			if ph.rate <= 1 || len(pending) >= 12 || time.Since(lastMark) > 200*time.Millisecond {
				if err := flushAcks(); err != nil {
					return err
				}
				lastMark = time.Now()
			}
		}
		if err := flushAcks(); err != nil {
			return err
		}
		rate := float64(ph.actions) / time.Since(phaseStart).Seconds()
		bench("powercut-"+ph.name+"-actions-per-s", rate, "actions/s")
	}
	// Telemetry: the motion sensor's line toggled through the sim's pull
	// at up to 100/s, nothing waiting for the agent's commits, as a real
	// sensor would. The count of events it recorded goes in the log for
	// the host's bytes-per-event figure.
	syscall.Sync()
	if err := mark("phase-telemetry"); err != nil {
		return err
	}
	before, err := lastSeqOf(c)
	if err != nil {
		return err
	}
	start := time.Now()
	const telemetry = 200
	for i := 0; i < telemetry; i++ {
		if d := time.Until(start.Add(time.Duration(i) * 10 * time.Millisecond)); d > 0 {
			time.Sleep(d) // a load generator's pacing
		}
		if err := chip.pull(motionLine, []string{"pull-up", "pull-down"}[i%2]); err != nil {
			return fmt.Errorf("telemetry %d: %w", i, err)
		}
	}
	rate := float64(telemetry) / time.Since(start).Seconds()
	// The last events may still be on their way through the debounce
	// and the journal: wait until the count stops moving (bounded).
	var recorded uint64
	for i := 0; i < 20; i++ {
		after, err := lastSeqOf(c)
		if err != nil {
			return err
		}
		if after-before == recorded && i > 0 {
			break
		}
		recorded = after - before
		time.Sleep(100 * time.Millisecond) // a quiet period is what is measured
	}
	bench("powercut-telemetry-line-changes-per-s", rate, "changes/s")
	bench("powercut-telemetry-events-recorded", float64(recorded), "events")
	if err := mark(fmt.Sprintf("tele,%d", recorded)); err != nil {
		return err
	}
	if err := mark("phase-end"); err != nil {
		return err
	}
	r.ok("actions-acknowledged", nil, "%d actions acknowledged and marked in the log", acked)

	// The control: a writer that "acknowledges" files it never fsyncs. The
	// host's check must find some of them missing at some crash point, or
	// it could not catch the agent doing the same.
	err = os.MkdirAll("/mnt/control", 0o755)
	for i := 0; err == nil && i < controlFiles; i++ {
		err = os.WriteFile(fmt.Sprintf("/mnt/control/%d", i), make([]byte, 4096), 0o644)
		if err == nil {
			err = mark(fmt.Sprintf("ctl,%d", i))
		}
	}
	r.ok("control-written", err, "%d files written without fsync, each marked", controlFiles)
	// No clean stop: the replay decides what a power cut leaves.
	a.kill()
	err = errors.Join(syscall.Unmount("/mnt", 0), dmsetup("remove", "logw"))
	r.ok("log-closed", err, "agent SIGKILLed, ext4 unmounted, log-writes target removed (super block written)")
	return nil
}

// actionAt is the i-th action: unlock, on, lock, off, ... each makes one
// event of its own type on its device.
func actionAt(i int) (dev, action, typ string) {
	switch i % 4 {
	case 0:
		return "front-door", "unlock", "unlocked"
	case 1:
		return "light", "on", "switched_on"
	case 2:
		return "front-door", "lock", "locked"
	default:
		return "light", "off", "switched_off"
	}
}

func lastSeq(c *localapi.AdminClient) (uint64, error) {
	var last uint64
	for {
		evs, err := c.Events(last, 1000)
		if err != nil {
			return 0, err
		}
		if len(evs) == 0 {
			return last, nil
		}
		last = evs[len(evs)-1].Seq
	}
}
