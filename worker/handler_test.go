package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/configs"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/queue"
	"github.com/quinte-media/quinte/storage"
)

// rig is a handler on real S3 and the real pipeline, with its own temp root.
type rig struct {
	store   *storage.Store
	h       *Handler
	cfg     Config
	tempDir string
}

func newRig(t *testing.T, pcfg func(*pipeline.Config)) *rig {
	t.Helper()
	_, s3 := testenv.S3(t)
	st, err := storage.New(s3)
	testenv.Must(t, err)
	pc := pipeline.Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23, MaxPhotoPixels: 50_000_000, StallTimeout: time.Minute}
	if pcfg != nil {
		pcfg(&pc)
	}
	cfg := Config{Concurrency: 1, MaxRetry: 3, ShutdownTimeout: 5 * time.Second, MaxJobTime: time.Hour, TempDir: t.TempDir(), ReconcileEvery: time.Minute}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	campaigns, err := brand.LoadCatalogue(configs.Campaigns(), "")
	testenv.Must(t, err)
	pipe := pipeline.New(pc, pipeline.Parts{Campaigns: campaigns}, log)
	return &rig{store: st, h: NewHandler(st, pipe, cfg, log), cfg: cfg, tempDir: cfg.TempDir}
}

// seed stores an original and its records as the API would, and returns the message id.
func (r *rig) seed(t *testing.T, path string, kind message.Kind) string {
	t.Helper()
	return testenv.Seed(t, r.store, path, kind)
}

func (r *rig) run(ctx context.Context, t *testing.T, id string) error {
	t.Helper()
	task, err := queue.NewTask(message.Meta{ID: id}, r.cfg.Limits())
	testenv.Must(t, err)
	return r.h.ProcessTask(ctx, task)
}

func (r *rig) status(t *testing.T, id string) message.Record {
	t.Helper()
	rec, err := message.States{Store: r.store}.Get(context.Background(), id)
	testenv.Must(t, err)
	return rec
}

// tempEmpty fails the test if anything is left under the temp root.
func (r *rig) tempEmpty(t *testing.T, after string) {
	t.Helper()
	entries, err := os.ReadDir(r.tempDir)
	testenv.Must(t, err)
	if len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after %s the temp root holds %v", after, names)
	}
}

// waitForProcess waits until a process whose command line contains s, and each of also, runs, and
// returns its pids.
func waitForProcess(t *testing.T, s string, within time.Duration, also ...string) []int {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var pids []int
		for _, p := range testenv.Processes(s) {
			cmd := testenv.CommandLine(p)
			if !slices.ContainsFunc(also, func(a string) bool { return !strings.Contains(cmd, a) }) {
				pids = append(pids, p)
			}
		}
		if len(pids) > 0 {
			return pids
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no process with %q and %q in its command line within %s", s, also, within)
	return nil
}

// Each job's scratch directory is removed whether the job succeeds, fails on bad input, or is
// cancelled mid-ffmpeg; cancelling also stops that job's ffmpeg, and does not mark the message failed.
func TestJobDirectoryRemovedOnEveryExit(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()

	ok := r.seed(t, testenv.Corpus(t, "audio/opus_stereo.opus"), message.KindAudio)
	if err := r.run(ctx, t, ok); err != nil || r.status(t, ok).Status != message.StatusReady {
		t.Fatalf("success case: %v, %+v", err, r.status(t, ok))
	}
	r.tempEmpty(t, "a job that succeeded")

	bad := r.seed(t, testenv.Corpus(t, "malformed/corrupt_ebml_header.mkv"), message.KindVideo)
	if err := r.run(ctx, t, bad); !errors.Is(err, asynq.SkipRetry) || r.status(t, bad).Status != message.StatusFailed {
		t.Fatalf("bad input: %v, %+v", err, r.status(t, bad))
	}
	r.tempEmpty(t, "a job that failed")

	long := r.seed(t, testenv.LongClip(t, t.TempDir(), 20), message.KindVideo)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.run(cctx, t, long) }()
	// The main pass (it writes the renditions), not one of the short probes and analyses before it,
	// which may be gone by the time their command lines are read.
	pids := waitForProcess(t, "quinte-job-"+long, 2*time.Minute, "rendition_")
	var cmdlines []string
	for _, p := range testenv.Processes("quinte-job-" + long) {
		cmdlines = append(cmdlines, testenv.CommandLine(p))
	}
	cancel()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, asynq.SkipRetry) {
			t.Errorf("cancelled job returned %v; want a plain error (asynq retries it)", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the cancelled job did not return")
	}
	if left := testenv.Processes("quinte-job-" + long); len(left) != 0 {
		t.Errorf("ffmpeg of the cancelled job still runs: %v (was %v: %v)", left, pids, cmdlines)
	}
	if s := r.status(t, long).Status; s == message.StatusFailed || s == message.StatusReady {
		t.Errorf("a cancelled job left the message %s", s)
	}
	if !strings.Contains(strings.Join(cmdlines, "\n"), "ffmpeg") {
		t.Errorf("the process seen was not ffmpeg: %v", cmdlines)
	}
	r.tempEmpty(t, "a cancelled job")
}

// Scratch directories of jobs whose worker died are swept; a live job's is kept.
func TestSweepRemovesOnlyDeadJobsDirectories(t *testing.T) {
	root := t.TempDir()
	live, err := newJobDir(root, message.NewID())
	testenv.Must(t, err)
	defer live.Remove()
	// A dead worker's directory: its lock file exists but nobody holds the lock.
	dead := filepath.Join(root, jobDirPrefix+message.NewID()+"-1")
	testenv.Must(t, os.MkdirAll(dead, 0o700))
	testenv.Must(t, os.WriteFile(filepath.Join(dead, lockName), nil, 0o600))
	testenv.Must(t, os.WriteFile(filepath.Join(dead, "rendition_720p.mp4"), make([]byte, 1<<20), 0o600))
	// Someone else's directory, and a job directory being created right now (no lock file yet).
	other := filepath.Join(root, "not-ours")
	testenv.Must(t, os.MkdirAll(other, 0o700))
	young := filepath.Join(root, jobDirPrefix+message.NewID()+"-2")
	testenv.Must(t, os.MkdirAll(young, 0o700))

	if n := SweepJobDirs(root, slog.New(slog.NewTextHandler(io.Discard, nil))); n != 1 {
		t.Errorf("swept %d directories, want 1", n)
	}
	for p, want := range map[string]bool{live.Path: true, dead: false, other: true, young: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists=%v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// A stall watchdog stops an ffmpeg that reports progress and then hangs (ignoring SIGINT, with a
// child that ignores it too): the job fails with a reason, and no process of it survives.
func TestStalledFFmpegIsStoppedWithItsGroup(t *testing.T) {
	dir := t.TempDir()
	// A sleep length no other process uses names the fake's processes (a command line is all /proc
	// shows of them).
	marker := fmt.Sprintf("%d.%09d", 600+os.Getpid()%1000, time.Now().Nanosecond())
	fake := filepath.Join(dir, "ffmpeg")
	script := fmt.Sprintf(`#!/bin/sh
# Says it made progress once, then hangs, deaf to SIGINT, with a child as deaf.
trap '' INT
printf 'frame=1\nout_time_us=40000\nspeed=1x\nprogress=continue\n'
sh -c 'trap "" INT; exec sleep %s' &
sleep %s
`, marker, marker)
	testenv.Must(t, os.WriteFile(fake, []byte(script), 0o755))
	r := newRig(t, func(c *pipeline.Config) { c.FFmpeg, c.StallTimeout = fake, 2*time.Second })
	id := r.seed(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"), message.KindVideo)

	done := make(chan error, 1)
	go func() { done <- r.run(context.Background(), t, id) }()
	if n := len(waitForProcess(t, "sleep "+marker, time.Minute)); n == 0 {
		t.Fatal("the fake ffmpeg did not start")
	}
	err := <-done
	rec := r.status(t, id)
	if !errors.Is(err, asynq.SkipRetry) || rec.Status != message.StatusFailed || rec.Error == nil || rec.Error.Code != "stalled" {
		t.Errorf("stalled job: %v, %+v", err, rec)
	}
	time.Sleep(200 * time.Millisecond)
	if left := testenv.Processes("sleep " + marker); len(left) != 0 {
		var lines []string
		for _, p := range left {
			lines = append(lines, testenv.CommandLine(p))
		}
		t.Errorf("processes of the stalled ffmpeg survive: %v", lines)
		for _, p := range left {
			if pr, err := os.FindProcess(p); err == nil {
				_ = pr.Kill()
			}
		}
	}
	r.tempEmpty(t, "a stalled job")
}

// The same task delivered twice, at the same time, gives the same result as once: the same outputs,
// byte for byte, and a ready message.
func TestSameTaskTwiceAtOnce(t *testing.T) {
	r := newRig(t, nil)
	clip := testenv.Corpus(t, "video/iphone4s_h264_rotated.mov")
	once := r.seed(t, clip, message.KindVideo)
	testenv.Must(t, r.run(context.Background(), t, once))
	twice := r.seed(t, clip, message.KindVideo)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = r.run(context.Background(), t, twice) }()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent deliveries: %v", errs)
	}
	if s := r.status(t, twice).Status; s != message.StatusReady {
		t.Fatalf("status %s", s)
	}
	a, b := r.outputs(t, once), r.outputs(t, twice)
	if len(a) == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("outputs differ:\n once  %v\n twice %v", a, b)
	}
	r.tempEmpty(t, "two deliveries")
}

// outputs maps each output's name to its size and SHA-256, read from S3 through the manifest.
func (r *rig) outputs(t *testing.T, id string) map[string]string {
	t.Helper()
	ctx := context.Background()
	var man message.Manifest
	testenv.Must(t, r.store.GetJSON(ctx, message.ManifestKey(id), &man))
	out := map[string]string{}
	for _, o := range man.Outputs {
		rc, err := r.store.Open(ctx, o.Key, -1)
		testenv.Must(t, err)
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		testenv.Must(t, err)
		if n != o.Size {
			t.Errorf("%s: manifest says %d bytes, S3 has %d", o.Name, o.Size, n)
		}
		out[o.Name] = fmt.Sprintf("%d:%s", n, hex.EncodeToString(h.Sum(nil))[:16])
	}
	return out
}

// The message's campaign and captions reach the pipeline: the captions stored next to the original are
// published as caption/vtt; a campaign that does not exist, or captions that are not in storage, fail
// the message with a code.
func TestCampaignAndCaptionsFromTheMeta(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	seed := func(campaign string, captions bool) string {
		id := r.seed(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"), message.KindVideo)
		meta := message.Meta{ID: id, Kind: message.KindVideo, Artist: "Ada", Campaign: campaign}
		if captions {
			meta.Captions = message.OriginalsPrefix + id + "/captions"
		}
		testenv.Must(t, r.store.PutJSON(ctx, message.MetaKey(id), meta))
		return id
	}
	ok := seed("example", true)
	srt := "1\n00:00:00,100 --> 00:00:01,500\nGrazie\n"
	testenv.Must(t, r.store.Put(ctx, message.OriginalsPrefix+ok+"/captions", strings.NewReader(srt), int64(len(srt)), "text/plain"))
	if err := r.run(ctx, t, ok); err != nil {
		t.Fatal(err)
	}
	var man message.Manifest
	testenv.Must(t, r.store.GetJSON(ctx, message.ManifestKey(ok), &man))
	found := false
	for _, o := range man.Outputs {
		if o.Name == "caption/vtt" {
			found = true
			b, err := r.store.Open(ctx, o.Key, -1)
			testenv.Must(t, err)
			vtt, _ := io.ReadAll(b)
			b.Close()
			if !strings.HasPrefix(string(vtt), "WEBVTT") || !strings.Contains(string(vtt), "Grazie") {
				t.Errorf("caption/vtt holds %q", vtt)
			}
		}
	}
	if !found {
		t.Errorf("no caption/vtt among %d outputs", len(man.Outputs))
	}

	for id, code := range map[string]string{seed("no-such-campaign", false): "unknown_campaign", seed("", true): "captions_missing"} {
		if err := r.run(ctx, t, id); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%s: %v, want a failure without retry", code, err)
		}
		if rec := r.status(t, id); rec.Status != message.StatusFailed || rec.Error == nil || rec.Error.Code != code {
			t.Errorf("status %+v, want failed with %s", rec, code)
		}
	}
}
