package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/storage"
)

// without returns a copy of env with extra set and the names in drop removed.
func without(env map[string]string, extra map[string]string, drop ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	for _, k := range drop {
		delete(out, k)
	}
	return out
}

// quinte runs the built quinte with args and env (nothing else of the test's environment but PATH and
// HOME) and returns its exit code and what it printed.
func (c *cluster) quinte(env map[string]string, args ...string) (int, string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		c.t.Fatalf("quinte %v: %v", args, err)
	}
	return 0, string(out)
}

// bucketExists asks the S3 server whether a bucket of that name exists.
func (c *cluster) bucketExists(name string) bool {
	c.t.Helper()
	cfg := c.S3Cfg
	cfg.Bucket = name
	st, err := storage.New(cfg)
	testenv.Must(c.t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = st.CheckBucket(ctx)
	if err != nil && !strings.Contains(err.Error(), storage.ErrNoBucket.Error()) {
		c.t.Fatal(err)
	}
	return err == nil
}

// A mistyped QUINTE_S3_BUCKET: api and worker refuse to start, naming the bucket, and create nothing;
// `quinte init` is what creates a bucket. A worker started on an existing but foreign bucket (one
// made by hand, or by an older quinte) does not tell the artist to upload again: the message's job
// fails on the worker's side, asynq archives it (no retries here), and the API's reconciler, which
// sees the right bucket, marks the message failed within one tick with the task's last error, which
// names the wrong bucket.
func TestMistypedBucket(t *testing.T) {
	c := newCluster(t, map[string]string{"QUINTE_WORKER_MAX_RETRY": "0"}) // the API's setting goes with the task
	c.StartAPI()
	typo := map[string]string{"QUINTE_S3_BUCKET": "quinte-typo"}
	for _, role := range []string{"worker", "api"} {
		code, out := c.quinte(without(c.Env, typo, "QUINTE_ADDR"), role)
		if code == 0 || !strings.Contains(out, `no bucket "quinte-typo"`) || !strings.Contains(out, "QUINTE_S3_BUCKET") {
			t.Errorf("quinte %s on a missing bucket: exit %d, %s", role, code, out)
		}
	}
	if c.bucketExists("quinte-typo") {
		t.Fatal("a refused api or worker created the mistyped bucket")
	}
	if code, out := c.quinte(without(c.Env, typo, "QUINTE_ADDR"), "init"); code != 0 || !c.bucketExists("quinte-typo") {
		t.Fatalf("quinte init: exit %d, %s", code, out)
	}
	if code, out := c.quinte(without(c.Env, typo, "QUINTE_ADDR"), "init"); code != 0 {
		t.Errorf("quinte init on an existing bucket: exit %d, %s", code, out)
	}

	w := c.StartWorker(typo)
	id := c.Client.Upload(t, testenv.Corpus(t, "audio/opus_stereo.opus"), nil)
	rec := c.waitStatus(id, 30*time.Second, message.StatusFailed)
	if rec.Error == nil || rec.Error.Code == "original_missing" || !strings.Contains(rec.Error.Message, "quinte-typo") {
		t.Errorf("the message's failure does not say the worker looks at the wrong bucket: %+v", rec.Error)
	}
	if state, _ := c.taskState(id); state != "archived" {
		t.Errorf("task state %q, want archived", state)
	}
	if ok, _ := c.Store.Exists(context.Background(), message.OriginalKey(id)); !ok {
		t.Error("the original is gone")
	}
	cfg := c.S3Cfg
	cfg.Bucket = "quinte-typo"
	wrong, err := storage.New(cfg)
	testenv.Must(t, err)
	if keys, err := wrong.List(context.Background(), ""); err != nil || len(keys) != 0 {
		t.Errorf("the worker wrote %v into the wrong bucket (%v)", keys, err)
	}
	if !strings.Contains(w.LogText(), "is QUINTE_S3_BUCKET the one the API uses?") {
		t.Error("the worker's log does not say what is wrong")
	}
}

// A task archived behind the record's back (asynq gave up on it, the handler never said why) ends its
// message failed within one reconciler tick, and the reconciler then leaves it alone.
func TestArchivedTaskFailsItsMessage(t *testing.T) {
	c := newCluster(t, nil) // QUINTE_RECONCILE_EVERY is 2 s; no worker
	c.StartAPI()
	id := c.Client.Upload(t, testenv.Corpus(t, "audio/opus_stereo.opus"), nil)
	info := c.taskInfo(id)
	if info == nil {
		t.Fatal("the upload has no task")
	}
	testenv.Must(t, c.inspector().ArchiveTask(info.Queue, id))
	archived := time.Now()
	rec := c.waitStatus(id, 15*time.Second, message.StatusFailed)
	if rec.Error == nil || rec.Error.Code != "processing_failed" {
		t.Errorf("error %+v", rec.Error)
	}
	t.Logf("failed %s after the task was archived (one tick is 2 s)", time.Since(archived).Round(100*time.Millisecond))
	time.Sleep(5 * time.Second) // two more ticks
	if again, _ := c.status(id); again.Status != message.StatusFailed || !again.UpdatedAt.Equal(rec.UpdatedAt) {
		t.Errorf("the reconciler touched the failed message again: %+v", again)
	}
	if state, _ := c.taskState(id); state != "archived" {
		t.Errorf("task %q: the reconciler requeued a failed message", state)
	}
}

// A job whose worker is killed every time (kill -9 mid-ffmpeg) is not retried forever: after
// QUINTE_WORKER_MAX_RETRY + 1 deaths the message is failed with crashed_worker and stays so. Split
// roles on redis-server: asynq archives the task after the second lost lease (max retry 1), and the
// reconciler reads the crash from the record.
func TestJobThatKillsItsWorkerEndsFailed(t *testing.T) {
	// A generous stall timeout: on a loaded machine the watchdog must not end the job before the kill.
	c := newCluster(t, map[string]string{"QUINTE_WORKER_MAX_RETRY": "1", "QUINTE_STALL_TIMEOUT": "5m"})
	c.StartAPI()
	clip := testenv.LongClip(t, t.TempDir(), 20)
	id := c.Client.Upload(t, clip, nil)
	for try := 1; try <= 2; try++ {
		w := c.StartWorker(nil)
		c.waitFFmpeg(id, 4*time.Minute)
		w.Kill()
		c.noFFmpegOf(id, "SIGKILL of its worker")
		rec, _ := c.status(id)
		if rec.Status != message.StatusProcessing || rec.Running == "" || rec.Crashes != try-1 || rec.Attempts != try {
			t.Fatalf("after kill %d: %+v", try, rec)
		}
	}
	c.StartWorker(nil) // asynq's recoverer runs in a live worker
	rec := c.waitStatus(id, 4*time.Minute, message.StatusFailed)
	if rec.Error == nil || rec.Error.Code != "crashed_worker" || rec.Crashes != 2 || rec.Running != "" {
		t.Fatalf("after two deaths: %+v %+v", rec, rec.Error)
	}
	time.Sleep(5 * time.Second)
	if len(ffmpegOf(id)) > 0 {
		t.Error("the failed message was run again")
	}
	if again, _ := c.status(id); again.Status != message.StatusFailed {
		t.Errorf("the reconciler brought it back: %+v", again)
	}
}

// The same in `quinte run`, whose embedded queue forgets everything at each restart: the count of
// deaths lives in the message's record in S3, so the restarted process fails the message instead of
// running it (and dying) again.
func TestJobThatKillsQuinteRunEndsFailed(t *testing.T) {
	bin := testenv.BuildQuinte(t)
	addr := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	env := map[string]string{
		"QUINTE_ADDR": addr, "QUINTE_DATA_DIR": t.TempDir(), "QUINTE_TEAM_TOKEN": token,
		"QUINTE_WORKER_TEMP_DIR": t.TempDir(), "QUINTE_WORKER_MAX_RETRY": "1", "QUINTE_RECONCILE_EVERY": "2s",
		"QUINTE_STALL_TIMEOUT": "5m",
	}
	clip := testenv.LongClip(t, t.TempDir(), 20)
	p := testenv.StartQuinte(t, bin, "run", env)
	client := &testenv.Client{Base: p.URL, Token: token}
	id := client.Upload(t, clip, nil)
	waitFF := func() {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for len(ffmpegOf(id)) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("no ffmpeg of %s within 3m:\n%s", id, p.LogText())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for try := 1; try <= 2; try++ {
		waitFF()
		p.Kill()
		time.Sleep(300 * time.Millisecond)
		if pids := ffmpegOf(id); len(pids) > 0 {
			t.Fatalf("ffmpeg survived the kill of quinte run: %v", pids)
		}
		p = testenv.StartQuinte(t, bin, "run", env)
		client.Base = p.URL
	}
	// The second restart finds two deaths for max retry 1: failed, not run.
	deadline := time.Now().Add(time.Minute)
	var m *testenv.Message
	for {
		m = client.Get(t, id)
		if m.Status == string(message.StatusFailed) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if m.Status != string(message.StatusFailed) || m.Error == nil || m.Error.Code != "crashed_worker" {
		t.Fatalf("after two deaths of quinte run the message is %s %+v", m.Status, m.Error)
	}
	time.Sleep(5 * time.Second) // two reconciler ticks
	if len(ffmpegOf(id)) > 0 || client.Get(t, id).Status != string(message.StatusFailed) {
		t.Error("the failed message was run again")
	}
	if p.Exited() {
		t.Error("quinte run died again")
	}
}

// `quinte health` is each role's readiness: the API's /readyz (Redis and S3), the worker's heartbeat
// (Redis, S3, asynq lists it active). With Redis down both fail, naming it, while /healthz (liveness)
// stays 200; once Redis is back both pass; a killed worker's heartbeat goes stale and fails.
func TestHealthReportsReadiness(t *testing.T) {
	c := newCluster(t, nil)
	c.StartAPI()
	w := c.StartWorker(nil)
	health := func(role string) (int, string) {
		return c.quinte(c.Env, "health", role)
	}
	waitHealth := func(role string, ok bool, within time.Duration) string {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			code, out := health(role)
			if (code == 0) == ok {
				return out
			}
			if time.Now().After(deadline) {
				t.Fatalf("quinte health %s: exit %d after %s, want ok=%v: %s", role, code, within, ok, out)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	waitHealth("api", true, 10*time.Second)
	if out := waitHealth("worker", true, 20*time.Second); !strings.Contains(out, "ready") {
		t.Errorf("worker health says %q", out)
	}

	c.Redis.Stop()
	if out := waitHealth("worker", false, 20*time.Second); !strings.Contains(out, "queue") {
		t.Errorf("worker health with Redis down: %s", out)
	}
	if out := waitHealth("api", false, 10*time.Second); !strings.Contains(out, "queue") {
		t.Errorf("api health with Redis down: %s", out)
	}
	if code, _, _ := c.Client.Do(t, "GET", "/healthz", nil, nil); code != 200 {
		t.Errorf("/healthz with Redis down: %d (liveness must stay cheap)", code)
	}
	c.Redis.Start()
	waitHealth("worker", true, 30*time.Second)
	waitHealth("api", true, 10*time.Second)

	w.Kill()
	if out := waitHealth("worker", false, 30*time.Second); !strings.Contains(out, "hung or gone") {
		t.Errorf("health of a killed worker: %s", out)
	}
}
