package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/s3store"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/storage"
)

// If the API dies after a tus upload's last byte but before the upload becomes a message, the upload
// sits in uploads/ with nobody to finish it. The reconciler finishes it: whether the S3 multipart
// upload was completed or not, the original is kept and processed. Unfinished uploads are left for the
// artist to resume; finished ones that are not media are removed.
func TestInterruptedTusUploadsAreFinished(t *testing.T) {
	env := realEnv(t)
	env["QUINTE_RECONCILE_EVERY"] = "1s"
	env["QUINTE_UPLOAD_IDLE_TIMEOUT"] = "1s"
	cfg, err := config.Load("", testenv.Env(env))
	testenv.Must(t, err)
	st, err := storage.New(cfg.S3)
	testenv.Must(t, err)
	store := s3store.New(cfg.S3.Bucket, st.Client())
	store.ObjectPrefix = "uploads/"
	store.TemporaryDirectory = t.TempDir()
	ctx := context.Background()

	clip := mustRead(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"))
	// start writes an upload the way tusd does, stopping where a crash would.
	start := func(data []byte, written int, complete bool) string {
		id := message.NewID()
		up, err := store.NewUpload(ctx, handler.FileInfo{ID: id, Size: int64(len(data)), MetaData: handler.MetaData{"filename": "backstage.mov", "artist": "Ada"}})
		testenv.Must(t, err)
		_, err = up.WriteChunk(ctx, 0, bytes.NewReader(data[:written]))
		testenv.Must(t, err)
		if complete {
			testenv.Must(t, up.FinishUpload(ctx))
		}
		return id
	}
	notCompleted := start(clip, len(clip), false) // died before CompleteMultipartUpload
	completed := start(clip, len(clip), true)     // died after it, before the copy to originals/
	halfway := start(clip, len(clip)/2, false)    // the artist's phone lost the network
	notMedia := start([]byte(strings.Repeat("<html>not a video</html>\n", 100)), 2500, true)

	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	for _, id := range []string{notCompleted, completed} {
		deadline := time.Now().Add(time.Minute)
		for {
			if ok, _ := m.Store.Exists(ctx, message.StatusKey(id)); ok { // written after meta.json
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("upload %s was never finished", id)
			}
			time.Sleep(200 * time.Millisecond)
		}
		msg := c.WaitReady(t, id, 2*time.Minute)
		meta := metaOf(t, m, id)
		if meta.Via != "tus" || meta.Artist != "Ada" || meta.Size != int64(len(clip)) || len(msg.Outputs) == 0 {
			t.Errorf("finished upload %s: meta %+v, %d outputs", id, meta, len(msg.Outputs))
		}
	}
	// Give the reconciler a few more rounds, then check what it left alone and what it removed.
	time.Sleep(3 * time.Second)
	if ok, _ := m.Store.Exists(ctx, message.OriginalKey(halfway)); ok {
		t.Error("a half-sent upload became a message")
	}
	if ok, _ := m.Store.Exists(ctx, "uploads/"+halfway+".info"); !ok {
		t.Error("a half-sent upload was removed; the artist can no longer resume it")
	}
	for _, id := range []string{notCompleted, completed, notMedia} {
		if keys := bucketKeys(t, m, "uploads/"+id); len(keys) != 0 {
			t.Errorf("upload %s left %v", id, keys)
		}
	}
	if ok, _ := m.Store.Exists(ctx, message.OriginalKey(notMedia)); ok {
		t.Error("a finished upload that is not media became a message")
	}
}
