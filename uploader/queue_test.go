package uploader

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/storage"
	"github.com/quinte-media/quinte/worker"
)

// dyingQueue answers the upload's Ping, then loses Redis before the upload gets to Enqueue.
type dyingQueue struct {
	*worker.Queue
	once   sync.Once
	redis  *testenv.Server
	killed chan struct{}
}

func (q *dyingQueue) Ping(ctx context.Context) error {
	err := q.Queue.Ping(ctx)
	q.once.Do(func() { q.redis.Stop(); close(q.killed) })
	return err
}

// Redis dies between the API's check and the enqueue: the upload is stored and answered 202, and the
// message is queued by the reconciler once Redis is back. Never a 2xx for a message nobody processes.
func TestRedisDiesBetweenPingAndEnqueue(t *testing.T) {
	redis := testenv.Redis(t)
	_, s3 := testenv.S3(t)
	st, err := storage.New(s3)
	testenv.Must(t, err)
	opt, err := asynq.ParseRedisURI(redis.URL())
	testenv.Must(t, err)
	wcfg := worker.Config{MaxRetry: 3, MaxJobTime: time.Hour}
	q := &dyingQueue{Queue: worker.NewQueue(opt, wcfg), redis: redis, killed: make(chan struct{})}
	defer q.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := New(Config{MaxBytes: 1 << 30, URLTTL: time.Hour, IdleTimeout: time.Minute}, st, q, log)
	srv := httptest.NewServer(httpapi.Handler(httpapi.NewAuth("team-token-0123456789", st, log), nil, api.Routes()))
	defer srv.Close()

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "a.opus")
	opus, err := os.ReadFile(testenv.Corpus(t, "audio/opus_stereo.opus"))
	testenv.Must(t, err)
	_, _ = fw.Write(opus)
	mw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/messages", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer team-token-0123456789")
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(t, err)
	var out struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	<-q.killed
	if resp.StatusCode != http.StatusAccepted || !message.ValidID(out.ID) {
		t.Fatalf("upload: %d %+v", resp.StatusCode, out)
	}
	ctx := context.Background()
	if ok, _ := st.Exists(ctx, message.OriginalKey(out.ID)); !ok {
		t.Fatal("a 202 for an original that is not stored")
	}
	rec, err := message.States{Store: st}.Get(ctx, out.ID)
	if err != nil || rec.Status != message.StatusQueued {
		t.Fatalf("status %+v %v", rec, err)
	}

	redis.Start()
	n, err := worker.Reconcile(ctx, st, q.Queue, 3, log)
	if err != nil || n != 1 {
		t.Fatalf("reconcile after Redis came back: %d %v", n, err)
	}
	ins := asynq.NewInspector(opt)
	defer ins.Close()
	// A voice note of 26 KB: the light queue's (worker.QueueFor).
	if info, err := ins.GetTaskInfo(worker.QueueLight, out.ID); err != nil || info.State != asynq.TaskStatePending {
		t.Errorf("task of the message: %+v %v", info, err)
	}
}
