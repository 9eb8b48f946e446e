package main

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// routes are the path label values; anything else is counted as "other"
// so that arbitrary request paths cannot blow up label cardinality.
// Kept sorted so that exposition order is deterministic.
var routes = []string{"/", "/healthz", "/metrics", "/readyz", "/version", "other"}

// processStart approximates the process start time.
var processStart = time.Now()

// durationBuckets are the upper bounds (seconds) of the latency histogram.
var durationBuckets = []float64{0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}

func routeLabel(path string) string {
	for _, r := range routes[:len(routes)-1] {
		if path == r {
			return r
		}
	}
	return "other"
}

type counterKey struct {
	path string
	code int
}

type histogram struct {
	counts []uint64 // per bucket, non-cumulative; last entry is +Inf
	sum    float64
	count  uint64
}

// metrics is a minimal, thread-safe Prometheus-style registry.
type metrics struct {
	mu        sync.Mutex
	requests  map[counterKey]uint64
	durations map[string]*histogram
	startTime time.Time
}

func newMetrics() *metrics {
	m := &metrics{
		requests:  make(map[counterKey]uint64),
		durations: make(map[string]*histogram),
		startTime: processStart,
	}
	for _, r := range routes {
		m.durations[r] = &histogram{counts: make([]uint64, len(durationBuckets)+1)}
	}
	return m
}

// observe records one finished request. path must be a routeLabel value.
func (m *metrics) observe(path string, code int, d time.Duration) {
	secs := d.Seconds()
	i := 0
	for i < len(durationBuckets) && secs > durationBuckets[i] {
		i++
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[counterKey{path, code}]++
	h := m.durations[path]
	h.counts[i]++
	h.sum += secs
	h.count++
}

// writeTo writes all metrics in the Prometheus text format 0.0.4.
func (m *metrics) writeTo(w io.Writer) error {
	var b strings.Builder

	m.mu.Lock()
	b.WriteString("# HELP http_requests_total Total HTTP requests by route and status code.\n")
	b.WriteString("# TYPE http_requests_total counter\n")
	keys := make([]counterKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b counterKey) int {
		return cmp.Or(cmp.Compare(a.path, b.path), cmp.Compare(a.code, b.code))
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "http_requests_total{path=\"%s\",code=\"%d\"} %d\n", escapeLabel(k.path), k.code, m.requests[k])
	}

	b.WriteString("# HELP http_request_duration_seconds HTTP request latency by route.\n")
	b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	for _, r := range routes {
		h, p := m.durations[r], escapeLabel(r)
		var cum uint64
		for i, le := range durationBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "http_request_duration_seconds_bucket{path=\"%s\",le=\"%s\"} %d\n", p, formatFloat(le), cum)
		}
		fmt.Fprintf(&b, "http_request_duration_seconds_bucket{path=\"%s\",le=\"+Inf\"} %d\n", p, h.count)
		fmt.Fprintf(&b, "http_request_duration_seconds_sum{path=\"%s\"} %s\n", p, formatFloat(h.sum))
		fmt.Fprintf(&b, "http_request_duration_seconds_count{path=\"%s\"} %d\n", p, h.count)
	}
	start := m.startTime
	m.mu.Unlock()

	b.WriteString("# HELP hello_build_info Build information; the value is always 1.\n")
	b.WriteString("# TYPE hello_build_info gauge\n")
	fmt.Fprintf(&b, "hello_build_info{version=\"%s\",commit=\"%s\",go_version=\"%s\"} 1\n",
		escapeLabel(version), escapeLabel(commit), escapeLabel(runtime.Version()))

	b.WriteString("# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n")
	b.WriteString("# TYPE process_start_time_seconds gauge\n")
	fmt.Fprintf(&b, "process_start_time_seconds %s\n", formatFloat(float64(start.UnixMilli())/1000))

	_, err := io.WriteString(w, b.String())
	return err
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// escapeLabel escapes a label value as the text format requires
// (backslash, double quote and newline).
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
