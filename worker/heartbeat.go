package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// HeartbeatEvery is how often a worker checks itself and writes its heartbeat file.
const HeartbeatEvery = 5 * time.Second

// heartbeatName is the worker's heartbeat file in its scratch root (QUINTE_WORKER_TEMP_DIR): a
// directory the worker must be able to write anyway, which works on a read-only root file system
// with a tmpfs work dir. One worker per scratch root, as in a container.
const heartbeatName = "quinte-worker.heartbeat"

// HeartbeatPath is where the worker whose scratch root is tempDir writes its heartbeat.
func HeartbeatPath(tempDir string) string {
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	return filepath.Join(tempDir, heartbeatName)
}

// Beat is what a worker found the last time it checked itself. A check that passed says "ok".
type Beat struct {
	PID     int       `json:"pid"`
	At      time.Time `json:"at"`
	Queue   string    `json:"queue"`   // Redis answers
	Storage string    `json:"storage"` // the bucket answers
	Loop    string    `json:"loop"`    // asynq lists this worker as active and no job overran its time limit
	Jobs    int       `json:"jobs"`
}

func (b Beat) problems() []string {
	var p []string
	for _, c := range []struct{ name, v string }{{"queue", b.Queue}, {"storage", b.Storage}, {"job loop", b.Loop}} {
		if c.v != "ok" {
			p = append(p, c.name+": "+c.v)
		}
	}
	return p
}

// heartbeat checks the worker every HeartbeatEvery and writes what it found, until ctx ends.
func (w *Worker) heartbeat(ctx context.Context, queue, store Pinger) {
	defer close(w.beatDone)
	t := time.NewTicker(HeartbeatEvery)
	defer t.Stop()
	for {
		b := w.check(ctx, queue, store)
		if err := writeBeat(w.beatPath, b); err != nil && ctx.Err() == nil {
			w.log.Warn("cannot write the heartbeat file: `quinte health worker` will fail", "path", w.beatPath, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *Worker) check(ctx context.Context, queue, store Pinger) Beat {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	b := Beat{PID: os.Getpid(), At: time.Now().UTC(), Queue: "ok", Storage: "ok", Loop: "ok"}
	if err := queue.Ping(ctx); err != nil {
		b.Queue = "unreachable: " + err.Error()
	}
	if err := store.Ping(ctx); err != nil {
		b.Storage = "unreachable: " + err.Error()
	}
	// asynq's heartbeater writes this server's record every few seconds (the same one that keeps its
	// jobs' leases); it says "stopped" once shutdown began.
	if b.Queue == "ok" {
		b.Loop = "asynq does not list this worker"
		if servers, err := w.inspect.Servers(); err != nil {
			b.Loop = "cannot list workers: " + err.Error()
		} else {
			host, _ := os.Hostname()
			listed := 0
			for _, s := range servers {
				if _, hooks := s.Queues["webhooks"]; hooks && len(s.Queues) == 1 {
					continue // the process's webhook deliverer, a server of its own
				}
				if s.PID == b.PID && s.Host == host {
					listed++
					if s.Status != "active" {
						b.Loop = "asynq says " + s.Status
						break
					}
					if listed == len(w.srvs) {
						b.Loop = "ok" // every queue's server (queue/queues.go) is there and active
					}
				}
			}
		}
	} else {
		b.Loop = "unknown: the queue does not answer"
	}
	oldest, n := w.h.Oldest()
	b.Jobs = n
	if limit := w.cfg.MaxJobTime + time.Minute; n > 0 && time.Since(oldest) > limit && b.Loop == "ok" {
		b.Loop = fmt.Sprintf("a job has run for %s, over QUINTE_WORKER_MAX_JOB_TIME (%s)", time.Since(oldest).Round(time.Second), w.cfg.MaxJobTime)
	}
	return b
}

// writeBeat replaces the file at path in one rename, so a reader never sees half of it.
func writeBeat(path string, b Beat) error {
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// CheckHeartbeat reads the heartbeat at path and says what is wrong with the worker that writes it: no
// heartbeat, a stale one (the worker is hung or gone), or a failed check.
func CheckHeartbeat(path string, now time.Time) (Beat, error) {
	var b Beat
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return b, fmt.Errorf("no heartbeat at %s: the worker is not running (or its QUINTE_WORKER_TEMP_DIR differs)", path)
	}
	if err != nil {
		return b, err
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, fmt.Errorf("heartbeat %s: %w", path, err)
	}
	if age := now.Sub(b.At); age > 3*HeartbeatEvery {
		return b, fmt.Errorf("the worker (pid %d) last checked itself %s ago: it is hung or gone", b.PID, age.Round(time.Second))
	}
	if p := b.problems(); len(p) > 0 {
		return b, fmt.Errorf("worker pid %d is not ready: %s", b.PID, strings.Join(p, "; "))
	}
	return b, nil
}
