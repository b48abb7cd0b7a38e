package library

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/quinte-media/quinte/message"
)

// Index snapshots. Reading every record takes minutes at 100,000 messages (three GETs each), so the
// index is also kept in the bucket as one gzipped object, with the feed position it reflects. A fresh
// process loads it and follows the feed from that position (a little before), which brings every
// change since; without a snapshot, or with one older than the feed keeps its keys (or of another
// format), it builds from the records as before. The snapshot is derived like the index: deleting it
// costs one slow start, never a message. Every API process writes it after a build and then every
// snapshotEvery when its index changed; whichever write lands last is as good as any.

const (
	snapshotKey     = "index/snapshot.json.gz"
	snapshotVersion = 2 // 2: entries carry their duration
	snapshotEvery   = 5 * time.Minute
)

// snapshot is what the object holds.
type snapshot struct {
	Version int       `json:"version"`
	From    time.Time `json:"from"` // the feed position: every change keyed before From - feedLate is in Entries
	Entries []*entry  `json:"entries"`
}

// loadSnapshot replaces the index with the bucket's snapshot, if there is a usable one.
func (x *Index) loadSnapshot(ctx context.Context) (bool, error) {
	start := time.Now()
	rc, err := x.store.Open(ctx, snapshotKey, -1)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		return false, fmt.Errorf("snapshot: %w", err)
	}
	var snap snapshot
	if err := json.NewDecoder(zr).Decode(&snap); err != nil {
		return false, fmt.Errorf("snapshot: %w", err)
	}
	if snap.Version != snapshotVersion || time.Since(snap.From) > feedGap {
		x.log.Info("list index: the snapshot is too old or of another format; building from the records", "from", snap.From, "version", snap.Version)
		return false, nil
	}
	byID := make(map[string]*entry, len(snap.Entries))
	ids := make([]string, 0, len(snap.Entries))
	for _, e := range snap.Entries {
		if e == nil || !message.ValidID(e.ID) || byID[e.ID] != nil {
			continue
		}
		e.fold = fold(e.Artist + "\n" + e.Title)
		byID[e.ID] = e
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	x.mu.Lock()
	x.byID, x.ids = byID, ids
	x.mu.Unlock()
	x.from, x.seen, x.lastList = snap.From, map[string]time.Time{}, time.Now()
	x.builtIn.Store(int64(time.Since(start)))
	x.fromSnapshot.Store(true)
	x.log.Info("list index loaded from its snapshot", "messages", len(ids), "from", snap.From, "took", x.BuiltIn().Round(time.Millisecond))
	return true, nil
}

// writeSnapshot stores the index as it stands, with the feed position it reflects.
func (x *Index) writeSnapshot(ctx context.Context) error {
	changes := x.changes.Load()
	snap := snapshot{Version: snapshotVersion, From: x.from}
	x.mu.RLock()
	snap.Entries = make([]*entry, 0, len(x.ids))
	for _, id := range x.ids {
		e := *x.byID[id]
		snap.Entries = append(snap.Entries, &e)
	}
	x.mu.RUnlock()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(snap); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := x.store.Put(ctx, snapshotKey, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "application/gzip"); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	x.lastSnap, x.snapChanges = time.Now(), changes
	return nil
}

// maybeSnapshot writes a snapshot when the index changed since the last one, every snapshotEvery, and
// at once when a message was revoked: what its artist wrote leaves the snapshot as it left the bucket.
func (x *Index) maybeSnapshot(ctx context.Context) {
	urgent := x.revoked.Swap(false)
	if !urgent && (time.Since(x.lastSnap) < time.Duration(x.snapEvery.Load()) || x.changes.Load() == x.snapChanges) {
		return
	}
	if err := x.writeSnapshot(ctx); err != nil && ctx.Err() == nil {
		x.revoked.Store(x.revoked.Load() || urgent) // tried again at the next listing
		x.log.Warn("list index: writing its snapshot failed", "err", err)
	}
}
