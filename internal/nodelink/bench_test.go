package nodelink_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/clock"
	"github.com/edgeagent/edgeagent/internal/nodelink"
	"github.com/edgeagent/edgeagent/internal/nodelink/nodetest"
)

// BenchmarkFirmwareSize reports the lock image's flash (text + data) and
// static RAM (data + bss; the stack comes on top, at least 4 KB by the
// linker script) from arm-none-eabi-size, for both boards.
func BenchmarkFirmwareSize(b *testing.B) {
	lock := nodetest.Image(b, "lock") // builds the qemu images
	dir := filepath.Dir(filepath.Dir(filepath.Dir(lock)))
	if out, err := exec.Command("make", "-C", dir, "bluepill").CombinedOutput(); err != nil {
		b.Fatalf("make -C firmware bluepill: %v\n%s", err, out)
	}
	for _, board := range []string{"qemu", "bluepill"} {
		b.Run("board="+board, func(b *testing.B) {
			out, err := exec.Command("arm-none-eabi-size", filepath.Join(dir, "build", board, "node-lock.elf")).Output()
			if err != nil {
				b.Fatal(err)
			}
			var text, data, bss int
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if _, err := fmt.Sscan(lines[len(lines)-1], &text, &data, &bss); err != nil {
				b.Fatalf("arm-none-eabi-size output %q: %v", out, err)
			}
			for b.Loop() {
			}
			b.ReportMetric(float64(text+data), "flash-B")
			b.ReportMetric(float64(data+bss), "ram-B")
		})
	}
}

// BenchmarkQEMURoundTrip: a command to the emulated node and its
// acknowledgement back (hub → node → hub) over the pty, one at a time.
// qemu's UART does not pace bytes at the baud rate: at a real 115 200 baud
// the two frames (17 + 9 bytes, 10 bits a byte) add 2.3 ms of wire time.
func BenchmarkQEMURoundTrip(b *testing.B) {
	n := nodetest.Boot(b, "lock")
	ctx, cancel := context.WithCancel(context.Background())
	c := nodelink.New(n.Link, clock.Real{}, nodelink.Options{})
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	go func() {
		for range c.Reports() { // keep the reports flowing
		}
	}()
	n.WaitLine(b, "mode hub", 1, 20*time.Second)
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := c.Do(ctx, nodelink.Msg{Type: nodelink.Lock, On: false}); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkQEMUHeartbeatLoss: the hub dies while the lock is held open;
// the time until the node has locked, measured from the hub's death (its
// last heartbeat went out up to 1 s before that). Three losses per op.
func BenchmarkQEMUHeartbeatLoss(b *testing.B) {
	n := nodetest.Boot(b, "lock")
	var worst, sum time.Duration
	losses := 0
	for b.Loop() {
		for range 3 {
			ctx, cancel := context.WithCancel(context.Background())
			c := nodelink.New(n.Link, clock.Real{}, nodelink.Options{})
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()
			hubs := n.Count("mode hub")
			n.WaitLine(b, "mode hub", hubs+1, 20*time.Second)
			opens := n.Count("lock 1")
			if err := c.Do(ctx, nodelink.Msg{Type: nodelink.Lock, On: true, MS: 60000}); err != nil {
				b.Fatal(err)
			}
			n.WaitLine(b, "lock 1", opens+1, 20*time.Second)
			closes := n.Count("lock 0")
			t0 := time.Now()
			cancel()
			<-done
			n.WaitLine(b, "lock 0", closes+1, 20*time.Second)
			d := time.Since(t0)
			worst = max(worst, d)
			sum += d
			losses++
			// drain what the node sent meanwhile, so the pty never fills
			_ = n.Link.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(n.Link)
			_ = n.Link.SetReadDeadline(time.Time{})
		}
	}
	b.ReportMetric(float64(worst.Milliseconds()), "ms-to-safe-max")
	b.ReportMetric(float64(sum.Milliseconds())/float64(losses), "ms-to-safe-mean")
}
