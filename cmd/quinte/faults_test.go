package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/queue"
)

// watchNoEarlyReady polls a message until stop is closed, a time during which no job works on it, and
// reports it if the message is ever seen ready or its manifest present.
func watchNoEarlyReady(c *cluster, id string, stop <-chan struct{}) <-chan string {
	bad := make(chan string, 1)
	go func() {
		defer close(bad)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			rec, err := c.status(id)
			manifest, _ := c.Store.Exists(context.Background(), message.ManifestKey(id))
			if (err == nil && rec.Status == message.StatusReady) || manifest {
				bad <- "message " + id + " looked ready (status " + string(rec.Status) + ", manifest " + map[bool]string{true: "present", false: "absent"}[manifest] + ") while its job was dead"
				return
			}
		}
	}()
	return bad
}

// SIGKILL the worker in the middle of a transcode: ffmpeg dies with it, nothing is published, and a new
// worker redoes the job once asynq sees the lease expire. The message ends ready with the outputs of a
// clean run, byte for byte, and the dead job's scratch directory is swept.
func TestWorkerKilledMidTranscode(t *testing.T) {
	c := newCluster(t, nil)
	c.StartAPI()
	w1 := c.StartWorker(nil)
	clip := testenv.LongClip(t, t.TempDir(), 10)

	clean := c.Client.Upload(t, clip, nil)
	c.Client.WaitReady(t, clean, 3*time.Minute)

	id := c.Client.Upload(t, clip, nil)
	c.waitFFmpeg(id, 2*time.Minute)
	time.Sleep(2 * time.Second) // well into the transcode
	w1.Kill()
	killed := time.Now()
	c.noFFmpegOf(id, "SIGKILL of its worker")

	// From now until a worker picks the job up again, nothing may look ready.
	stop := make(chan struct{})
	bad := watchNoEarlyReady(c, id, stop)
	time.Sleep(time.Second)
	if rec, _ := c.status(id); rec.Status != message.StatusProcessing {
		t.Errorf("after the kill the message is %s, want processing", rec.Status)
	}
	if state, _ := c.taskState(id); state != "active" {
		t.Errorf("after the kill the task is %q, want active (its lease not yet expired)", state)
	}

	// A new worker, as an orchestrator would start right away.
	c.StartWorker(nil)
	c.waitFFmpeg(id, 4*time.Minute)
	pickedUp := time.Since(killed)
	close(stop)
	if msg := <-bad; msg != "" {
		t.Error(msg)
	}
	c.Client.WaitReady(t, id, 2*time.Minute)
	if rec, _ := c.status(id); rec.Crashes != 1 || rec.Attempts != 2 || rec.Running != "" {
		t.Errorf("after one death and a recovery the record counts %d crashes in %d attempts (running %q), want 1 in 2", rec.Crashes, rec.Attempts, rec.Running)
	}
	t.Logf("recovery after SIGKILL: the job restarted %s after the kill and was ready %s after it", pickedUp.Round(time.Second), time.Since(killed).Round(time.Second))
	c.sameOutputs(clean, id)
	c.tempEmpty("the recovered job")
}

// SIGTERM: a job that finishes within QUINTE_WORKER_SHUTDOWN_TIMEOUT completes before the worker
// exits; one that cannot is put back in the queue unchanged (no retry spent), its ffmpeg is stopped
// and its scratch directory removed, and the next worker completes it.
func TestWorkerSIGTERM(t *testing.T) {
	c := newCluster(t, nil)
	c.StartAPI()
	clip := testenv.LongClip(t, t.TempDir(), 10)

	// Graceful: the job fits in the window.
	w := c.StartWorker(map[string]string{"QUINTE_WORKER_SHUTDOWN_TIMEOUT": "3m"})
	id := c.Client.Upload(t, clip, nil)
	c.waitFFmpeg(id, 2*time.Minute)
	w.Signal(syscall.SIGTERM)
	if code := w.Wait(4 * time.Minute); code != 0 {
		t.Errorf("worker exit code %d after SIGTERM", code)
	}
	if rec, _ := c.status(id); rec.Status != message.StatusReady {
		t.Errorf("the job was running at SIGTERM and fit in the window, but the message is %s", rec.Status)
	}

	// Not graceful: the window is 1 s.
	w = c.StartWorker(map[string]string{"QUINTE_WORKER_SHUTDOWN_TIMEOUT": "1s"})
	id2 := c.Client.Upload(t, clip, nil)
	c.waitFFmpeg(id2, 2*time.Minute)
	time.Sleep(time.Second)
	w.Signal(syscall.SIGTERM)
	sent := time.Now()
	if code := w.Wait(time.Minute); code != 0 {
		t.Errorf("worker exit code %d after SIGTERM", code)
	}
	t.Logf("worker exited %s after SIGTERM with a 1s shutdown window", time.Since(sent).Round(100*time.Millisecond))
	c.noFFmpegOf(id2, "the worker's graceful exit")
	c.tempEmpty("SIGTERM")
	if state, retried := c.taskState(id2); state != "pending" || retried != 0 {
		t.Errorf("after SIGTERM the task is %q with %d retries, want pending with 0", state, retried)
	}
	// The message says it is back in the queue, since when and why, and counts no crash.
	if rec, _ := c.status(id2); rec.Status != message.StatusQueued || !strings.Contains(rec.Note, "given back to the queue") ||
		rec.UpdatedAt.Before(sent) || rec.Running != "" || rec.Crashes != 0 {
		t.Errorf("after SIGTERM the message is %s (note %q, updated %s, SIGTERM at %s, running %q, crashes %d), want queued with a note",
			rec.Status, rec.Note, rec.UpdatedAt, sent.UTC(), rec.Running, rec.Crashes)
	}
	if m := c.Client.Get(t, id2); m.Status != string(message.StatusQueued) {
		t.Errorf("the API says %s after SIGTERM", m.Status)
	}
	c.StartWorker(nil)
	c.Client.WaitReady(t, id2, 3*time.Minute)
	c.sameOutputs(id, id2)
}

// FLUSHALL: Redis loses every task, queued and running. The reconciler refills the queue from S3 and
// every message ends ready.
func TestRedisFlushedLosesNothing(t *testing.T) {
	c := newCluster(t, nil)
	c.StartAPI()
	var ids []string
	for _, f := range []string{"audio/opus_stereo.opus", "image/progressive_faces_840x700.jpg", "video/iphone4s_h264_rotated.mov"} {
		ids = append(ids, c.Client.Upload(t, testenv.Corpus(t, f), nil))
	}
	// No worker yet: three tasks wait in Redis. Flush them.
	if got := c.Redis.Command(t, "FLUSHALL"); got != "+OK" {
		t.Fatal(got)
	}
	// And one whose task is running when Redis is flushed.
	w := c.StartWorker(nil)
	long := c.Client.Upload(t, testenv.LongClip(t, t.TempDir(), 5), nil)
	c.waitFFmpeg(long, 2*time.Minute)
	if got := c.Redis.Command(t, "FLUSHALL"); got != "+OK" {
		t.Fatal(got)
	}
	for _, id := range append(ids, long) {
		c.Client.WaitReady(t, id, 3*time.Minute)
	}
	if w.Exited() {
		t.Error("the worker died when Redis was flushed")
	}
}

// S3 goes away for 30 s just as a job publishes: the worker keeps its outputs and retries, and the
// message ends ready. Uploads during the outage get 503 and leave no task behind.
func TestStorageDownDuringPublish(t *testing.T) {
	c := newCluster(t, nil)
	c.StartAPI()
	w := c.StartWorker(nil)
	clean := c.Client.Upload(t, testenv.LongClip(t, t.TempDir(), 4), nil)
	c.Client.WaitReady(t, clean, 3*time.Minute)
	id := c.Client.Upload(t, testenv.LongClip(t, t.TempDir(), 4), nil)

	// The moment ffmpeg is done, the job verifies and publishes: take S3 away then. Done means the
	// finishing pass (the one that writes the preview) has run: between the earlier passes there are
	// moments with no ffmpeg too, and an outage there would end before the job publishes.
	c.waitFFmpeg(id, 2*time.Minute)
	deadline := time.Now().Add(2 * time.Minute)
	for !finishing(id) {
		if time.Now().After(deadline) {
			t.Fatal("the finishing pass did not start within 2 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for len(ffmpegOf(id)) > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	c.S3.Stop()
	down := time.Now()
	status, body := c.Client.MultipartBytes(t, "during-outage.opus", mustRead(t, testenv.Corpus(t, "audio/opus_stereo.opus")), nil)
	if status != http.StatusServiceUnavailable {
		t.Errorf("upload while S3 is down: %d %s", status, body)
	}
	time.Sleep(30*time.Second - time.Since(down))
	c.S3.Start()
	rec := c.waitStatus(id, 3*time.Minute, message.StatusReady, message.StatusFailed)
	if rec.Status != message.StatusReady {
		t.Fatalf("after a 30 s S3 outage the message is %s: %+v", rec.Status, rec.Error)
	}
	t.Logf("ready %s after S3 came back", time.Since(down.Add(30*time.Second)).Round(time.Second))
	if !strings.Contains(w.LogText(), "storage step failed; trying again") {
		t.Error("the worker never had to retry publishing: the outage missed the publish")
	}
	c.sameOutputs(clean, id)
	pending, _ := c.inspector().ListPendingTasks("media")
	if len(pending) != 0 {
		t.Errorf("%d tasks pending after the outage (the refused upload must leave none)", len(pending))
	}
}

// finishing says whether the finishing pass of message id runs: an ffmpeg of its job writing the preview.
func finishing(id string) bool {
	for _, pid := range ffmpegOf(id) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && bytes.Contains(b, []byte("preview_mp4")) {
			return true
		}
	}
	return false
}

// Redis down: an upload gets 503 before anything is stored (multipart and tus), and works again once
// Redis is back.
func TestRedisDownRefusesUploads(t *testing.T) {
	c := newCluster(t, nil)
	c.StartAPI()
	opus := mustRead(t, testenv.Corpus(t, "audio/opus_stereo.opus"))
	c.Redis.Stop()
	status, body := c.Client.MultipartBytes(t, "a.opus", opus, nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "queue_unavailable") {
		t.Errorf("multipart with Redis down: %d %s", status, body)
	}
	if status, body := c.Client.TusBytes(t, opus, nil, 8<<10); status != http.StatusServiceUnavailable {
		t.Errorf("tus with Redis down: %d %s", status, body)
	}
	for _, prefix := range []string{message.OriginalsPrefix, message.MessagesPrefix, "uploads/"} {
		if keys, err := c.Store.List(context.Background(), prefix); err != nil || len(keys) != 0 {
			t.Errorf("refused uploads stored %v under %s (%v)", keys, prefix, err)
		}
	}
	resp, err := http.Get(c.API.URL + "/readyz")
	testenv.Must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis down: %d", resp.StatusCode)
	}
	c.Redis.Start()
	c.StartWorker(nil)
	c.Client.WaitReady(t, c.Client.Upload(t, testenv.Corpus(t, "audio/opus_stereo.opus"), nil), 2*time.Minute)
}

// A worker runs one job per two cores by default (each ffmpeg pass already uses every core), and what
// QUINTE_WORKER_CONCURRENCY says otherwise; asynq reports what the running process really uses. The
// cores are those the process may use (GOMAXPROCS, which follows a container's CPU limit), not the
// host's: GOMAXPROCS=6 on this machine means 3 slots whatever its cores. A misspelt setting is
// warned about with the name it meant, and the start-up line says what runs.
func TestWorkerConcurrencyFitsTheCores(t *testing.T) {
	c := newCluster(t, nil)
	for _, tc := range []struct {
		env, procs string
		want       int
	}{{"", "", max(1, runtime.GOMAXPROCS(0)/2)}, {"", "6", 3}, {"3", "", 3}} {
		w := c.StartWorker(map[string]string{"QUINTE_WORKER_CONCURRENCY": tc.env, "GOMAXPROCS": tc.procs, "QUINTE_WORKER_CONCURENCY": "4"})
		deadline := time.Now().Add(30 * time.Second)
		got := -1
		for got < 0 && time.Now().Before(deadline) {
			servers, _ := c.inspector().Servers()
			for _, s := range servers {
				if _, heavy := s.Queues[queue.Heavy]; s.PID == w.Pid() && heavy {
					got = s.Concurrency
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got != tc.want {
			t.Errorf("QUINTE_WORKER_CONCURRENCY=%q GOMAXPROCS=%q on %d cores: the worker runs %d jobs at once, want %d", tc.env, tc.procs, runtime.NumCPU(), got, tc.want)
		}
		log := w.LogText()
		if !strings.Contains(log, "QUINTE_WORKER_CONCURENCY (did you mean QUINTE_WORKER_CONCURRENCY?)") {
			t.Errorf("no warning about the misspelt setting:\n%s", log)
		}
		// A worker logs JSON unless QUINTE_LOG_FORMAT says otherwise (internal/logs).
		if !strings.Contains(log, `"msg":"quinte started","role":"worker"`) || !strings.Contains(log, `"concurrency":`+strconv.Itoa(tc.want)+`,`) ||
			!strings.Contains(log, `"bucket":"`+c.S3Cfg.Bucket+`"`) || strings.Contains(log, c.S3Cfg.SecretKey) {
			t.Errorf("the start-up line does not say what runs (or shows a secret):\n%s", log)
		}
		w.Signal(syscall.SIGTERM)
		w.Wait(time.Minute)
	}
}
