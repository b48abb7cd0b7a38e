package worker

import (
	"context"
	"log/slog"
	"sync"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
)

// earlyPublish puts in S3 the files a job hands over before it ends (a video's poster, cut right after
// the subject analysis: pipeline.Input.Early) and records them on the message, so that the artist's
// page and GET /v1/messages/{id} show the poster while the rest is made. It works in the background,
// beside the main pass. A failure is only logged: the final publish uploads whatever this did not, so
// the job does not fail for it. The keys are those the manifest lists, so nothing is sent twice.
type earlyPublish struct {
	h       *Handler
	log     *slog.Logger
	id      string
	running string // the job's name in the record: a record another job took is left alone

	wg   sync.WaitGroup
	mu   sync.Mutex
	done map[string]bool // keys uploaded
}

func (h *Handler) earlyPublisher(log *slog.Logger, id string, a *attempt) *earlyPublish {
	return &earlyPublish{h: h, log: log, id: id, running: a.name, done: map[string]bool{}}
}

// files is pipeline.Input.Early: it returns at once and publishes files in the background.
func (e *earlyPublish) files(ctx context.Context, files []pipeline.File) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		var outs []message.Output
		for _, f := range files {
			if len(f.Parts) > 0 {
				continue // a multi-file output is published whole, at the end
			}
			o := f.Output
			o.Key = message.OutputKey(e.id, f.Name, f.Ext)
			n, err := e.h.store.PutFile(ctx, o.Key, f.Path, f.ContentType)
			if err != nil {
				e.log.Warn("publishing an output early failed; the final publish sends it", "output", f.Name, "err", err)
				return
			}
			o.Size = n
			e.mu.Lock()
			e.done[o.Key] = true
			e.mu.Unlock()
			outs = append(outs, o)
		}
		if _, err := e.h.states.Update(ctx, e.id, func(r *message.Record) {
			if r.Status == message.StatusProcessing && r.Running == e.running {
				r.Early = append(r.Early[:0:0], outs...)
			}
		}); err != nil {
			e.log.Warn("recording the outputs published early failed; the manifest will list them", "err", err)
			return
		}
		e.log.Info("published early", "outputs", len(outs))
	}()
}

// wait waits for the uploads under way and gives the keys uploaded.
func (e *earlyPublish) wait() map[string]bool {
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.done
}

// withdraw deletes what was published early when the job did not get to its manifest: nothing may be
// left in S3 that no manifest lists (a retry cuts and publishes the poster again). The record's early
// outputs are dropped when the job ends, however it ends.
func (e *earlyPublish) withdraw(ctx context.Context, keys map[string]bool) {
	ctx = context.WithoutCancel(ctx) // a job stopped from outside still cleans up after itself
	for k := range keys {
		if err := e.h.store.Delete(ctx, k); err != nil {
			e.log.Warn("deleting an output published early failed", "key", k, "err", err)
		}
	}
}
