package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/logs"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/queue"
)

// A video uploaded by multipart and a photo by tus, both by an invite: the metrics listener (a port of
// its own) then shows both jobs ready with their kinds, the video's steps and realtime factor, the
// upload requests and their bytes by protocol, and the queue's own counts of both queues. The JSON
// log of the same run has message_id and task_id on every line written while the jobs ran (the
// pipeline's debug lines included), an access line per request, and not one occurrence of the
// invite's token, not even from a request that carries it in its path and query.
func TestMetricsAndJobLogs(t *testing.T) {
	forEachBackend(t, testMetricsAndJobLogs)
}

func testMetricsAndJobLogs(t *testing.T, env map[string]string) {
	env["QUINTE_METRICS_ADDR"] = "127.0.0.1:0"
	env["QUINTE_RECONCILE_EVERY"] = "1h" // no reconciler pass while the jobs run: every line is theirs or HTTP's
	var out lockedBuffer
	m := startMainLog(t, config.RoleRun, env, logs.New(io.MultiWriter(&out, testWriter{t}), logs.JSON, slog.LevelDebug))
	if m.MetricsURL == "" || strings.Contains(m.MetricsURL, strings.TrimPrefix(m.URL, "http://")) {
		t.Fatalf("metrics at %q, API at %q: want a listener of their own", m.MetricsURL, m.URL)
	}
	team := &testenv.Client{Base: m.URL, Token: token}
	_, invTok := createInvite(t, team, `{"max_uploads":3}`)
	artist := &testenv.Client{Base: m.URL, Token: invTok}

	clip := testenv.Corpus(t, "video/iphone4s_h264_rotated.mov")
	photo := testenv.Corpus(t, "image/exif-orientation/Landscape_6.jpg")
	mark := out.Len()
	videoID := artist.Upload(t, clip, testenv.ArtistFields(nil))
	photoID := artist.Tus(t, photo, testenv.ArtistFields(map[string]string{"filename": "p.jpg"}), 64<<10)
	artist.WaitReady(t, videoID, 2*time.Minute)
	artist.WaitReady(t, photoID, time.Minute)
	// A token in a path and a query (the artists' page, a careless link) is redacted in the access log.
	artist.Do(t, "GET", "/a/"+invTok+"?token="+invTok+"&next="+invTok, nil, nil)

	// The figures.
	fams := scrape(t, m.MetricsURL)
	atLeast := func(name string, labels map[string]string, min float64) {
		t.Helper()
		if got := value(fams, name, labels); got < min {
			t.Errorf("%s%v = %v, want at least %v", name, labels, got, min)
		}
	}
	atLeast("quinte_jobs_total", map[string]string{"kind": "video", "outcome": "ready"}, 1)
	atLeast("quinte_jobs_total", map[string]string{"kind": "image", "outcome": "ready"}, 1)
	atLeast("quinte_job_duration_seconds", map[string]string{"kind": "video", "outcome": "ready"}, 1)
	for _, step := range []string{"probe", "analyze", "subjects", "encode", "finish", "verify", "publish"} {
		atLeast("quinte_step_duration_seconds", map[string]string{"kind": "video", "step": step}, 1)
	}
	atLeast("quinte_step_duration_seconds", map[string]string{"kind": "image", "step": "photo"}, 1)
	atLeast("quinte_ffmpeg_realtime_factor", map[string]string{"kind": "video"}, 1)
	atLeast("quinte_upload_requests_total", map[string]string{"protocol": "multipart", "method": "POST", "status": "202"}, 1)
	atLeast("quinte_upload_requests_total", map[string]string{"protocol": "tus", "method": "PATCH", "status": "204"}, 1)
	atLeast("quinte_upload_bytes_total", map[string]string{"protocol": "multipart"}, float64(fileSize(t, clip)))
	atLeast("quinte_upload_bytes_total", map[string]string{"protocol": "tus"}, float64(fileSize(t, photo)))
	// The queue's figures come from a sample every 10 s, never from a scrape: wait for one after the jobs.
	for deadline := time.Now().Add(30 * time.Second); value(fams, "quinte_queue_processed_total", map[string]string{"queue": queue.Light}) < 1 ||
		value(fams, "quinte_queue_processed_total", map[string]string{"queue": queue.Heavy}) < 1; time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Errorf("the queue figures did not count the two jobs: %v", fams["quinte_queue_processed_total"])
			break
		}
		fams = scrape(t, m.MetricsURL)
	}
	if _, ok := fams["quinte_queue_tasks"]; !ok {
		t.Error("no quinte_queue_tasks")
	}
	if rf := fams["quinte_ffmpeg_realtime_factor"]; rf != nil && len(rf.Metric) > 0 {
		h := rf.Metric[0].GetHistogram()
		t.Logf("realtime factor of the video's main pass: %.2f", h.GetSampleSum()/float64(h.GetSampleCount()))
	}

	// The log.
	text := out.String()[mark:]
	if strings.Contains(text, invTok) || strings.Contains(text, strings.TrimPrefix(invTok, "qi_")) {
		t.Errorf("the invite's token is in the log")
	}
	if strings.Contains(text, token) {
		t.Errorf("the team token is in the log")
	}
	lines := jsonLines(t, text)
	lastReady, jobLines, steps, access := -1, 0, 0, 0
	for i, l := range lines {
		if l["msg"] == "message ready" {
			lastReady = i
		}
	}
	for i, l := range lines[:lastReady+1] {
		if l["component"] == "http" {
			access++
			if l["method"] == nil || l["path"] == nil || l["status"] == nil || l["bytes"] == nil || l["took"] == nil {
				t.Errorf("access line without method, path, status, bytes or duration: %v", l)
			}
			continue
		}
		if l["msg"] == "message accepted" || l["component"] == "index" {
			continue // the API's line of the upload, written before there is a job; the list index's own
		}
		id, _ := l["message_id"].(string)
		if id != videoID && id != photoID {
			t.Errorf("line %d, written while the jobs ran, names no job: %v", i, l)
			continue
		}
		if l["task_id"] != id {
			t.Errorf("line %d: task_id %v, message_id %s: %v", i, l["task_id"], id, l)
		}
		jobLines++
		if l["msg"] == "step done" {
			steps++
		}
	}
	if lastReady < 0 || steps < 8 || access < 3 {
		t.Errorf("%d job lines (%d step lines), %d access lines: the log does not show the jobs", jobLines, steps, access)
	}
	var redacted bool
	for _, l := range lines {
		if p, _ := l["path"].(string); strings.HasPrefix(p, "/a/") {
			redacted = p == "/a/qi_…?token=…&next=qi_…"
			if !redacted {
				t.Errorf("access path %q", p)
			}
		}
	}
	if !redacted {
		t.Error("no access line for the request with a token in its path")
	}
}

// startMainLog is startMain with the logger given.
func startMainLog(t *testing.T, role config.Role, env map[string]string, log *slog.Logger) *Main {
	t.Helper()
	cfg, err := config.Load("", testenv.Env(env))
	testenv.Must(t, err)
	m := NewMain(cfg, role, log, io.Discard)
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// scrape reads the figures at url, in Prometheus' text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	testenv.Must(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	testenv.Must(t, err)
	return fams
}

// value is the figure of the series of name whose labels include labels: a counter's or gauge's value,
// a histogram's count; -1 when there is no such series.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		for k, v := range labels {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func jsonLines(t *testing.T, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("a log line is not JSON: %q", sc.Text())
		}
		out = append(out, l)
	}
	return out
}

func fileSize(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	testenv.Must(t, err)
	return fi.Size()
}

// lockedBuffer is a bytes.Buffer the log's goroutines may write at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}
