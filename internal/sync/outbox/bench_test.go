package outbox

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/edgeagent/edgeagent/internal/benchtest"
	"github.com/edgeagent/edgeagent/internal/store"
)

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
			w0 := benchtest.WriteBytes(b)
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
			b.ReportMetric(float64(benchtest.WriteBytes(b)-w0)/float64(b.N), "write-B/event")
		})
	}
}

// BenchmarkIngestAt1000PerSecond paces 1 000 events/s (10 producers at 100/s
// each, as sensors and devices report) for 3 s and reports the bytes
// written to disk per event, checkpoint included (the store checkpoints
// its log at the end of the run: 3 000 events per checkpoint, where a
// steady 1 000/s would checkpoint at every 1 MiB of log, about 10 000).
// Sub-benchmarks:
//   - telemetry: readings (store.Record with telemetry events only), which
//     wait up to the store's telemetry delay (1 s) for a flush;
//   - durable: state events, each durable before its Update returns (group
//     commit of whatever arrives together);
//   - bbolt-commit: the baseline, one bbolt commit per event (the store
//     before its write-ahead log), the same value bytes in the same run.
//
// Run with -benchtime 1x.
func BenchmarkIngestAt1000PerSecond(b *testing.B) {
	for _, mode := range []string{"telemetry", "durable", "bbolt-commit"} {
		b.Run(mode, func(b *testing.B) {
			var perEvent, rate float64
			for range b.N {
				var st *store.Store
				var raw *bbolt.DB
				if mode == "bbolt-commit" {
					raw = openBolt(b)
				} else {
					st = openStore(b)
				}
				var n atomic.Int64
				w0 := benchtest.WriteBytes(b)
				start := time.Now()
				var wg sync.WaitGroup
				for p := range 10 {
					wg.Go(func() {
						tick := time.NewTicker(10 * time.Millisecond)
						defer tick.Stop()
						for i := 0; i < 300; i++ {
							<-tick.C
							var err error
							switch mode {
							case "telemetry":
								err = st.Record(fmt.Sprintf("sensor%d", p), nil, []store.Event{{Class: store.ClassTelemetry, Type: "temperature",
									Data: map[string]any{"celsius": 20 + float64(i%100)/10}}})
							case "durable":
								err = appendOne(st, p*1000+i)
							default:
								err = raw.Update(func(tx *bbolt.Tx) error {
									bk := tx.Bucket([]byte("events"))
									seq, _ := bk.NextSequence()
									return bk.Put(binary.BigEndian.AppendUint64(nil, seq), benchValue)
								})
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
				if st != nil {
					if err := st.Checkpoint(); err != nil {
						b.Fatal(err)
					}
				}
				perEvent = float64(benchtest.WriteBytes(b)-w0) / float64(n.Load())
				rate = float64(n.Load()) / time.Since(start).Seconds()
			}
			b.ReportMetric(perEvent, "write-B/event")
			b.ReportMetric(rate, "events/s")
		})
	}
}

// benchValue is the size of a stored reading (CBOR event with seq, boot,
// HLC, time, class, device, type and one value).
var benchValue = make([]byte, 96)

func openBolt(b *testing.B) *bbolt.DB {
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("events")); return err }); err != nil {
		b.Fatal(err)
	}
	return db
}
