package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
)

// The attack of issue 9 (item 2) on the real binary: two retained 256 MB
// messages on cred/... (before: 309 MB resident at every start with two of
// 100 MB, an OOM loop on a Pi). The agent refuses each from its header at
// every connect and stays up, retrying with its backoff; its peak resident
// memory grows by less than 40 MB; local control works throughout; the
// status names the topic. Once the cloud clears them, a retained snapshot
// is imported; then a 256 MB command is refused the same way and the next
// command runs.
func TestSyncOversizedRetainedMessages(t *testing.T) {
	b := mqtttest.Start(t)
	p := mqtttest.NewProxy(t, b.Addr)
	p.SetDown(true) // the agent's baseline memory first
	s := newSyncSite(t, p.URL, "")
	big := []string{s.topics.Cred + "/big-1", s.topics.Cred + "/big-2"}
	for _, topic := range big {
		mqtttest.PublishHuge(t, b.Addr, "cloud-big", topic, true, mqtttest.MaxPayload(topic))
	}
	a := s.start()
	pid := a.cmd.Process.Pid
	base := procStatusKB(t, pid, "VmRSS:")
	p.SetDown(false)
	waitLong(t, 30*time.Second, "five refusals of the retained messages", func() bool {
		tl := a.cloudStatus().TooLarge
		return tl != nil && tl.Count >= 5
	})
	peak := procStatusKB(t, pid, "VmHWM:")
	// Far from both sides: the agent grows by a few MB here; reading one
	// of these messages whole takes 256 MB.
	if grew := peak - base; grew > 40<<10 {
		t.Fatalf("peak resident memory %d MB, %d MB above the %d MB before connecting", peak>>10, grew>>10, base>>10)
	}
	t.Logf("resident before connecting %d MB, peak after 5 refusals of 256 MB messages %d MB", base>>10, peak>>10)
	select {
	case <-a.done:
		t.Fatalf("the agent exited: %v", a.cmd.ProcessState)
	default:
	}
	if st := a.do("hall-light", "on", ""); st.State != "on" {
		t.Fatalf("local control during the refusals: %+v", st)
	}
	st := a.cloudStatus()
	if !strings.Contains(strings.Join(st.Warnings, "\n"), s.topics.Cred+"/big-") {
		t.Fatalf("no warning naming the topic: %q", st.Warnings)
	}

	cloud := mqtttest.Connect(t, b.URL, "cloud", false)
	for _, topic := range big {
		mqtttest.Publish(t, cloud, topic, true, nil)
	}
	snap := filepath.Join(t.TempDir(), "snap")
	mustCLI(t, "", "revoke", "--authority", s.auth, "--site", syncSiteID, "--serial", "7", "--grant", fmt.Sprintf("%032x", 1), "--out", snap)
	mosquittoPub(t, b, s.topics.Cred, snap, true)
	waitLong(t, 30*time.Second, "the snapshot to be imported", func() bool {
		st, err := a.client.Auth()
		return err == nil && st.SnapshotSerial == 7
	})

	// A 256 MB command: refused from its header, and the next command runs.
	attempts := a.cloudStatus().Attempts
	mqtttest.PublishHuge(t, b.Addr, "cloud-big", s.topics.Cmd, false, mqtttest.MaxPayload(s.topics.Cmd))
	waitLong(t, 30*time.Second, "the oversized command's refusal and a new connection", func() bool {
		st := a.cloudStatus()
		return st.TooLarge != nil && st.TooLarge.Topic == s.topics.Cmd && st.Connected && st.Attempts > attempts
	})
	cmd := filepath.Join(t.TempDir(), "cmd")
	mustCLI(t, "", "command", "sign", "--authority", s.auth, "--site", syncSiteID, "--device", "hall-light", "--action", "off", "--out", cmd)
	mosquittoPub(t, b, s.topics.Cmd, cmd, false)
	waitLong(t, 10*time.Second, "the command after the oversized one", func() bool { return a.device("hall-light").State == "off" })
	if peak := procStatusKB(t, pid, "VmHWM:"); peak-base > 40<<10 {
		t.Fatalf("peak resident memory %d MB after the oversized command, %d MB before connecting", peak>>10, base>>10)
	}
}

// procStatusKB reads one kB field of /proc/PID/status.
func procStatusKB(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			v, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("%s %q: %v", field, line, err)
			}
			return v
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
