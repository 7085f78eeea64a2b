package metrics

import (
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// The metric types of the text format.
const (
	counter   = "counter"
	gauge     = "gauge"
	histogram = "histogram"
)

// expo is a scrape being written in the Prometheus text format 0.0.4.
type expo struct{ b []byte }

// family starts a metric family: its HELP and TYPE lines.
func (e *expo) family(name, typ, help string) {
	e.b = append(e.b, "# HELP "...)
	e.b = append(e.b, name...)
	e.b = append(e.b, ' ')
	e.b = append(e.b, escapeHelp.Replace(help)...)
	e.b = append(e.b, "\n# TYPE "...)
	e.b = append(e.b, name...)
	e.b = append(e.b, ' ')
	e.b = append(e.b, typ...)
	e.b = append(e.b, '\n')
}

// sample writes one line: name, labels as name/value pairs, value.
func (e *expo) sample(name string, v float64, labels ...string) {
	e.b = append(e.b, name...)
	if len(labels) > 0 {
		e.b = append(e.b, '{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, labels[i]...)
			e.b = append(e.b, `="`...)
			e.b = append(e.b, escapeLabel.Replace(labels[i+1])...)
			e.b = append(e.b, '"')
		}
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ' ')
	e.b = appendFloat(e.b, v)
	e.b = append(e.b, '\n')
}

// one writes an unlabelled family of the agent's with its one sample.
func (e *expo) one(name, typ, help string, v float64) {
	name = Namespace + "_" + name
	e.family(name, typ, help)
	e.sample(name, v)
}

func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// The text format's escapes: a label value escapes \, " and newline; a
// HELP text \ and newline.
var (
	escapeLabel = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	escapeHelp  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

// vec is a counter or a histogram family with labels, its series kept by
// their label values.
type vec struct {
	name, typ, help string
	labels          []string
	buckets         []float64 // upper bounds, ascending; histograms only

	mu     sync.Mutex
	series map[string]*series // by the label values, each prefixed by its length
}

type series struct {
	values []string
	value  float64  // a counter's value; a histogram's sum
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	count  uint64
}

func newCounter(name, help string, labels ...string) *vec {
	return &vec{name: Namespace + "_" + name, typ: counter, help: help, labels: labels, series: map[string]*series{}}
}

func newHistogram(name, help string, buckets []float64, labels ...string) *vec {
	return &vec{name: Namespace + "_" + name, typ: histogram, help: help, labels: labels, buckets: buckets, series: map[string]*series{}}
}

// get returns the series of these label values, made at zero on first use.
// The caller holds v.mu.
func (v *vec) get(values []string) *series {
	var kb []byte
	for _, v := range values {
		kb = strconv.AppendInt(kb, int64(len(v)), 10)
		kb = append(kb, ':')
		kb = append(kb, v...)
	}
	key := string(kb)
	s := v.series[key]
	if s == nil {
		s = &series{values: slices.Clone(values)}
		if v.typ == histogram {
			s.counts = make([]uint64, len(v.buckets)+1)
		}
		v.series[key] = s
	}
	return s
}

// add adds d to a counter's series.
func (v *vec) add(d float64, values ...string) {
	v.mu.Lock()
	v.get(values).value += d
	v.mu.Unlock()
}

// touch makes a series at zero.
func (v *vec) touch(values ...string) {
	v.mu.Lock()
	v.get(values)
	v.mu.Unlock()
}

// observe adds one sample x to a histogram's series.
func (v *vec) observe(x float64, values ...string) {
	i, _ := slices.BinarySearch(v.buckets, x) // the first bound >= x; len: +Inf
	v.mu.Lock()
	s := v.get(values)
	s.counts[i]++
	s.count++
	s.value += x
	v.mu.Unlock()
}

// byName is the order of v's labels by name, the order a scrape shows
// them in (as Prometheus's client does).
func (v *vec) byName() []int {
	order := make([]int, len(v.labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(v.labels[a], v.labels[b]) })
	return order
}

// write writes the family, its series in a fixed order (by their keys).
func (v *vec) write(e *expo) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e.family(v.name, v.typ, v.help)
	keys := make([]string, 0, len(v.series))
	for k := range v.series {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	labels := make([]string, 0, 2*len(v.labels)+2)
	for _, k := range keys {
		s := v.series[k]
		labels = labels[:0]
		for _, i := range v.byName() {
			labels = append(labels, v.labels[i], s.values[i])
		}
		if v.typ != histogram {
			e.sample(v.name, s.value, labels...)
			continue
		}
		var cum uint64
		for i, le := range v.buckets {
			cum += s.counts[i]
			e.sample(v.name+"_bucket", float64(cum), append(labels, "le", string(appendFloat(nil, le)))...)
		}
		e.sample(v.name+"_bucket", float64(s.count), append(labels, "le", "+Inf")...)
		e.sample(v.name+"_sum", s.value, labels...)
		e.sample(v.name+"_count", float64(s.count), labels...)
	}
}

// writeProcess writes the process's figures under the names Prometheus's
// own client gives them, so that dashboards written for any Go service
// (deploy/grafana graphs RSS and CPU) read them unchanged. A figure that
// cannot be read (no /proc) is left out, not written as 0.
func writeProcess(e *expo) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		e.family("process_cpu_seconds_total", counter, "Total user and system CPU time spent in seconds.")
		e.sample("process_cpu_seconds_total", float64(ru.Utime.Nano()+ru.Stime.Nano())/1e9)
	}
	if statm, err := os.ReadFile("/proc/self/statm"); err == nil {
		// size resident ...: in pages
		if f := strings.Fields(string(statm)); len(f) >= 2 {
			page := float64(os.Getpagesize())
			if vm, err := strconv.ParseFloat(f[0], 64); err == nil {
				e.family("process_virtual_memory_bytes", gauge, "Virtual memory size in bytes.")
				e.sample("process_virtual_memory_bytes", vm*page)
			}
			if rss, err := strconv.ParseFloat(f[1], 64); err == nil {
				e.family("process_resident_memory_bytes", gauge, "Resident memory size in bytes.")
				e.sample("process_resident_memory_bytes", rss*page)
			}
		}
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		e.family("process_open_fds", gauge, "Number of open file descriptors.")
		e.sample("process_open_fds", float64(len(fds)))
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		e.family("process_max_fds", gauge, "Maximum number of open file descriptors.")
		e.sample("process_max_fds", float64(lim.Cur))
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	e.family("go_goroutines", gauge, "Number of goroutines that currently exist.")
	e.sample("go_goroutines", float64(runtime.NumGoroutine()))
	e.family("go_memstats_heap_alloc_bytes", gauge, "Number of heap bytes allocated and currently in use.")
	e.sample("go_memstats_heap_alloc_bytes", float64(ms.HeapAlloc))
	e.family("go_memstats_sys_bytes", gauge, "Number of bytes obtained from system.")
	e.sample("go_memstats_sys_bytes", float64(ms.Sys))
	e.family("go_gc_cycles_total", counter, "Completed GC cycles.")
	e.sample("go_gc_cycles_total", float64(ms.NumGC))
	e.family("go_info", gauge, "Information about the Go environment.")
	e.sample("go_info", 1, "version", runtime.Version())
}
