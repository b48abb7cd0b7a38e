package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/metrics"
	"github.com/quinte-media/quinte/queue"
)

// BenchmarkEmptyJobRoundTrip is the per-job cost of asynq and of the figures: an empty job enqueued,
// fetched by the worker's server (configured as in production), run and acknowledged, one at a time,
// on a real redis-server, without and with the job figures. Compare the two ns/op.
func BenchmarkEmptyJobRoundTrip(b *testing.B) {
	for _, tc := range []struct {
		name string
		obs  Observer
	}{{"plain", nil}, {"metrics", metrics.New()}} {
		b.Run(tc.name, func(b *testing.B) {
			redis := testenv.Redis(b)
			opt, err := asynq.ParseRedisURI(redis.URL())
			testenv.Must(b, err)
			cfg := Config{MaxRetry: 3, ShutdownTimeout: 5 * time.Second, MaxJobTime: time.Hour}
			q := queue.New(opt, cfg.Limits())
			defer q.Close()
			done := make(chan struct{})
			mux := asynq.NewServeMux()
			mux.Handle(queue.TypeProcess, observeJobs(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
				done <- struct{}{}
				return nil
			}), tc.obs))
			srv := NewServer(opt, cfg, queue.Light, 1, context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)))
			testenv.Must(b, srv.Start(mux))
			defer srv.Shutdown()
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				testenv.Must(b, q.Enqueue(ctx, message.Meta{ID: message.NewID(), Kind: message.KindImage}))
				<-done
			}
		})
	}
}

// BenchmarkJobFigures is what the figures of one job cost on their own: its end and seven steps.
func BenchmarkJobFigures(b *testing.B) {
	m := metrics.New()
	steps := []string{"probe", "analyze", "subjects", "encode", "finish", "verify", "publish"}
	for b.Loop() {
		for _, s := range steps {
			m.StepDone("video", s, time.Second)
		}
		m.Encoded("video", 10, 5*time.Second)
		m.JobDone("video", OutcomeReady, "", time.Minute)
	}
}
