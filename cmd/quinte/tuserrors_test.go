package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
)

// When S3 stops answering, every tus request that needs it (creation, PATCH, HEAD) answers 503
// storage_unavailable in the API's JSON error shape with Retry-After, and nothing in the answer names
// the S3 endpoint, the bucket or the key layout; multipart answers the same. Both modes: `quinte api`
// on versitygw (as a process, S3 killed), and `quinte run` on its embedded S3 (stopped in the process).
func TestTusStorageDownIs503(t *testing.T) {
	check := func(t *testing.T, base, endpoint, bucket string, stop func()) {
		clip := mustRead(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"))
		up := tusCreate(t, base, token, len(clip))
		if resp, body := tusRequest(t, "PATCH", base+up, token, clip[:len(clip)/2], map[string]string{"Upload-Offset": "0"}); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("first half: %d %s", resp.StatusCode, body)
		}
		stop()
		ep, _ := url.Parse(endpoint)
		secret := []string{ep.Host, bucket, "uploads/", "operation error", "dial tcp", "connection refused"}
		for _, r := range []struct {
			name, method, path string
			body               []byte
			hdr                map[string]string
		}{
			{"creation", "POST", "/v1/uploads/", nil, map[string]string{"Upload-Length": strconv.Itoa(len(clip))}},
			{"PATCH", "PATCH", up, clip[len(clip)/2:], map[string]string{"Upload-Offset": strconv.Itoa(len(clip) / 2)}},
			{"HEAD", "HEAD", up, nil, nil},
		} {
			resp, body := tusRequest(t, r.method, base+r.path, token, r.body, r.hdr)
			var e struct {
				Error struct{ Code, Message string }
			}
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
				t.Errorf("%s with S3 down: %d (Retry-After %q) %s, want 503 with Retry-After", r.name, resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
			if r.method != "HEAD" && (json.Unmarshal(body, &e) != nil || e.Error.Code != "storage_unavailable" || e.Error.Message == "") {
				t.Errorf("%s with S3 down: body %s, want the JSON error storage_unavailable", r.name, body)
			}
			all := string(body)
			for k, v := range resp.Header {
				all += k + ": " + strings.Join(v, ",") + "\n"
			}
			for _, s := range secret {
				if strings.Contains(all, s) {
					t.Errorf("%s with S3 down: the answer names %q: %s", r.name, s, all)
				}
			}
		}
		status, body := (&testenv.Client{Base: base, Token: token}).MultipartBytes(t, "clip.mov", clip, nil)
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "storage_unavailable") {
			t.Errorf("multipart with S3 down: %d %s", status, body)
		}
	}
	t.Run("api on versitygw", func(t *testing.T) {
		c := newCluster(t, nil)
		c.StartAPI()
		check(t, c.API.URL, c.S3Cfg.Endpoint, c.S3Cfg.Bucket, c.S3.Stop)
	})
	t.Run("run on the embedded S3", func(t *testing.T) {
		env := embeddedEnv(t)
		env["QUINTE_METRICS_ADDR"] = "127.0.0.1:0"
		m := startMain(t, config.RoleRun, env)
		check(t, m.URL, m.Config.S3.Endpoint, m.Config.S3.Bucket, func() {
			// Idle keep-alive connections would hold the embedded server's shutdown open.
			_ = m.Store.Close()
			if err := m.S3Server.Close(); err != nil {
				t.Logf("stopping the embedded S3: %v (the checks below show whether it is down)", err)
			}
		})
		// The operator sees the outage in the figures: S3 operations that failed, by operation.
		var failed []string
		if f := scrape(t, m.MetricsURL)["quinte_s3_errors_total"]; f != nil {
			for _, s := range f.Metric {
				if s.GetCounter().GetValue() > 0 {
					failed = append(failed, fmt.Sprintf("%s %v", s.GetLabel()[0].GetValue(), s.GetCounter().GetValue()))
				}
			}
		}
		if len(failed) == 0 {
			t.Error("with S3 down, quinte_s3_errors_total counts no failed operation")
		}
		t.Logf("quinte_s3_errors_total with S3 down: %s", strings.Join(failed, ", "))
	})
}

// A tus PATCH that another request for the same upload takes over (a client resuming while its cut
// request is still being read) answers 409 upload_interrupted, the status tus clients resume after,
// and the upload then finishes from the offset HEAD gives. tusd answers that 400, which tus-js-client
// takes as a refusal for good (the artist's page would drop the recording it keeps) and which made the
// CLI's resume fail once in CI. Both modes.
func TestTusTakenOverPatchIs409(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		m := startMain(t, config.RoleRun, env)
		clip := mustRead(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"))
		up := tusCreate(t, m.URL, token, len(clip))

		// The first PATCH sends a quarter of the file, then stalls with the rest unsent.
		pr, pw := io.Pipe()
		req, err := http.NewRequest(http.MethodPatch, m.URL+up, pr)
		testenv.Must(t, err)
		req.ContentLength = int64(len(clip))
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", "0")
		type answer struct {
			status int
			body   []byte
			err    error
		}
		first := make(chan answer, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				first <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			first <- answer{status: resp.StatusCode, body: b}
		}()
		go func() { _, _ = pw.Write(clip[:len(clip)/4]) }()
		t.Cleanup(func() { pw.Close() })

		// A HEAD takes the upload's lock, which asks the request holding it to let go. Until the first
		// PATCH holds it, a HEAD simply answers; keep asking until the first PATCH is answered.
		var got answer
		deadline := time.After(30 * time.Second)
	wait:
		for {
			select {
			case got = <-first:
				break wait
			case <-deadline:
				t.Fatal("the stalled PATCH was never taken over")
			case <-time.After(50 * time.Millisecond):
				tusRequest(t, "HEAD", m.URL+up, token, nil, nil)
			}
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		if got.err != nil || got.status != http.StatusConflict || json.Unmarshal(got.body, &e) != nil || e.Error.Code != "upload_interrupted" {
			t.Fatalf("the PATCH taken over: %d %s (%v), want 409 upload_interrupted", got.status, got.body, got.err)
		}

		resp, _ := tusRequest(t, "HEAD", m.URL+up, token, nil, nil)
		off, err := strconv.Atoi(resp.Header.Get("Upload-Offset"))
		if err != nil || off < 0 || off > len(clip)/4 {
			t.Fatalf("HEAD after the take-over: Upload-Offset %q, want 0…%d", resp.Header.Get("Upload-Offset"), len(clip)/4)
		}
		resp, body := tusRequest(t, "PATCH", m.URL+up, token, clip[off:], map[string]string{"Upload-Offset": strconv.Itoa(off)})
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Quinte-Message-Id") == "" {
			t.Fatalf("the resumed PATCH from %d: %d %s", off, resp.StatusCode, body)
		}
		t.Logf("taken over: 409 %s; resumed from %d of %d bytes", e.Error.Code, off, len(clip))
	})
}
