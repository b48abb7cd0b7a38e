package main

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

const token = "test-team-token-0123456789"

// startMain starts quinte in-process with the given environment and stops it when the test ends.
func startMain(t *testing.T, role config.Role, env map[string]string) *Main {
	t.Helper()
	cfg, err := config.Load("", testenv.Env(env))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m := NewMain(cfg, role, log, io.Discard)
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// realEnv is the environment of a quinte on the test's own redis-server and versitygw.
func realEnv(t *testing.T) map[string]string {
	redis := testenv.Redis(t)
	_, s3 := testenv.S3(t)
	return map[string]string{
		"QUINTE_ADDR":           "127.0.0.1:0",
		"QUINTE_DATA_DIR":       t.TempDir(),
		"QUINTE_TEAM_TOKEN":     token,
		"QUINTE_REDIS_URL":      redis.URL(),
		"QUINTE_S3_ENDPOINT":    s3.Endpoint,
		"QUINTE_S3_BUCKET":      s3.Bucket,
		"AWS_ACCESS_KEY_ID":     s3.AccessKey,
		"AWS_SECRET_ACCESS_KEY": s3.SecretKey,
	}
}

// embeddedEnv is the environment of `quinte run` on its own embedded parts (S3 on the data dir, queue
// in memory), as `make run` starts it, with the test's team token.
func embeddedEnv(t *testing.T) map[string]string {
	return map[string]string{"QUINTE_ADDR": "127.0.0.1:0", "QUINTE_DATA_DIR": t.TempDir(), "QUINTE_TEAM_TOKEN": token}
}

// uploadBackends are the parts the upload flows (multipart, tus, tus resumed after a restart) must
// work on: `quinte run`'s embedded S3 and queue, and a redis-server and versitygw of their own. Both,
// because the embedded S3 is configured in code (storage.StartEmbedded) and the standalone one by its
// command line: a tus upload once failed on the first only (issue 10).
var uploadBackends = []struct {
	name string
	env  func(*testing.T) map[string]string
}{
	{"embedded", embeddedEnv},
	{"versitygw", realEnv},
}

// forEachBackend runs test once on each of uploadBackends, as subtests.
func forEachBackend(t *testing.T, test func(t *testing.T, env map[string]string)) {
	for _, b := range uploadBackends {
		t.Run(b.name, func(t *testing.T) { test(t, b.env(t)) })
	}
}

// TestEndToEnd is the foundation's promise: a rotated phone clip uploaded by multipart and a photo by
// tus go through real Redis, real S3 and real ffmpeg, and every output downloads and plays as it should.
func TestEndToEnd(t *testing.T) {
	m := startMain(t, config.RoleRun, realEnv(t))
	c := &testenv.Client{Base: m.URL, Token: token}
	dir := t.TempDir()

	clip := testenv.Corpus(t, "video/android_portrait_4k60_h264.mp4")
	src := testenv.Probe(t, clip)
	start := time.Now()
	videoID := c.Upload(t, clip, map[string]string{"artist": "Ada", "title": "Thank you, crew", "consent": "yes"})
	photoID := c.Tus(t, testenv.Corpus(t, "image/exif-orientation/Landscape_6.jpg"), map[string]string{"filename": "../../etc/Landscape 6.jpg", "artist": "Ada"}, 100<<10)

	v := c.WaitReady(t, videoID, 3*time.Minute)
	t.Logf("upload to ready for android_portrait_4k60_h264.mp4: %s", time.Since(start).Round(time.Millisecond))
	if v.Kind != "video" {
		t.Errorf("kind = %q, want video", v.Kind)
	}

	// Every video output: downloaded by its presigned URL, portrait, H.264/AAC, no rotation flag left,
	// the source's duration.
	for _, want := range []struct {
		name         string
		w, h         int
		video, audio string
	}{
		{"rendition/720p", 720, 1280, "h264", "aac"},
		{"crop/9x16", 1080, 1920, "h264", "aac"},
		{"poster", 1080, 1920, "mjpeg", ""}, // full size: the largest rendition's (poster/640 is the small one)
	} {
		o := v.Output(t, want.name)
		path, hdr := testenv.Download(t, o.URL, dir, videoID+"-"+want.name)
		if cd := hdr.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
			t.Errorf("%s: Content-Disposition %q is not an attachment", want.name, cd)
		}
		p := testenv.Probe(t, path)
		w, h := p.DisplaySize()
		if w != want.w || h != want.h || p.Rotated() {
			t.Errorf("%s: displays %dx%d (rotation flag %v), want %dx%d upright", want.name, w, h, p.Rotated(), want.w, want.h)
		}
		if o.Width != w || o.Height != h {
			t.Errorf("%s: the API says %dx%d, the file is %dx%d", want.name, o.Width, o.Height, w, h)
		}
		vs := p.Streams[p.Stream("video")]
		if vs.CodecName != want.video {
			t.Errorf("%s: video codec %s, want %s", want.name, vs.CodecName, want.video)
		}
		if want.audio == "" {
			continue
		}
		if vs.Profile != "High" || vs.PixFmt != "yuv420p" {
			t.Errorf("%s: %s %s, want High yuv420p", want.name, vs.Profile, vs.PixFmt)
		}
		if i := p.Stream("audio"); i < 0 || p.Streams[i].CodecName != want.audio || p.Streams[i].SampleRate != "48000" || p.Streams[i].Channels != 2 {
			t.Errorf("%s: audio is not AAC 48 kHz stereo: %+v", want.name, p.Streams)
		}
		if d := math.Abs(p.Duration() - src.Duration()); d > 0.1 {
			t.Errorf("%s: duration %.3f s, source %.3f s", want.name, p.Duration(), src.Duration())
		}
		for k := range p.Format.Tags {
			if k != "major_brand" && k != "minor_version" && k != "compatible_brands" && k != "encoder" {
				t.Errorf("%s: container tag %q carried over", want.name, k)
			}
		}
		if !testenv.MoovBeforeMdat(t, path) {
			t.Errorf("%s: moov is not before mdat (no faststart)", want.name)
		}
	}

	// The four social crops of the 2160x3840 portrait, each with its mode and downloaded; the 9:16 is the
	// 1080p picture (checked above), 16:9 a fit of the whole portrait.
	for name, want := range map[string][2]int{"crop/1x1": {1080, 1080}, "crop/4x5": {1080, 1350}, "crop/16x9": {1920, 1080}} {
		o := v.Output(t, name)
		if o.Width != want[0] || o.Height != want[1] || (o.Mode != "fill" && o.Mode != "fit") {
			t.Errorf("%s: %dx%d mode %q, want %dx%d fill or fit", name, o.Width, o.Height, o.Mode, want[0], want[1])
		}
		path, _ := testenv.Download(t, o.URL, dir, videoID+"-"+name)
		if w, h := testenv.Probe(t, path).DisplaySize(); w != want[0] || h != want[1] {
			t.Errorf("%s: the file displays %dx%d, want %dx%d", name, w, h, want[0], want[1])
		}
	}

	// The photo, uploaded by tus: EXIF orientation 6 applied (stored 1200x1800, shown 1800x1200).
	ph := c.WaitReady(t, photoID, time.Minute)
	if ph.Kind != "image" {
		t.Errorf("photo kind = %q", ph.Kind)
	}
	for name, want := range map[string][2]int{"image/web": {1800, 1200}, "crop/1x1": {1080, 1080}, "crop/9x16": {1080, 1920}} {
		o := ph.Output(t, name)
		path, _ := testenv.Download(t, o.URL, dir, photoID+"-"+name)
		w, h := testenv.Probe(t, path).DisplaySize()
		if w != want[0] || h != want[1] {
			t.Errorf("photo %s: %dx%d, want %dx%d", name, w, h, want[0], want[1])
		}
	}

	// The list shows both, newest first.
	status, body, _ := c.Do(t, "GET", "/v1/messages", nil, nil)
	if status != http.StatusOK || strings.Index(string(body), photoID) > strings.Index(string(body), videoID) {
		t.Errorf("GET /v1/messages: %d, photo (newer) not listed before video: %s", status, body)
	}
	// The tus id works as a message id, and the original is in S3 under its key.
	if ok, err := m.Store.Exists(context.Background(), message.OriginalKey(photoID)); err != nil || !ok {
		t.Errorf("original of the tus upload is not at %s: %v", message.OriginalKey(photoID), err)
	}
}

// TestEmbeddedRunSurvivesRestart is `quinte run` with nothing configured: embedded queue and S3 on the
// data dir. Outputs survive a restart, and the reconciler processes an original the queue never saw.
func TestEmbeddedRunSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	env := map[string]string{"QUINTE_ADDR": "127.0.0.1:0", "QUINTE_DATA_DIR": data}

	m := startMain(t, config.RoleRun, env)
	tok, err := os.ReadFile(data + "/team-token")
	if err != nil || strings.TrimSpace(string(tok)) != m.Config.TeamToken {
		t.Fatalf("the generated team token is not kept in the data dir: %v", err)
	}
	c := &testenv.Client{Base: m.URL, Token: m.Config.TeamToken}
	if status, _, _ := (&testenv.Client{Base: m.URL}).Do(t, "GET", "/v1/messages", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", status)
	}
	first := c.WaitReady(t, c.Upload(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"), nil), 2*time.Minute)

	// An original that reached S3 but whose task was lost (the embedded queue lives in memory).
	lost := message.NewID()
	f, err := os.Open(testenv.Corpus(t, "audio/opus_stereo.opus"))
	testenv.Must(t, err)
	defer f.Close()
	ctx := context.Background()
	testenv.Must(t, m.Store.Put(ctx, message.OriginalKey(lost), f, -1, "audio/ogg"))
	testenv.Must(t, m.Store.PutJSON(ctx, message.MetaKey(lost), message.Meta{ID: lost, Kind: message.KindAudio}))
	testenv.Must(t, m.Close())

	m2 := startMain(t, config.RoleRun, env)
	c2 := &testenv.Client{Base: m2.URL, Token: m2.Config.TeamToken}
	if m2.Config.TeamToken != m.Config.TeamToken {
		t.Error("the team token changed across a restart")
	}
	again := c2.Get(t, first.ID)
	if again.Status != "ready" || len(again.Outputs) != len(first.Outputs) {
		t.Fatalf("after restart: %+v", again)
	}
	// 320x568 is below the ladder's 480: one rendition at the source's own size.
	p, _ := testenv.Download(t, again.Output(t, "rendition/source").URL, t.TempDir(), "r.mp4")
	if w, h := testenv.Probe(t, p).DisplaySize(); w != 320 || h != 568 {
		t.Errorf("iPhone 4S clip after restart: %dx%d, want 320x568 portrait", w, h)
	}
	got := c2.WaitReady(t, lost, time.Minute)
	if got.Kind != "audio" {
		t.Errorf("reconciled message kind %q", got.Kind)
	}
}
