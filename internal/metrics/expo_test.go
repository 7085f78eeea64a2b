package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/edgeagent/edgeagent/internal/localauth"
)

func parse(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the scrape is not the text format: %v\n%s", err, body)
	}
	return fams
}

func get(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("scrape: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	return rec.Body.String()
}

// The text format written here is read back by Prometheus's own parser:
// a label value with a quote, a backslash and a newline (a transport
// name is the caller's string) comes back unchanged, a histogram's buckets
// are cumulative with +Inf equal to its count, and the process figures a
// dashboard graphs are there.
func TestExposition(t *testing.T) {
	m := New(Sources{})
	odd := "a\"b\\c\nd"
	m.Decided(localauth.Decision{Granted: true, Reason: localauth.ReasonGranted}, odd)
	for _, d := range []time.Duration{500 * time.Microsecond, 3 * time.Millisecond, 3 * time.Millisecond, 10 * time.Second} {
		m.Committed(d, nil)
	}
	fams := parse(t, get(t, m))

	dec := fams["edgeagent_decisions_total"]
	if dec == nil || len(dec.Metric) != 1 {
		t.Fatalf("decisions_total: %v", dec)
	}
	for _, l := range dec.Metric[0].Label {
		if l.GetName() == "transport" && l.GetValue() != odd {
			t.Errorf("transport label read back as %q, want %q", l.GetValue(), odd)
		}
	}
	if dec.GetType() != dto.MetricType_COUNTER || dec.Metric[0].Counter.GetValue() != 1 {
		t.Errorf("decisions_total: %v", dec)
	}

	h := fams["edgeagent_store_commit_seconds"]
	if h == nil || h.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("store_commit_seconds: %v", h)
	}
	hist := h.Metric[0].Histogram
	if hist.GetSampleCount() != 4 || hist.GetSampleSum() < 10.006 || hist.GetSampleSum() > 10.0066 {
		t.Errorf("count %d sum %v, want 4 and 10.0065", hist.GetSampleCount(), hist.GetSampleSum())
	}
	want := map[float64]uint64{.001: 1, .0025: 1, .005: 3, 2.5: 3}
	for _, b := range hist.Bucket {
		if w, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != w {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
		}
	}

	for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "go_goroutines"} {
		f := fams[name]
		if f == nil || len(f.Metric) != 1 {
			t.Errorf("%s not served", name)
			continue
		}
		if v := f.Metric[0].GetGauge().GetValue() + f.Metric[0].GetCounter().GetValue(); v <= 0 {
			t.Errorf("%s = %v", name, v)
		}
	}
}

// Two scrapes stuck on a slow source hold their slots; a third is
// answered 503 at once instead of piling up, and a scrape after they end is
// served again.
func TestScrapesBounded(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	m := New(Sources{StoreSize: func() int64 {
		entered <- struct{}{}
		<-release
		return 1
	}})
	done := make(chan int, 2)
	for range 2 {
		go func() {
			rec := httptest.NewRecorder()
			m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			done <- rec.Code
		}()
	}
	<-entered
	<-entered
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("a third scrape at once: %d, want 503", rec.Code)
	}
	close(release)
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Errorf("a stuck scrape ended with %d", code)
		}
	}
	if v := parse(t, get(t, m))["edgeagent_store_size_bytes"]; v == nil || v.Metric[0].Gauge.GetValue() != 1 {
		t.Errorf("store_size_bytes after the stuck scrapes: %v", v)
	}
}

// Two series whose label values would join to the same string stay apart.
func TestSeriesKeysDoNotCollide(t *testing.T) {
	v := newCounter("x_total", "x", "a", "b")
	v.add(1, "p\xffq", "r")
	v.add(2, "p", "q\xffr")
	if len(v.series) != 2 {
		t.Fatalf("%d series, want 2", len(v.series))
	}
}
