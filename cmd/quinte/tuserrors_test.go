package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

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
		m := startMain(t, config.RoleRun, embeddedEnv(t))
		check(t, m.URL, m.Config.S3.Endpoint, m.Config.S3.Bucket, func() {
			// Idle keep-alive connections would hold the embedded server's shutdown open.
			_ = m.Store.Close()
			if err := m.S3Server.Close(); err != nil {
				t.Logf("stopping the embedded S3: %v (the checks below show whether it is down)", err)
			}
		})
	})
}
