package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// apiErrorCode is the code of the API's JSON error in body, or "" when body is not one.
func apiErrorCode(resp *http.Response, body []byte) string {
	var e struct {
		Error struct{ Code, Message string }
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return ""
	}
	return e.Error.Code
}

// routeMethods maps each path of the route table (wildcards filled in) to the methods it answers.
func routeMethods(t *testing.T, m *Main) map[string][]string {
	paths := map[string][]string{}
	fill := strings.NewReplacer("{id}", message.NewID(), "{file...}", "master.m3u8", "{key...}", "messages/x/poster.jpg")
	for _, p := range m.API.Routes() {
		method, path, ok := strings.Cut(p, " ")
		if !ok { // tus: every method it takes, under its prefix
			path, method = p+"x", ""
		}
		path = fill.Replace(path)
		if method == "" {
			paths[path] = append(paths[path], "POST", "HEAD", "PATCH", "DELETE")
			continue
		}
		paths[path] = append(paths[path], method)
		if method == "GET" {
			paths[path] = append(paths[path], "HEAD")
		}
	}
	if len(paths) < 10 {
		t.Fatalf("the route table lists only %v", paths)
	}
	return paths
}

// Every method of the route table is allowed by CORS for a listed origin (PUT included), every wrong
// method on a route is a JSON 405 with Allow, unknown routes are JSON 404s (401 without a token), and
// oversized headers a JSON 431.
func TestEveryErrorIsTheAPIsJSON(t *testing.T) {
	m := startMain(t, config.RoleRun, accessEnv(t))
	do := func(method, u string, hdr http.Header) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, u, nil)
		testenv.Must(t, err)
		req.Header = hdr
		resp, err := http.DefaultClient.Do(req)
		testenv.Must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	auth := http.Header{"Authorization": {"Bearer " + token}}
	for path, methods := range routeMethods(t, m) {
		for _, method := range methods {
			resp, _ := do("OPTIONS", m.URL+path, http.Header{"Origin": {allowedOrigin}, "Access-Control-Request-Method": {method}})
			allowed := strings.Split(resp.Header.Get("Access-Control-Allow-Methods"), ", ")
			if resp.StatusCode != http.StatusNoContent || !slices.Contains(allowed, method) {
				t.Errorf("preflight %s %s from a listed origin: %d, allows %v", method, path, resp.StatusCode, allowed)
			}
		}
		if strings.HasPrefix(path, "/v1/uploads/") {
			continue // tus answers its own methods
		}
		for _, wrong := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if slices.Contains(methods, wrong) {
				continue
			}
			resp, body := do(wrong, m.URL+path, auth)
			allow := strings.Split(resp.Header.Get("Allow"), ", ")
			slices.Sort(allow)
			want := slices.Clone(methods)
			slices.Sort(want)
			if resp.StatusCode != http.StatusMethodNotAllowed || apiErrorCode(resp, body) != "method_not_allowed" || !slices.Equal(allow, slices.Compact(want)) {
				t.Errorf("%s %s: %d %q, Allow %v; want the JSON 405 with Allow %v", wrong, path, resp.StatusCode, body, allow, want)
			}
		}
	}
	for _, path := range []string{"/v1/nothing", "/v1/messages/", "/", "/v1/messages/" + message.NewID() + "/nothing"} {
		resp, body := do("GET", m.URL+path, auth)
		if resp.StatusCode != http.StatusNotFound || apiErrorCode(resp, body) != "not_found" {
			t.Errorf("GET %s: %d %s; want the JSON 404", path, resp.StatusCode, body)
		}
		resp, body = do("GET", m.URL+path, nil)
		if resp.StatusCode != http.StatusUnauthorized || apiErrorCode(resp, body) != "unauthorized" {
			t.Errorf("GET %s without a token: %d %s; want the JSON 401", path, resp.StatusCode, body)
		}
	}

	// Headers over the limit are refused by net/http before any handler: still the JSON error.
	u, _ := url.Parse(m.URL)
	conn, err := net.Dial("tcp", u.Host)
	testenv.Must(t, err)
	defer conn.Close()
	go fmt.Fprintf(conn, "GET /v1/messages HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 2<<20))
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	testenv.Must(t, err)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || apiErrorCode(resp, body) != "headers_too_large" {
		t.Errorf("2 MiB of headers: %d %s %v; want the JSON 431", resp.StatusCode, body, resp.Header)
	}
}

// What GET /v1/messages cannot use is refused, naming what it takes; a full last page has no
// next_before.
func TestListRefusesWhatItCannotUse(t *testing.T) {
	m := startMain(t, config.RoleRun, embeddedEnv(t))
	c := &testenv.Client{Base: m.URL, Token: token}
	for q, code := range map[string]string{"before=zzz": "bad_before", "status=bogus": "bad_status", "limit=0": "bad_limit", "limit=101": "bad_limit"} {
		status, body, _ := c.Do(t, "GET", "/v1/messages?"+q, nil, nil)
		if status != http.StatusBadRequest || !strings.Contains(string(body), code) {
			t.Errorf("?%s: %d %s, want 400 %s", q, status, body, code)
		}
	}
	if _, body, _ := c.Do(t, "GET", "/v1/messages?status=bogus", nil, nil); !strings.Contains(string(body), "queued, processing, ready, failed") {
		t.Errorf("?status=bogus does not name the statuses: %s", body)
	}
	wav := mustRead(t, testenv.Corpus(t, "audio/pcm_s16le_mono_44k.wav"))
	for range 2 {
		if status, body := c.MultipartBytes(t, "a.wav", wav, nil); status != http.StatusAccepted {
			t.Fatalf("upload: %d %s", status, body)
		}
	}
	page := func(q string) (ids []string, next string) {
		status, body, _ := c.Do(t, "GET", "/v1/messages?"+q, nil, nil)
		var v struct {
			Messages []struct{ ID string }
			Next     string `json:"next_before"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &v) != nil {
			t.Fatalf("?%s: %d %s", q, status, body)
		}
		for _, m := range v.Messages {
			ids = append(ids, m.ID)
		}
		return ids, v.Next
	}
	first, next := page("limit=1")
	if len(first) != 1 || next != first[0] {
		t.Fatalf("first page of 1: %v, next_before %q", first, next)
	}
	last, next := page("limit=1&before=" + next)
	if len(last) != 1 || next != "" {
		t.Errorf("the full last page: %v, next_before %q; want one message and no next_before", last, next)
	}
	if all, next := page("limit=2"); len(all) != 2 || next != "" {
		t.Errorf("a page holding everything: %v, next_before %q", all, next)
	}
}

// Text fields: control characters become a space (in the API and meta.json), limits count characters
// and a value over one is a 400 naming the field, by multipart and tus; the README's campaign exists
// and an unknown one is refused at the door with the list; a small size limit reads as it is.
func TestTextFieldsCampaignsAndLimitsAtTheDoor(t *testing.T) {
	env := embeddedEnv(t)
	env["QUINTE_UPLOAD_MAX_BYTES"] = "100000"
	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	wav := mustRead(t, testenv.Corpus(t, "audio/pcm_s16le_mono_44k.wav")) // 88 kB

	status, body := c.MultipartBytes(t, "a.wav", wav, map[string]string{"artist": "Ada\nLovelace", "title": strings.Repeat("è", 500), "campaign": "spring-tour"})
	var v struct{ ID string }
	if status != http.StatusAccepted || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("500 accented letters and the README's campaign: %d %s", status, body)
	}
	if meta := metaOf(t, m, v.ID); meta.Artist != "Ada Lovelace" || meta.Campaign != "spring-tour" || len([]rune(meta.Title)) != 500 {
		t.Errorf("stored artist %q, campaign %q, title of %d characters", meta.Artist, meta.Campaign, len([]rune(meta.Title)))
	}
	if _, b, _ := c.Do(t, "GET", "/v1/messages/"+v.ID, nil, nil); !strings.Contains(string(b), `"artist": "Ada Lovelace"`) {
		t.Errorf("the API shows %s", b)
	}
	for _, f := range []struct{ field, value, want string }{
		{"title", strings.Repeat("è", 501), "title is 501 characters long; the limit is 500"},
		{"artist", strings.Repeat("a", 201), "artist is 201 characters long; the limit is 200"},
		{"campaign", "autumn-tour", "spring-tour"},
	} {
		status, body := c.MultipartBytes(t, "a.wav", wav, map[string]string{f.field: f.value})
		if status != http.StatusBadRequest || !strings.Contains(body, f.want) {
			t.Errorf("multipart %s %q…: %d %s, want 400 saying %q", f.field, f.value[:min(len(f.value), 12)], status, body, f.want)
		}
		resp, b := tusRequest(t, "POST", m.URL+"/v1/uploads/", token, nil, map[string]string{
			"Upload-Length": strconv.Itoa(len(wav)), "Upload-Metadata": f.field + " " + base64.StdEncoding.EncodeToString([]byte(f.value)),
		})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), f.want) {
			t.Errorf("tus %s: %d %s, want 400 saying %q", f.field, resp.StatusCode, b, f.want)
		}
	}
	status, body = c.MultipartBytes(t, "clip.mov", mustRead(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov")), nil)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "100 kB") {
		t.Errorf("over QUINTE_UPLOAD_MAX_BYTES=100000: %d %s, want 413 naming 100 kB", status, body)
	}
}
