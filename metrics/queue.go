package metrics

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueInspector is the part of asynq's Inspector the queue figures read.
type QueueInspector interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// queueFigures is the queue's depth as last sampled. A scrape reads the sample and never Redis: asynq's
// x/metrics collector walks the Inspector on every scrape (a few Redis round trips per queue, for every
// Prometheus and every replica scraping), which is not served by the module proxy here anyway.
type queueFigures struct {
	mu      sync.Mutex
	infos   []*asynq.QueueInfo
	sampled time.Time

	tasks     *prometheus.Desc
	latency   *prometheus.Desc
	processed *prometheus.Desc
	failed    *prometheus.Desc
	age       *prometheus.Desc
}

func newQueueFigures() *queueFigures {
	return &queueFigures{
		tasks:     prometheus.NewDesc("quinte_queue_tasks", "Tasks in the queue, by queue and state (pending, active, scheduled, retry, archived), as last sampled.", []string{"queue", "state"}, nil),
		latency:   prometheus.NewDesc("quinte_queue_latency_seconds", "How long the oldest pending task of the queue has waited, as last sampled.", []string{"queue"}, nil),
		processed: prometheus.NewDesc("quinte_queue_processed_total", "Tasks the queue's workers processed (asynq's own count, all workers), as last sampled.", []string{"queue"}, nil),
		failed:    prometheus.NewDesc("quinte_queue_failed_total", "Task runs that returned an error (asynq's own count, all workers), as last sampled.", []string{"queue"}, nil),
		age:       prometheus.NewDesc("quinte_queue_sample_age_seconds", "Seconds since the queue figures were sampled from Redis.", nil, nil),
	}
}

func (q *queueFigures) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{q.tasks, q.latency, q.processed, q.failed, q.age} {
		ch <- d
	}
}

func (q *queueFigures) Collect(ch chan<- prometheus.Metric) {
	q.mu.Lock()
	infos, sampled := q.infos, q.sampled
	q.mu.Unlock()
	if sampled.IsZero() {
		return
	}
	ch <- prometheus.MustNewConstMetric(q.age, prometheus.GaugeValue, time.Since(sampled).Seconds())
	for _, in := range infos {
		for state, n := range map[string]int{"pending": in.Pending, "active": in.Active, "scheduled": in.Scheduled, "retry": in.Retry, "archived": in.Archived} {
			ch <- prometheus.MustNewConstMetric(q.tasks, prometheus.GaugeValue, float64(n), in.Queue, state)
		}
		ch <- prometheus.MustNewConstMetric(q.latency, prometheus.GaugeValue, in.Latency.Seconds(), in.Queue)
		ch <- prometheus.MustNewConstMetric(q.processed, prometheus.CounterValue, float64(in.ProcessedTotal), in.Queue)
		ch <- prometheus.MustNewConstMetric(q.failed, prometheus.CounterValue, float64(in.FailedTotal), in.Queue)
	}
}

// sample reads every queue once. A queue that never held a task does not exist in Redis yet: it is
// reported empty.
func (q *queueFigures) sample(in QueueInspector, queues []string) error {
	known, err := in.Queues()
	if err != nil {
		return err
	}
	var infos []*asynq.QueueInfo
	var errs []error
	for _, name := range queues {
		if !slices.Contains(known, name) {
			infos = append(infos, &asynq.QueueInfo{Queue: name})
			continue
		}
		info, err := in.GetQueueInfo(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		infos = append(infos, info)
	}
	if len(infos) > 0 {
		q.mu.Lock()
		q.infos, q.sampled = infos, time.Now()
		q.mu.Unlock()
	}
	return errors.Join(errs...)
}

// SampleQueues reads the queues' figures now and then every period until ctx ends, on a goroutine of
// its own; a failed sample keeps the last one (quinte_queue_sample_age_seconds grows) and is passed to
// onError.
func (m *Metrics) SampleQueues(ctx context.Context, in QueueInspector, queues []string, every time.Duration, onError func(error)) {
	if m == nil {
		return
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if err := m.queue.sample(in, queues); err != nil && ctx.Err() == nil && onError != nil {
				onError(err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}
