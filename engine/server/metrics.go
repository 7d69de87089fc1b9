package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricPrefix starts the name of every metric the server exports.
const metricPrefix = "docker_scan_server_"

// Metrics are the server's Prometheus metrics, on a registry of their own
// (never the global one, so that tests and several servers in one
// process do not share counters). The methods of a nil *Metrics do
// nothing.
type Metrics struct {
	reg *prometheus.Registry

	scans        *prometheus.CounterVec
	scanDuration prometheus.Histogram
	inFlight     prometheus.Gauge
	requests     *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	requestBytes prometheus.Histogram
	blobLookups  *prometheus.CounterVec
	blobsStored  prometheus.Counter
	dbRefreshes  *prometheus.CounterVec
}

// NewMetrics makes the metrics; holder (may be nil) feeds the DB age.
func NewMetrics(holder *DBHolder) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.scans = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: metricPrefix + "scans_total",
		Help: "Scan requests answered, by result (ok, error, canceled, timeout).",
	}, []string{"result"})
	m.scanDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: metricPrefix + "scan_duration_seconds",
		Help: "Time to answer a scan request (detection and report on the server).",
		// From a cached small image (milliseconds) to a large one with
		// thousands of packages (tens of seconds).
		Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12),
	})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: metricPrefix + "requests_in_flight",
		Help: "API requests being served now.",
	})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: metricPrefix + "requests_total",
		Help: "API requests served, by service path prefix and HTTP status code.",
	}, []string{"service", "code"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: metricPrefix + "requests_rejected_total",
		Help: "API requests refused before they reached a service, by reason (unauthenticated, too_large), or cut short (timeout).",
	}, []string{"reason"})
	m.requestBytes = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: metricPrefix + "request_body_bytes",
		Help: "Size of API request bodies as read by the server.",
		// 1 KiB to 256 MiB.
		Buckets: prometheus.ExponentialBuckets(1024, 4, 10),
	})
	m.blobLookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: metricPrefix + "cache_blob_lookups_total",
		Help: "Layer results looked up in the cache for clients (MissingBlobs), by result: hit (the cache has it) or miss.",
	}, []string{"result"})
	m.blobsStored = prometheus.NewCounter(prometheus.CounterOpts{
		Name: metricPrefix + "cache_blobs_stored_total",
		Help: "Layer results clients stored in the cache (PutBlob).",
	})
	m.dbRefreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: metricPrefix + "db_refreshes_total",
		Help: "Checks for a newer vulnerability DB, by result (ok, error).",
	}, []string{"result"})
	m.reg.MustRegister(m.scans, m.scanDuration, m.inFlight, m.requests, m.rejected, m.requestBytes, m.blobLookups, m.blobsStored, m.dbRefreshes,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if holder != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: metricPrefix + "db_age_seconds",
			Help: "Age of the served vulnerability DB's data (since its UpdatedAt); 0 when none is loaded.",
		}, func() float64 {
			age, ok := holder.Age(time.Now())
			if !ok {
				return 0
			}
			return age.Seconds()
		}))
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: metricPrefix + "db_loaded",
			Help: "1 when a vulnerability DB is loaded, else 0.",
		}, func() float64 {
			if holder.Loaded() {
				return 1
			}
			return 0
		}))
	}
	// The label values that exist are exported from the start, at 0, so
	// that rates work from the first scrape.
	for _, r := range []string{"ok", "error", "canceled", "timeout"} {
		m.scans.WithLabelValues(r)
	}
	for _, r := range []string{"hit", "miss"} {
		m.blobLookups.WithLabelValues(r)
	}
	for _, r := range []string{"unauthenticated", "too_large", "timeout"} {
		m.rejected.WithLabelValues(r)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ScanDone records one scan request that took d and ended with err.
func (m *Metrics) ScanDone(d time.Duration, err error) {
	if m == nil {
		return
	}
	m.scans.WithLabelValues(scanResult(err)).Inc()
	m.scanDuration.Observe(d.Seconds())
}

func scanResult(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default:
		return "error"
	}
}

// BlobsLookedUp records a MissingBlobs request: hit layer results were in
// the cache, missing were not.
func (m *Metrics) BlobsLookedUp(hit, missing int) {
	if m == nil {
		return
	}
	m.blobLookups.WithLabelValues("hit").Add(float64(max(hit, 0)))
	m.blobLookups.WithLabelValues("miss").Add(float64(max(missing, 0)))
}

// BlobsStored records n layer results stored for clients.
func (m *Metrics) BlobsStored(n int) {
	if m == nil {
		return
	}
	m.blobsStored.Add(float64(max(n, 0)))
}

func (m *Metrics) dbRefreshed(err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.dbRefreshes.WithLabelValues(result).Inc()
}

func (m *Metrics) requestRejected(reason string) {
	if m == nil {
		return
	}
	m.rejected.WithLabelValues(reason).Inc()
}

func (m *Metrics) requestStarted() {
	if m == nil {
		return
	}
	m.inFlight.Inc()
}

func (m *Metrics) requestDone(service string, code int) {
	if m == nil {
		return
	}
	m.inFlight.Dec()
	m.requests.WithLabelValues(service, httpCodeLabel(code)).Inc()
}

func (m *Metrics) bodyRead(n int64) {
	if m == nil {
		return
	}
	m.requestBytes.Observe(float64(n))
}

// httpCodeLabel keeps the code label to the three-digit codes of HTTP.
func httpCodeLabel(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code)
}
