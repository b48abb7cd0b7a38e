package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/queue"
	"github.com/quinte-media/quinte/storage"
)

// cluster is quinte deployed as on containers: `quinte api` and `quinte worker` processes built from
// this tree, on their own redis-server and versitygw, all of which a test can kill and restart.
type cluster struct {
	t       *testing.T
	bin     string
	Redis   *testenv.Server
	S3      *testenv.Server
	S3Cfg   storage.Config
	Store   *storage.Store
	Env     map[string]string
	TempDir string // the workers' scratch root
	API     *testenv.Proc
	Client  *testenv.Client
}

func newCluster(t *testing.T, env map[string]string) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: testenv.BuildQuinte(t), Redis: testenv.Redis(t), TempDir: t.TempDir()}
	c.S3, c.S3Cfg = testenv.S3(t)
	st, err := storage.New(c.S3Cfg)
	testenv.Must(t, err)
	c.Store = st
	c.Env = map[string]string{
		"QUINTE_ADDR":            "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t)),
		"QUINTE_DATA_DIR":        t.TempDir(),
		"QUINTE_TEAM_TOKEN":      token,
		"QUINTE_REDIS_URL":       c.Redis.URL(),
		"QUINTE_S3_ENDPOINT":     c.S3Cfg.Endpoint,
		"QUINTE_S3_BUCKET":       c.S3Cfg.Bucket,
		"AWS_ACCESS_KEY_ID":      c.S3Cfg.AccessKey,
		"AWS_SECRET_ACCESS_KEY":  c.S3Cfg.SecretKey,
		"QUINTE_WORKER_TEMP_DIR": c.TempDir,
		"QUINTE_RECONCILE_EVERY": "2s",
	}
	for k, v := range env {
		c.Env[k] = v
	}
	return c
}

// StartAPI runs `quinte api`.
func (c *cluster) StartAPI() *testenv.Proc {
	c.API = testenv.StartQuinte(c.t, c.bin, "api", c.Env)
	c.Client = &testenv.Client{Base: c.API.URL, Token: token, HTTP: &http.Client{Timeout: time.Minute}}
	return c.API
}

// StartWorker runs one `quinte worker`, with extra environment.
func (c *cluster) StartWorker(extra map[string]string) *testenv.Proc {
	env := map[string]string{}
	for k, v := range c.Env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return testenv.StartQuinte(c.t, c.bin, "worker", env)
}

// status reads a message's status straight from S3 (the API may be the thing that is down).
func (c *cluster) status(id string) (message.Record, error) {
	return message.States{Store: c.Store}.Get(context.Background(), id)
}

// waitStatus polls S3 until the message reaches one of the statuses.
func (c *cluster) waitStatus(id string, within time.Duration, want ...message.Status) message.Record {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		rec, err := c.status(id)
		for _, w := range want {
			if err == nil && rec.Status == w {
				return rec
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("message %s is %s (%v) after %s, want %v", id, rec.Status, err, within, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFFmpeg waits until an ffmpeg of message id runs and returns its pids.
func (c *cluster) waitFFmpeg(id string, within time.Duration) []int {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if pids := ffmpegOf(id); len(pids) > 0 {
			return pids
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no ffmpeg of message %s within %s", id, within)
	return nil
}

// ffmpegOf lists the ffmpeg and ffprobe processes working on message id (their input or outputs are
// in the job's directory, whose name holds the id).
func ffmpegOf(id string) []int {
	return testenv.Processes("quinte-job-" + id)
}

// outputs maps each output's name to its size and SHA-256, read through the manifest.
func (c *cluster) outputs(id string) map[string]string {
	c.t.Helper()
	ctx := context.Background()
	var man message.Manifest
	testenv.Must(c.t, c.Store.GetJSON(ctx, message.ManifestKey(id), &man))
	out := map[string]string{}
	for _, o := range man.Outputs {
		rc, err := c.Store.Open(ctx, o.Key, -1)
		testenv.Must(c.t, err)
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		testenv.Must(c.t, err)
		if n != o.Size {
			c.t.Errorf("%s %s: the manifest says %d bytes, S3 holds %d", id, o.Name, o.Size, n)
		}
		out[o.Name] = fmt.Sprintf("%dx%d %d bytes sha256:%s", o.Width, o.Height, n, hex.EncodeToString(h.Sum(nil))[:16])
	}
	return out
}

// sameOutputs fails the test unless two messages have the same outputs, byte for byte.
func (c *cluster) sameOutputs(a, b string) {
	c.t.Helper()
	oa, ob := c.outputs(a), c.outputs(b)
	if len(oa) == 0 || fmt.Sprint(oa) != fmt.Sprint(ob) {
		c.t.Errorf("outputs differ:\n clean run   %v\n after fault %v", oa, ob)
	}
}

// tempEmpty fails the test if a job directory is left in the workers' scratch root.
func (c *cluster) tempEmpty(after string) {
	c.t.Helper()
	entries, err := os.ReadDir(c.TempDir)
	testenv.Must(c.t, err)
	var left []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "quinte-worker.heartbeat") { // the workers' health, not a job's
			left = append(left, e.Name())
		}
	}
	if len(left) > 0 {
		c.t.Errorf("after %s the scratch root holds %v", after, left)
	}
}

// inspector reads the queue.
func (c *cluster) inspector() *asynq.Inspector {
	opt, err := asynq.ParseRedisURI(c.Redis.URL())
	testenv.Must(c.t, err)
	ins := asynq.NewInspector(opt)
	c.t.Cleanup(func() { ins.Close() })
	return ins
}

// taskState is the asynq state of message id's task ("" when there is none).
func (c *cluster) taskState(id string) (string, int) {
	info := c.taskInfo(id)
	if info == nil {
		return "", 0
	}
	return info.State.String(), info.Retried
}

// taskInfo is message id's task, in whichever queue holds it (nil when none does).
func (c *cluster) taskInfo(id string) *asynq.TaskInfo {
	for _, q := range queue.Names {
		if info, err := c.inspector().GetTaskInfo(q, id); err == nil {
			return info
		}
	}
	return nil
}

// noFFmpegOf fails the test if an ffmpeg of message id still runs.
func (c *cluster) noFFmpegOf(id, after string) {
	c.t.Helper()
	time.Sleep(300 * time.Millisecond) // the kernel delivers SIGKILL to orphans at once; let it land
	if pids := ffmpegOf(id); len(pids) > 0 {
		var lines []string
		for _, p := range pids {
			lines = append(lines, testenv.CommandLine(p))
		}
		c.t.Errorf("after %s, processes of message %s survive: %s", after, id, strings.Join(lines, "; "))
	}
}
