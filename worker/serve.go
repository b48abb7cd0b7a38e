package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/queue"
)

// errShutdown is the cause of the jobs' context being cancelled when the worker stops.
var errShutdown = errors.New("the worker is shutting down")

// Pinger is anything whose reachability a worker's health depends on.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Worker is a Handler served by asynq, with the shutdown a deploy needs and a heartbeat that
// `quinte health worker` reads.
type Worker struct {
	srvs    []*asynq.Server // one per queue (queue/queues.go says why)
	inspect *asynq.Inspector
	h       *Handler
	cfg     Config
	log     *slog.Logger
	cancel  context.CancelCauseFunc

	beatPath string
	stopBeat context.CancelFunc
	beatDone chan struct{}
}

// StartWorker starts serving h on the Redis at opt. q and store are what the heartbeat checks.
func StartWorker(opt asynq.RedisConnOpt, cfg Config, h *Handler, q, store Pinger, log *slog.Logger) (*Worker, error) {
	base, cancel := context.WithCancelCause(context.Background())
	// asynq's own shutdown wait is short: Shutdown waits cfg.ShutdownTimeout itself first, so that it
	// can record which jobs go back before asynq requeues them.
	acfg := cfg
	acfg.ShutdownTimeout = time.Second
	w := &Worker{
		srvs: []*asynq.Server{
			NewServer(opt, acfg, queue.Heavy, cfg.Slots(), base, log),
			NewServer(opt, acfg, queue.Light, cfg.LightSlots(), base, log),
		},
		inspect: asynq.NewInspector(opt),
		h:       h, cfg: cfg, log: log, cancel: cancel, beatPath: HeartbeatPath(cfg.TempDir),
	}
	mux := Mux(h)
	for i, srv := range w.srvs {
		if err := srv.Start(mux); err != nil {
			for _, started := range w.srvs[:i] {
				started.Shutdown()
			}
			cancel(err)
			w.inspect.Close()
			return nil, err
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	w.stopBeat, w.beatDone = stop, make(chan struct{})
	go w.heartbeat(ctx, q, store)
	return w, nil
}

// Shutdown stops taking jobs, waits up to QUINTE_WORKER_SHUTDOWN_TIMEOUT for the running ones, records
// that the others go back to the queue (their messages say queued, and why), lets asynq requeue them
// (no retry spent) and stops them: their ffmpeg gets SIGINT and their scratch directory is removed.
// It reports whether every job ended within a further 10 s.
func (w *Worker) Shutdown() bool {
	for _, srv := range w.srvs {
		srv.Stop()
	}
	if !w.h.Wait(w.cfg.ShutdownTimeout) {
		why := fmt.Sprintf("given back to the queue at %s: the worker running it was stopped (a deploy or a scale-down) before the job finished; the next free worker starts it again from the beginning", time.Now().UTC().Format(time.RFC3339))
		if n := w.h.GiveBack(why); n > 0 {
			w.log.Info("jobs still running at shutdown go back to the queue", "count", n, "waited", w.cfg.ShutdownTimeout)
		}
	}
	for _, srv := range w.srvs {
		srv.Shutdown()
	}
	w.cancel(errShutdown)
	ok := w.h.Wait(10 * time.Second)
	w.stopBeat()
	<-w.beatDone
	os.Remove(w.beatPath)
	w.inspect.Close()
	return ok
}
