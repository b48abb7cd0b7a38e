package main

import (
	"bytes"
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

// In `quinte run`, download links name the API's own address (the host the client reached it by), not
// the embedded S3's loopback port, so they work wherever the API works; a link taken before a restart
// still downloads after it, whole and by ranges (players seek), and a forged or expired one does not.
func TestRunDownloadLinksSurviveARestart(t *testing.T) {
	env := embeddedEnv(t)
	env["QUINTE_ADDR"] = "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	msg := c.WaitReady(t, c.Upload(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"), nil), 2*time.Minute)
	o := msg.Output(t, "rendition/source")
	api, _ := url.Parse(m.URL)
	link, err := url.Parse(o.URL)
	testenv.Must(t, err)
	key := strings.TrimPrefix(link.Path, "/v1/files/")
	if link.Host != api.Host || !strings.HasPrefix(link.Path, "/v1/files/") {
		t.Fatalf("download link %s does not go through the API at %s", o.URL, api.Host)
	}
	// Asked by another name (as a team member's laptop would), the links name that host.
	req, _ := http.NewRequest("GET", m.URL+"/v1/messages/"+msg.ID, nil)
	req.Host = "quinte.local:" + api.Port()
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"http://quinte.local:`+api.Port()+`/v1/files/`) {
		t.Errorf("asked as quinte.local, the links do not name it: %s", body)
	}
	testenv.Must(t, m.Close())

	m2 := startMain(t, config.RoleRun, env)
	if m2.S3Server.Endpoint == m.S3Server.Endpoint {
		t.Logf("the embedded S3 got the same port again (%s): the restart proves less", m2.S3Server.Endpoint)
	}
	rc, err := m2.Store.Open(t.Context(), key, -1)
	testenv.Must(t, err)
	want, err := io.ReadAll(rc)
	rc.Close()
	testenv.Must(t, err)

	get := func(u string, hdr http.Header) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		for k, v := range hdr {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		testenv.Must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, got := get(o.URL, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		resp.Header.Get("Content-Type") != "video/mp4" || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("link taken before the restart: %d, %d bytes of %d, headers %v", resp.StatusCode, len(got), len(want), resp.Header)
	}
	p, _ := testenv.Download(t, o.URL, t.TempDir(), "r.mp4")
	if w, h := testenv.Probe(t, p).DisplaySize(); w != 320 || h != 568 {
		t.Errorf("the downloaded rendition displays %dx%d, want 320x568", w, h)
	}
	for _, r := range []struct {
		rng         string
		status      int
		from, to    int // the bytes expected, [from, to)
		contentRang string
	}{
		{"bytes=100-1099", http.StatusPartialContent, 100, 1100, "bytes 100-1099/" + strconv.Itoa(len(want))},
		{"bytes=-500", http.StatusPartialContent, len(want) - 500, len(want), "bytes " + strconv.Itoa(len(want)-500) + "-" + strconv.Itoa(len(want)-1) + "/" + strconv.Itoa(len(want))},
		{"bytes=" + strconv.Itoa(len(want)-10) + "-", http.StatusPartialContent, len(want) - 10, len(want), ""},
		{"bytes=" + strconv.Itoa(len(want)+10) + "-", http.StatusRequestedRangeNotSatisfiable, 0, 0, ""},
	} {
		resp, got := get(o.URL, http.Header{"Range": {r.rng}})
		if resp.StatusCode != r.status {
			t.Errorf("Range %s: %d, want %d", r.rng, resp.StatusCode, r.status)
			continue
		}
		if r.status == http.StatusPartialContent && !bytes.Equal(got, want[r.from:r.to]) {
			t.Errorf("Range %s: %d bytes, not bytes %d-%d of the file", r.rng, len(got), r.from, r.to)
		}
		if r.contentRang != "" && resp.Header.Get("Content-Range") != r.contentRang {
			t.Errorf("Range %s: Content-Range %q, want %q", r.rng, resp.Header.Get("Content-Range"), r.contentRang)
		}
	}

	// Forged: another key under the same signature, a changed name, a later expiry, no signature.
	q := link.Query()
	forge := func(path string, set map[string]string) string {
		v := url.Values{}
		for k := range q {
			v.Set(k, q.Get(k))
		}
		for k, x := range set {
			if x == "" {
				v.Del(k)
			} else {
				v.Set(k, x)
			}
		}
		return m2.URL + path + "?" + v.Encode()
	}
	other := strings.Replace(link.Path, "rendition", "poster", 1)
	for name, u := range map[string]string{
		"another key":  forge(other, nil),
		"another name": forge(link.Path, map[string]string{"name": "x.mp4"}),
		"later expiry": forge(link.Path, map[string]string{"exp": strconv.FormatInt(time.Now().Add(48*time.Hour).Unix(), 10)}),
		"no signature": forge(link.Path, map[string]string{"sig": ""}),
		"climbing out": m2.URL + "/v1/files/../team-token",
	} {
		if resp, b := get(u, nil); resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("%s: %d %s, want a refusal", name, resp.StatusCode, b)
		}
	}
}
