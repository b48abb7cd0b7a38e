// Package metrics holds the Prometheus figures an operator watches: jobs by outcome and failure code,
// job and step durations, the ffmpeg realtime factor, uploads, S3 errors, webhook deliveries and the
// queue's depth. Every figure lives on the Metrics' own registry (never the global one), served on a
// listener of its own (QUINTE_METRICS_ADDR), off the public port. A nil *Metrics counts nothing: the
// packages that report to it need not know whether metrics are on.
//
// It owns the names, labels and buckets of the figures; it must not decide what a job's outcome is
// (the worker tells it) nor read S3.
package metrics

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one process's figures. In `quinte run` the API and the worker share one.
type Metrics struct {
	reg *prometheus.Registry

	jobs        *prometheus.CounterVec
	jobSeconds  *prometheus.HistogramVec
	stepSeconds *prometheus.HistogramVec
	realtime    *prometheus.HistogramVec
	uploadBytes *prometheus.CounterVec
	uploads     *prometheus.CounterVec
	s3Errors    *prometheus.CounterVec
	webhooks    *prometheus.CounterVec
	queue       *queueFigures
}

// Buckets. Jobs run from a second (a photo) to an hour (a long video on two cores); steps from a few
// milliseconds (plan) to most of a job (encode). The realtime factor is media seconds per wall second
// of the main pass: under 1 is slower than real time.
var (
	jobBuckets      = []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600}
	stepBuckets     = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800}
	realtimeBuckets = []float64{0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 50}
)

// New returns the figures of one process, registered on a registry of their own with the Go runtime's
// and the process's own figures.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quinte_jobs_total",
			Help: "Jobs that ended, by message kind and outcome (ready, failed, retry, stopped) and, for failures, the reason's code.",
		}, []string{"kind", "outcome", "code"}),
		jobSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quinte_job_duration_seconds", Help: "Wall time of a job, by message kind and outcome.", Buckets: jobBuckets,
		}, []string{"kind", "outcome"}),
		stepSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quinte_step_duration_seconds", Help: "Wall time of a pipeline step (probe, analyze, subjects, encode, finish, verify, publish…) that completed, by message kind.", Buckets: stepBuckets,
		}, []string{"kind", "step"}),
		realtime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quinte_ffmpeg_realtime_factor", Help: "Media seconds per wall second of the main ffmpeg pass (encode), by message kind: under 1 is slower than real time.", Buckets: realtimeBuckets,
		}, []string{"kind"}),
		uploadBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quinte_upload_bytes_total", Help: "Request body bytes received by the upload routes, by protocol (multipart, tus).",
		}, []string{"protocol"}),
		uploads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quinte_upload_requests_total", Help: "Requests to the upload routes, by protocol (multipart, tus), method and the status answered.",
		}, []string{"protocol", "method", "status"}),
		s3Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quinte_s3_errors_total", Help: "S3 operations that failed after the client's retries, by operation (GetObject, PutObject…); a missing key is an answer, not an error.",
		}, []string{"operation"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quinte_webhook_deliveries_total", Help: "Webhook delivery attempts, by outcome.",
		}, []string{"outcome"}),
		queue: newQueueFigures(),
	}
	m.reg.MustRegister(m.jobs, m.jobSeconds, m.stepSeconds, m.realtime, m.uploadBytes, m.uploads, m.s3Errors, m.webhooks,
		m.queue, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the figures are registered, for a test or another handler to gather.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the figures in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

// Serve listens on addr and serves the figures at /metrics until the returned close is called. It is
// a listener of its own so that the figures are never on the API's public port.
func (m *Metrics) Serve(addr string, errorLog func(error)) (url string, close func() error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && errorLog != nil {
			errorLog(err)
		}
	}()
	return "http://" + ln.Addr().String() + "/metrics", srv.Close, nil
}

// JobDone counts a job that ended: kind is the message's ("unknown" when the task did not say),
// outcome one of ready, failed (for good), retry (asynq tries again), stopped (a shutdown or a
// withdrawal); code is the failure's reason ("" unless failed).
func (m *Metrics) JobDone(kind, outcome, code string, took time.Duration) {
	if m == nil {
		return
	}
	if kind == "" {
		kind = "unknown"
	}
	m.jobs.WithLabelValues(kind, outcome, code).Inc()
	m.jobSeconds.WithLabelValues(kind, outcome).Observe(took.Seconds())
}

// StepDone records how long one completed step of a job took.
func (m *Metrics) StepDone(kind, step string, took time.Duration) {
	if m == nil {
		return
	}
	m.stepSeconds.WithLabelValues(kind, step).Observe(took.Seconds())
}

// Encoded records the realtime factor of a job's main pass: media seconds over the pass's wall time.
func (m *Metrics) Encoded(kind string, mediaSeconds float64, took time.Duration) {
	if m == nil || mediaSeconds <= 0 || took <= 0 {
		return
	}
	m.realtime.WithLabelValues(kind).Observe(mediaSeconds / took.Seconds())
}

// Upload counts one request to an upload route: protocol is "multipart" or "tus", bytes the request
// body read.
func (m *Metrics) Upload(protocol, method string, status int, bytes int64) {
	if m == nil {
		return
	}
	m.uploads.WithLabelValues(protocol, method, strconv.Itoa(status)).Inc()
	if bytes > 0 {
		m.uploadBytes.WithLabelValues(protocol).Add(float64(bytes))
	}
}

// S3Error counts an S3 operation that failed.
func (m *Metrics) S3Error(operation string) {
	if m == nil {
		return
	}
	if operation == "" {
		operation = "unknown"
	}
	m.s3Errors.WithLabelValues(operation).Inc()
}

// WebhookDelivery counts one delivery attempt of a webhook; outcome is what came of it ("delivered",
// "retry", "failed", "disabled"… as the sender names them).
func (m *Metrics) WebhookDelivery(outcome string) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(outcome).Inc()
}
