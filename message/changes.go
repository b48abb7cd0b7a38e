package message

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The change feed. Every write of a status record also puts a tiny object under ChangesPrefix whose
// key is the time of the write and the message's id, so that a process keeping a derived view of the
// records (the API's list index) learns of a change made anywhere (another API process, a worker) by
// listing the keys after the last one it saw: one cheap request, however many messages there are. The
// feed is only a hint to read the record again; the record stays the truth.

// ChangesPrefix holds the change feed.
const ChangesPrefix = "changes/"

// ChangeKey is the feed's key of a change to id at t: the Unix time in nanoseconds, zero-padded so
// that keys sort by time, then the id.
func ChangeKey(t time.Time, id string) string {
	return fmt.Sprintf("%s%019d-%s", ChangesPrefix, t.UnixNano(), id)
}

// ChangeKeyAt is the smallest key of a change at t or later, for listing the feed from t.
func ChangeKeyAt(t time.Time) string {
	return fmt.Sprintf("%s%019d", ChangesPrefix, t.UnixNano())
}

// ParseChangeKey returns the time and the message id of a change key.
func ParseChangeKey(key string) (time.Time, string, bool) {
	ts, id, ok := strings.Cut(strings.TrimPrefix(key, ChangesPrefix), "-")
	n, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || len(ts) != 19 || !ValidID(id) {
		return time.Time{}, "", false
	}
	return time.Unix(0, n).UTC(), id, true
}

// announce tells the feed (and OnChange) that the record r was written.
func (s States) announce(ctx context.Context, r Record) error {
	if err := s.Store.PutJSON(ctx, ChangeKey(time.Now(), r.ID), struct{}{}); err != nil {
		return fmt.Errorf("change feed: %w", err)
	}
	if s.OnChange != nil {
		s.OnChange(ctx, r)
	}
	return nil
}
