package canbus

import (
	"context"
	"testing"
	"time"
)

// BenchmarkReaderStatusFrames is what the reader sustains: status frames
// written back to back into the hub's Bus (a pipe of SocketCAN frames), each
// decoded and delivered; frames/s against the 100 Hz a body controller
// sends, and the frames lost (written but not delivered) at the end.
func BenchmarkReaderStatusFrames(b *testing.B) {
	bus, sim := newSimPair(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan struct{}, 1)
	var n int
	done := make(chan error, 1)
	go func() {
		done <- bus.Run(ctx, func(map[string]float64) {
			n++
			if n == b.N {
				got <- struct{}{}
			}
		})
	}()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := sim.SendStatus(ctx); err != nil {
			b.Fatal(err)
		}
	}
	<-got
	el := time.Since(start)
	b.StopTimer()
	fps := float64(b.N) / el.Seconds()
	b.ReportMetric(fps, "frames/s")
	b.ReportMetric(fps/100, "x-100Hz")
	b.ReportMetric(float64(b.N-int(bus.Stats().Status)), "lost")
}
