package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/edgeagent/edgeagent/internal/homekit"
	"github.com/edgeagent/edgeagent/internal/homekit/hapctl"
	"github.com/edgeagent/edgeagent/internal/localapi"
	"github.com/edgeagent/edgeagent/internal/sync/mqtttest"
)

// cpuTicks is the process's user+system CPU time in clock ticks.
func cpuTicks(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): state is the
	// 3rd field, utime the 14th, stime the 15th.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return u + s
}

// BenchmarkHomes64 runs the agent with 64 devices twice in the same run:
// without and with the Home Assistant bridge on its embedded broker, the
// HomeKit bridge (on loopback, paired by the independent controller, which
// read the whole accessory database) and the metrics endpoint, Home
// Assistant sending 10 commands a second (switches on and off) for 3 s. It
// reports the resident memory of both (MB-rss-off, MB-rss), the CPU the
// agent used while the commands ran (cpu-%, of one core, and cpu-%-off for
// the same 3 s idle without the parts), and the time from Home Assistant's
// birth message to the last of the 80 discovery configs at its client
// (ms/discovery).
func BenchmarkHomes64(b *testing.B) {
	const seconds = 3
	script := hapctl.Install(b)
	var rssOff, rssOn, cpuOff, cpuOn, disc float64
	for range b.N {
		// Without the parts.
		cfg, data := writeConfig64(b)
		cmd, _ := startBench(b, cfg, data)
		t0 := cpuTicks(cmd.Process.Pid)
		time.Sleep(seconds * time.Second)
		cpuOff += float64(cpuTicks(cmd.Process.Pid)-t0) / seconds // ticks/s = % of a core at 100 Hz
		rssOff += float64(vmRSSKB(cmd.Process.Pid)) / 1024
		stopBench(cmd)

		// With them.
		cfg, data = writeConfig64(b)
		port, mport, hkport := mqtttest.FreePort(b), mqtttest.FreePort(b), mqtttest.FreePort(b)
		if port == mport || port == hkport || mport == hkport {
			b.Fatalf("free ports %d, %d, %d: not distinct", port, mport, hkport)
		}
		pw := filepath.Join(filepath.Dir(cfg), "ha.password")
		if err := os.WriteFile(pw, []byte("bench\n"), 0o600); err != nil {
			b.Fatal(err)
		}
		body, _ := os.ReadFile(cfg)
		body = fmt.Appendf(body, "[homeassistant]\nlisten = \"127.0.0.1:%d\"\nusername = \"ha\"\npassword_file = %q\n[metrics]\nlisten = \"127.0.0.1:%d\"\n"+
			"[homekit]\nenabled = true\nlisten = \"127.0.0.1:%d\"\ninterfaces = [\"lo\"]\n", port, pw, mport, hkport)
		if err := os.WriteFile(cfg, body, 0o600); err != nil {
			b.Fatal(err)
		}
		cmd, _ = startBench(b, cfg, data)
		pairHomeKit(b, script, filepath.Join(data, "admin.sock"), hkport)
		var configs atomic.Int64
		c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(fmt.Sprintf("tcp://127.0.0.1:%d", port)).SetClientID("ha-bench").SetUsername("ha").SetPassword("bench").SetConnectRetry(true).SetConnectRetryInterval(50 * time.Millisecond))
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			b.Fatalf("connect: %v", tok.Error())
		}
		// The bridge is up once its first discovery arrived (retained, or
		// live when it announces after this subscription).
		c.Subscribe("homeassistant/+/+/+/config", 0, func(mqtt.Client, mqtt.Message) { configs.Add(1) }).Wait()
		for deadline := time.Now().Add(10 * time.Second); configs.Load() < 80; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("%d discovery configs after 10s, want 80", configs.Load())
			}
		}
		configs.Store(0)
		start := time.Now()
		c.Publish("homeassistant/status", 0, false, "online").Wait()
		for deadline := start.Add(10 * time.Second); configs.Load() < 80; time.Sleep(100 * time.Microsecond) {
			if time.Now().After(deadline) {
				b.Fatalf("%d discovery configs after 10s, want 80", configs.Load())
			}
		}
		disc += float64(time.Since(start).Microseconds()) / 1000
		t0 = cpuTicks(cmd.Process.Pid)
		tick := time.NewTicker(100 * time.Millisecond)
		for i := range seconds * 10 {
			<-tick.C
			c.Publish(fmt.Sprintf("edgeagent/bench/switch-%d/set", i%16), 0, false, []string{"ON", "OFF"}[i/16%2])
		}
		tick.Stop()
		cpuOn += float64(cpuTicks(cmd.Process.Pid)-t0) / seconds
		rssOn += float64(vmRSSKB(cmd.Process.Pid)) / 1024
		c.Disconnect(100)
		stopBench(cmd)
	}
	n := float64(b.N)
	b.ReportMetric(rssOn/n, "MB-rss")
	b.ReportMetric(rssOff/n, "MB-rss-off")
	b.ReportMetric(cpuOn/n, "cpu-%")
	b.ReportMetric(cpuOff/n, "cpu-%-off")
	b.ReportMetric(disc/n, "ms/discovery")
}

// pairHomeKit waits for the agent's HomeKit bridge to serve (it starts
// after "ready"), pairs the independent controller with its setup code and
// reads the accessory database, as the Home app does once after pairing.
func pairHomeKit(b *testing.B, script, socket string, port int) {
	b.Helper()
	c := localapi.NewAdminClient(socket)
	var hk *homekit.Status
	for deadline := time.Now().Add(10 * time.Second); hk == nil || hk.Listen == ""; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("the HomeKit bridge not serving after 10s: %+v", hk)
		}
		st, err := c.Status()
		if err != nil {
			b.Fatal(err)
		}
		hk = st.HomeKit
	}
	resp := hapctl.Run(b, script, hapctl.Request{ID: hk.DeviceID, Host: "127.0.0.1", Port: port, Pin: hk.SetupCode, Accessories: true})
	if resp.Error != "" || len(resp.Pairing) == 0 {
		b.Fatalf("pair-setup: %s", resp.Error)
	}
	// Every device but the 16 buttons (HomeKit has no state for a press),
	// and the bridge itself (accessory 1).
	aids := map[uint64]bool{}
	for _, ch := range resp.Characteristics {
		aids[ch.AID] = true
	}
	if hk.Accessories != 64-16 || len(aids) != hk.Accessories+1 {
		b.Fatalf("the controller read %d accessories, the bridge has %d (+1, itself), want 48", len(aids), hk.Accessories)
	}
}
