package library

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quinte-media/quinte/message"
)

// The list index. GET /v1/messages answers from memory: each API process keeps, for every message, the
// few fields the list shows and filters on (record, meta and, once ready, its poster), sorted by id
// (ids sort by creation time). S3 stays the source of truth: the index is built from the bucket when
// the process starts, and follows the change feed (message/changes.go) every second, so a change made
// by any process (another API, a worker) shows here within about two seconds. Changes this process
// makes itself show at once (States.OnChange, ShowChange).

// Feed timings.
const (
	// feedEvery is how often the feed is listed: one LIST request.
	feedEvery = time.Second
	// feedLate is how far back each listing starts: a change whose key names a time up to this much
	// before the listing (a writer's clock behind ours, a slow PUT) is still seen. Keys seen in that
	// window are remembered so that their records are read once.
	feedLate = 30 * time.Second
	// feedKeep is how long change keys are kept; whoever lists deletes older ones. A process that could
	// not list for nearly that long may have missed keys, and builds its index again.
	feedKeep = time.Hour
	feedGap  = feedKeep - 10*time.Minute
	// sweepEvery is how often old change keys are looked for.
	sweepEvery = time.Minute
	// loadParallel is how many messages a build reads at once.
	loadParallel = 32
)

// indexStore is the part of the bucket the index reads.
type indexStore interface {
	message.JSONStore
	Folders(ctx context.Context, prefix string) ([]string, error)
	ListFrom(ctx context.Context, prefix, startAfter string, max int) ([]string, error)
	Delete(ctx context.Context, key string) error
	Put(ctx context.Context, key string, body io.Reader, size int64, contentType string) error
	Open(ctx context.Context, key string, n int64) (io.ReadCloser, error)
}

// entry is what the index holds of one message.
type entry struct {
	ID        string
	Kind      message.Kind
	Status    message.Status
	Error     *message.Error
	Review    message.Review
	Artist    string
	Title     string
	Campaign  string
	InviteID  string
	Captions  bool
	Poster    string  // the key of its poster (the 640 WebP when there is one), once published
	Duration  float64 // seconds, once ready: its longest output's (the grid shows it)
	CreatedAt time.Time
	UpdatedAt time.Time
	fold      string // artist and title folded for search (fold)
}

// Index is the list index of one API process.
type Index struct {
	store indexStore
	log   *slog.Logger

	mu    sync.RWMutex
	byID  map[string]*entry
	ids   []string // ascending
	ready chan struct{}

	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{}

	// Feed position, touched by the follower goroutine only.
	from     time.Time            // the next listing starts at from - feedLate
	seen     map[string]time.Time // keys read within the window
	lastList time.Time            // the last listing that worked
	lastSwp  time.Time
	builtIn  atomic.Int64 // how long the last build took, in nanoseconds

	fromSnapshot atomic.Bool  // the index was loaded from a snapshot (snapshot.go)
	changes      atomic.Int64 // entries changed since the start
	snapChanges  int64        // changes at the last snapshot
	lastSnap     time.Time
	revoked      atomic.Bool  // a message was revoked since the last snapshot
	snapEvery    atomic.Int64 // snapshotEvery, as a duration (tests shorten it)
}

func newIndex(store indexStore, log *slog.Logger) *Index {
	x := &Index{store: store, log: log.With("component", "index"), byID: map[string]*entry{}, ready: make(chan struct{}), done: make(chan struct{})}
	x.snapEvery.Store(int64(snapshotEvery))
	return x
}

// Start builds the index in the background and follows the feed until Stop. It runs once; calling it
// again does nothing.
func (x *Index) Start(ctx context.Context) {
	x.once.Do(func() {
		ctx, x.cancel = context.WithCancel(context.WithoutCancel(ctx))
		go x.run(ctx)
	})
}

// Stop ends the follower.
func (x *Index) Stop() {
	x.once.Do(func() { close(x.done) }) // never started
	if x.cancel != nil {
		x.cancel()
	}
	<-x.done
}

// Wait blocks until the first build is done, or ctx ends.
func (x *Index) Wait(ctx context.Context) error {
	select {
	case <-x.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (x *Index) run(ctx context.Context) {
	defer close(x.done)
	if ok, err := x.loadSnapshot(ctx); err != nil && ctx.Err() == nil {
		x.log.Warn("list index: its snapshot does not read; building from the records", "err", err)
	} else if ok {
		x.markReady()
		x.lastSnap = time.Now()
	}
	for ctx.Err() == nil && !x.fromSnapshot.Load() {
		if err := x.build(ctx); err != nil {
			if ctx.Err() == nil {
				x.log.Warn("list index: building from the bucket failed; trying again", "err", err)
				sleep(ctx, 2*time.Second)
			}
			continue
		}
		break
	}
	t := time.NewTicker(feedEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if time.Since(x.lastList) > feedGap {
			// Keys older than feedKeep may be gone: what they said is only in the records now.
			x.log.Warn("list index: the change feed was out of reach too long; building again", "since", x.lastList)
			if err := x.build(ctx); err != nil && ctx.Err() == nil {
				x.log.Warn("list index: building again failed", "err", err)
			}
			continue
		}
		if err := x.follow(ctx); err != nil && ctx.Err() == nil {
			x.log.Warn("list index: reading the change feed failed", "err", err)
		}
		if time.Since(x.lastSwp) > sweepEvery {
			x.sweep(ctx)
		}
		x.maybeSnapshot(ctx)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// build reads every message's record from the bucket and replaces the index with what it found. The
// feed is then followed from a little before the build started, so nothing written during it is lost.
func (x *Index) build(ctx context.Context) error {
	start := time.Now()
	ids, err := x.store.Folders(ctx, message.MessagesPrefix)
	if err != nil {
		return err
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return !message.ValidID(id) })
	entries := make([]*entry, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	next := make(chan int)
	for range loadParallel {
		wg.Go(func() {
			for i := range next {
				entries[i], errs[i] = x.load(ctx, ids[i], nil)
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	byID := make(map[string]*entry, len(ids))
	kept := ids[:0]
	for i, e := range entries {
		if e != nil {
			byID[ids[i]] = e
			kept = append(kept, ids[i])
		}
	}
	x.mu.Lock()
	x.byID, x.ids = byID, kept
	x.mu.Unlock()
	x.from, x.seen, x.lastList = start, map[string]time.Time{}, time.Now()
	x.builtIn.Store(int64(time.Since(start)))
	x.markReady()
	x.log.Info("list index built", "messages", len(kept), "took", x.BuiltIn().Round(time.Millisecond))
	if err := x.writeSnapshot(ctx); err != nil && ctx.Err() == nil {
		x.log.Warn("list index: writing its snapshot failed", "err", err)
	}
	return nil
}

func (x *Index) markReady() {
	select {
	case <-x.ready:
	default:
		close(x.ready)
	}
}

// follow lists the feed from a little before the last listing and reads again the records it names.
func (x *Index) follow(ctx context.Context) error {
	now := time.Now()
	keys, err := x.store.ListFrom(ctx, message.ChangesPrefix, message.ChangeKeyAt(x.from.Add(-feedLate)), 0)
	if err != nil {
		return err
	}
	var ids, fresh []string
	for _, k := range keys {
		t, id, ok := message.ParseChangeKey(k)
		if _, done := x.seen[k]; !ok || done {
			continue
		}
		x.seen[k] = t
		fresh = append(fresh, k)
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	// A few at once: a burst of changes (a batch of uploads finishing) still shows within the second.
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = x.Refresh(ctx, id, nil)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, k := range fresh { // read again at the next listing
			delete(x.seen, k)
		}
		return err
	}
	x.from, x.lastList = now, now
	for k, t := range x.seen {
		if t.Before(now.Add(-2 * feedLate)) {
			delete(x.seen, k)
		}
	}
	return nil
}

// sweep deletes change keys older than feedKeep (they sort first), a thousand at a time.
func (x *Index) sweep(ctx context.Context) {
	x.lastSwp = time.Now()
	old := time.Now().Add(-feedKeep)
	for after := ""; ; {
		keys, err := x.store.ListFrom(ctx, message.ChangesPrefix, after, 1000)
		if err != nil || len(keys) == 0 {
			return
		}
		for _, k := range keys {
			if t, _, ok := message.ParseChangeKey(k); ok && !t.Before(old) {
				return
			}
			if err := x.store.Delete(ctx, k); err != nil {
				return
			}
		}
		after = keys[len(keys)-1]
	}
}

// Refresh reads id's record (rec, when the caller just wrote it), meta and poster again and updates
// its entry; a message whose record is gone leaves the index.
func (x *Index) Refresh(ctx context.Context, id string, rec *message.Record) error {
	e, err := x.load(ctx, id, rec)
	if err != nil {
		return err
	}
	x.changes.Add(1)
	x.mu.Lock()
	defer x.mu.Unlock()
	i, found := slices.BinarySearch(x.ids, id)
	switch {
	case e == nil && found:
		x.ids = slices.Delete(x.ids, i, i+1)
		delete(x.byID, id)
	case e == nil:
	case !found:
		x.ids = slices.Insert(x.ids, i, id)
		x.byID[id] = e
	case !e.UpdatedAt.Before(x.byID[id].UpdatedAt):
		// A read that raced a newer one does not undo it.
		if old := x.byID[id]; e.Status == message.StatusRevoked && (old.Artist != "" || old.Title != "") {
			x.revoked.Store(true) // the snapshot still holds what the artist wrote: rewritten at once
		}
		x.byID[id] = e
	}
	return nil
}

// load reads what the index holds of id; nil when it has no record.
func (x *Index) load(ctx context.Context, id string, rec *message.Record) (*entry, error) {
	if rec == nil {
		rec = new(message.Record)
		// GetJSONVersion, not GetJSON: it repeats a read that raced a write and came back torn (the
		// new ETag with the old body, as versitygw's sidecar metadata can answer). A change is read
		// once from the feed, so a stale body would stay in the index until the next change.
		if _, err := x.store.GetJSONVersion(ctx, message.StatusKey(id), rec); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
	}
	e := &entry{ID: id, Kind: rec.Kind, Status: rec.Status, Error: rec.Error, Review: rec.LastReview(),
		CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt}
	var meta message.Meta
	if e.Status == message.StatusRevoked {
		// Nothing the artist wrote is kept, whatever is left of the meta while the revocation runs.
	} else if err := x.store.GetJSON(ctx, message.MetaKey(id), &meta); err == nil {
		e.Artist, e.Title, e.Campaign, e.InviteID, e.Captions = meta.Artist, meta.Title, meta.Campaign, meta.InviteID, meta.Captions != ""
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if e.Status == message.StatusProcessing {
		e.Poster = posterKey(rec.Early) // the poster published before the main pass, while the rest is made
	}
	if e.Status == message.StatusReady {
		var man message.Manifest
		err := x.store.GetJSON(ctx, message.ManifestKey(id), &man)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			e.Status = message.StatusQueued // being processed again, as the message's view says
		case err != nil:
			return nil, err
		default:
			e.Poster = posterKey(man.Outputs)
			for _, o := range man.Outputs {
				e.Duration = max(e.Duration, o.Duration)
			}
		}
	}
	e.fold = fold(e.Artist + "\n" + e.Title)
	return e, nil
}

// posterKey picks the picture a grid shows for a message: a WebP poster (or thumbnail, or image)
// whose long side is nearest 640, else the nearest picture of any type.
func posterKey(outs []message.Output) string {
	best, bestScore := "", -1
	for _, o := range outs {
		score := 0
		switch o.Role {
		case message.RolePoster:
			score = 3
		case message.RoleThumbnail, message.RoleImage:
			score = 2
		default:
			continue
		}
		if !strings.HasPrefix(o.ContentType, "image/") || o.Key == "" {
			continue
		}
		if o.ContentType == "image/webp" {
			score += 3
		}
		score = score*10000 - min(abs(max(o.Width, o.Height)-640), 9999)
		if score > bestScore {
			best, bestScore = o.Key, score
		}
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// listQuery is what GET /v1/messages asks for.
type listQuery struct {
	Status   message.Status
	Review   message.ReviewState
	Kind     message.Kind
	Campaign string
	Q        string // folded
	Before   string
	Limit    int
}

func (q listQuery) match(e *entry) bool {
	return (q.Status == "" || e.Status == q.Status) && (q.Review == "" || e.Review.State == q.Review) &&
		(q.Kind == "" || e.Kind == q.Kind) && (q.Campaign == "" || e.Campaign == q.Campaign) &&
		(q.Q == "" || strings.Contains(e.fold, q.Q))
}

// Query returns the newest entries matching q (copies), and whether more follow.
func (x *Index) Query(q listQuery) ([]entry, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i := len(x.ids)
	if q.Before != "" {
		i, _ = slices.BinarySearch(x.ids, q.Before)
	}
	var out []entry
	for i--; i >= 0; i-- {
		if e := x.byID[x.ids[i]]; q.match(e) {
			if len(out) == q.Limit {
				return out, true
			}
			out = append(out, *e)
		}
	}
	return out, false
}

// BuiltIn is how long the last build from the bucket took.
func (x *Index) BuiltIn() time.Duration { return time.Duration(x.builtIn.Load()) }

// StartIndex builds the list index in the background and follows the change feed until Close. The
// list waits for the first build (a few seconds for tens of thousands of messages).
func (s *Server) StartIndex(ctx context.Context) { s.index.Start(ctx) }

// Close stops following the change feed.
func (s *Server) Close() error {
	s.index.Stop()
	return nil
}

// IndexBuiltIn is how long the list index's last build from the bucket took (0: not built yet).
func (s *Server) IndexBuiltIn() time.Duration { return s.index.BuiltIn() }

// ShowChange shows a record this process wrote in its list at once: the API's own writes, and in
// `quinte run` the worker's, which would otherwise wait for the change feed.
func (s *Server) ShowChange(ctx context.Context, r message.Record) {
	if err := s.index.Refresh(ctx, r.ID, &r); err != nil {
		s.log.Warn("list index: reading a changed message failed; the change feed brings it", "message_id", r.ID, "err", err)
	}
}
