package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/quinte-media/quinte/message"
)

// progressWriter stores how far a job is at message.ProgressKey, apart from the status record (a
// figure that changes every few seconds must not race the API's writes of the record). The pipeline
// tells it every move; it writes the latest one at most once per period, on a goroutine of its own,
// so that a slow S3 never slows the job.
type progressWriter struct {
	store  message.JSONStore
	id     string
	log    *slog.Logger
	every  time.Duration
	now    func() time.Time
	mu     sync.Mutex
	latest message.Progress
	moved  chan struct{} // has room for one: a move not yet written
	done   chan struct{}
	wg     sync.WaitGroup
}

func startProgress(ctx context.Context, store message.JSONStore, id string, every time.Duration, log *slog.Logger) *progressWriter {
	w := &progressWriter{store: store, id: id, log: log, every: every, now: time.Now,
		moved: make(chan struct{}, 1), done: make(chan struct{})}
	ctx = context.WithoutCancel(ctx)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			select {
			case <-w.done:
				return
			case <-w.moved:
			}
			w.mu.Lock()
			p := w.latest
			w.mu.Unlock()
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := w.store.PutJSON(wctx, message.ProgressKey(id), p); err != nil {
				w.log.Debug("progress not stored", "err", err)
			}
			cancel()
			select {
			case <-w.done:
				return
			case <-time.After(w.every):
			}
		}
	}()
	return w
}

// set records a move; it never blocks.
func (w *progressWriter) set(p message.Progress) {
	p.UpdatedAt = w.now().UTC()
	w.mu.Lock()
	w.latest = p
	w.mu.Unlock()
	select {
	case w.moved <- struct{}{}:
	default:
	}
}

// stop ends the writing; a figure not yet written is dropped (the record now says more).
func (w *progressWriter) stop() {
	close(w.done)
	w.wg.Wait()
}
