package outbox

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgeagent/edgeagent/internal/store"
)

// writeBytes is this process's write_bytes from /proc/self/io: bytes it
// caused to be sent to the storage layer (an SD card wears by these).
func writeBytes(b *testing.B) int64 {
	b.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		b.Skip("no /proc/self/io:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Skip("no write_bytes in /proc/self/io")
	return 0
}

// appendOne is what devices and localauth do for one event: an Update
// with the state change's event in it.
func appendOne(st *store.Store, i int) error {
	return st.Update(func(tx *store.Tx) error {
		return st.AppendEvent(tx, &store.Event{Class: store.ClassState, Device: "boiler", Type: "setpoint",
			Data: map[string]any{"setpoint": 20 + float64(i%100)/10}})
	})
}

// BenchmarkIngest appends events durably from 16 concurrent producers,
// with the store's group commit (sub-benchmark group) and, for comparison,
// with one commit per event (single: the producers take turns), in the same
// run.
func BenchmarkIngest(b *testing.B) {
	for _, mode := range []string{"group", "single"} {
		b.Run(mode, func(b *testing.B) {
			st := openStore(b)
			var turn sync.Mutex
			var next atomic.Int64
			var wg sync.WaitGroup
			w0 := writeBytes(b)
			start := time.Now()
			b.ResetTimer()
			for range 16 {
				wg.Go(func() {
					for {
						i := int(next.Add(1))
						if i > b.N {
							return
						}
						if mode == "single" {
							turn.Lock()
						}
						err := appendOne(st, i)
						if mode == "single" {
							turn.Unlock()
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			b.ReportMetric(float64(writeBytes(b)-w0)/float64(b.N), "write-B/event")
		})
	}
}

// BenchmarkIngestAt1000PerSecond paces 1 000 events/s (10 producers at 100/s
// each, as devices and door decisions arrive) for 3 s and reports the bytes
// written to disk per event, with group commit (group) and with one commit
// per event (single). Run with -benchtime 1x.
func BenchmarkIngestAt1000PerSecond(b *testing.B) {
	for _, mode := range []string{"group", "single"} {
		b.Run(mode, func(b *testing.B) {
			var perEvent, rate float64
			for range b.N {
				st := openStore(b)
				var turn sync.Mutex
				var n atomic.Int64
				w0 := writeBytes(b)
				start := time.Now()
				var wg sync.WaitGroup
				for p := range 10 {
					wg.Go(func() {
						tick := time.NewTicker(10 * time.Millisecond)
						defer tick.Stop()
						for i := 0; i < 300; i++ {
							<-tick.C
							if mode == "single" {
								turn.Lock()
							}
							err := appendOne(st, p*1000+i)
							if mode == "single" {
								turn.Unlock()
							}
							if err != nil {
								b.Error(err)
								return
							}
							n.Add(1)
						}
					})
				}
				wg.Wait()
				perEvent = float64(writeBytes(b)-w0) / float64(n.Load())
				rate = float64(n.Load()) / time.Since(start).Seconds()
			}
			b.ReportMetric(perEvent, "write-B/event")
			b.ReportMetric(rate, "events/s")
		})
	}
}
