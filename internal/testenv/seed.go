package testenv

import (
	"context"
	"os"
	"testing"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/storage"
)

// Seed stores the file at path as a new message's original, with its meta and record, as the API
// would, and returns the message id.
func Seed(t *testing.T, store *storage.Store, path string, kind message.Kind) string {
	t.Helper()
	id := message.NewID()
	ctx := context.Background()
	f, err := os.Open(path)
	Must(t, err)
	defer f.Close()
	Must(t, store.Put(ctx, message.OriginalKey(id), f, -1, ""))
	Must(t, store.PutJSON(ctx, message.MetaKey(id), message.Meta{ID: id, Kind: kind}))
	_, err = message.States{Store: store}.Create(ctx, id, kind)
	Must(t, err)
	return id
}
