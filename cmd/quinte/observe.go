package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/metrics"
	"github.com/quinte-media/quinte/queue"
	"github.com/quinte-media/quinte/storage"
	"github.com/quinte-media/quinte/uploader"
)

// queueSampleEvery is how often the queue's figures are read from Redis: a scrape only reads the
// last sample (package metrics says why).
const queueSampleEvery = 10 * time.Second

// startMetrics serves the process's figures on QUINTE_METRICS_ADDR, a listener of its own; every part
// of the process (in `quinte run`, the API and the worker) reports to the one registry.
func (m *Main) startMetrics() error {
	if m.Config.MetricsAddr == "" {
		return nil
	}
	m.Metrics = metrics.New()
	url, closeFn, err := m.Metrics.Serve(m.Config.MetricsAddr, func(err error) { m.Log.Error("metrics server stopped", "err", err) })
	if err != nil {
		return fmt.Errorf("listen on %s (QUINTE_METRICS_ADDR): %w", m.Config.MetricsAddr, err)
	}
	m.MetricsURL = url
	m.closers = append(m.closers, closeFn)
	m.Log.Info("metrics listening", "url", url)
	return nil
}

// sampleQueues reads the queues' depth on a timer into the figures, until Close.
func (m *Main) sampleQueues(ctx context.Context, opt asynq.RedisConnOpt) {
	if m.Metrics == nil {
		return
	}
	ins := asynq.NewInspector(opt)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.closers = append(m.closers, func() error { cancel(); return ins.Close() })
	m.Metrics.SampleQueues(ctx, ins, queue.Names, queueSampleEvery, func(err error) {
		m.Log.Warn("queue figures not sampled", "err", err)
	})
}

// uploadCounter is the figures the API's upload routes report to (nil when metrics are off).
func (m *Main) uploadCounter() uploader.UploadCounter {
	if m.Metrics == nil {
		return nil
	}
	return m.Metrics
}

// storeOptions has the store count its errors in the figures when metrics are on.
func (m *Main) storeOptions() []storage.Option {
	if m.Metrics == nil {
		return nil
	}
	return []storage.Option{storage.CountErrors(m.Metrics.S3Error)}
}
