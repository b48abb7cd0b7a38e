package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
)

// A browser on an allowed origin may call the API and tus; any other origin gets no CORS grant, and
// with no origin configured (the default) nobody does.
func TestCORSOnlyForConfiguredOrigins(t *testing.T) {
	m := startMain(t, config.RoleRun, accessEnv(t))
	preflight := func(base, path, origin, method string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", base+path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		req.Header.Set("Access-Control-Request-Headers", "authorization, upload-offset, tus-resumable, content-type")
		resp, err := http.DefaultClient.Do(req)
		testenv.Must(t, err)
		resp.Body.Close()
		return resp
	}
	for _, c := range []struct{ path, method string }{{"/v1/messages", "POST"}, {"/v1/uploads/", "POST"}, {"/v1/uploads/x", "PATCH"}, {"/v1/messages/x", "GET"}} {
		resp := preflight(m.URL, c.path, allowedOrigin, c.method)
		h := resp.Header
		if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != allowedOrigin ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), c.method) ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Upload-Offset") ||
			h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("preflight %s %s from %s: %d %v", c.method, c.path, allowedOrigin, resp.StatusCode, h)
		}
		for _, bad := range []string{"https://evil.example", "https://artists.example.org.evil.example", "null", allowedOrigin + ":443", "http://artists.example.org"} {
			resp := preflight(m.URL, c.path, bad, c.method)
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("preflight %s %s from %s: %d, ACAO %q; want 403 and none", c.method, c.path, bad, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
			}
		}
	}

	// Real requests: the grant and the headers a tus client must read, only for the allowed origin.
	get := func(origin string) http.Header {
		_, _, h := (&testenv.Client{Base: m.URL, Token: token}).Do(t, "GET", "/v1/messages", nil, http.Header{"Origin": {origin}})
		return h
	}
	if h := get(allowedOrigin); h.Get("Access-Control-Allow-Origin") != allowedOrigin ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Upload-Offset") || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "Location") ||
		!strings.Contains(h.Get("Vary"), "Origin") {
		t.Errorf("GET from the allowed origin: %v", h)
	}
	if h := get("https://evil.example"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET from another origin granted: %v", h)
	}

	// The default configuration allows no origin at all.
	def := startMain(t, config.RoleRun, realEnv(t))
	if resp := preflight(def.URL, "/v1/messages", allowedOrigin, "POST"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("default config: preflight %d, ACAO %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

// Download links expire after QUINTE_URL_TTL, and the bucket lists nothing to someone without keys.
func TestLinksExpireAndTheBucketIsPrivate(t *testing.T) {
	env := realEnv(t)
	env["QUINTE_URL_TTL"] = "10m"
	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	msg := c.WaitReady(t, c.Upload(t, testenv.Corpus(t, "audio/opus_stereo.opus"), nil), 2*time.Minute)
	u, err := url.Parse(msg.Outputs[0].URL)
	testenv.Must(t, err)
	if got := u.Query().Get("X-Amz-Expires"); got != "600" {
		t.Errorf("download link lives %q s, want 600 (QUINTE_URL_TTL=10m)", got)
	}
	// The link without its signature, the bucket listing and an object, all anonymous.
	base := u.Scheme + "://" + u.Host
	for _, anon := range []string{base + u.Path, base + "/" + env["QUINTE_S3_BUCKET"], base + "/" + env["QUINTE_S3_BUCKET"] + "?list-type=2", base + "/"} {
		resp, err := http.Get(anon)
		testenv.Must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous GET %s: %d, want 403", anon, resp.StatusCode)
		}
	}
	// A link whose lifetime is over is refused by S3 itself.
	expired, err := m.Store.PresignGet(t.Context(), "messages/"+msg.ID+"/manifest.json", "", time.Second)
	testenv.Must(t, err)
	time.Sleep(2 * time.Second)
	resp, err := http.Get(expired)
	testenv.Must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("expired link: %d, want 403", resp.StatusCode)
	}
}
