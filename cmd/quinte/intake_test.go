package main

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// bucketKeys lists every key under prefix.
func bucketKeys(t *testing.T, m *Main, prefix string) []string {
	t.Helper()
	keys, err := m.Store.List(t.Context(), prefix)
	testenv.Must(t, err)
	return keys
}

// The size limit holds while streaming: a body with no Content-Length that goes past it is cut at the
// limit with 413, and nothing is stored. Same for tus, declared or deferred length.
func TestSizeLimitWhileStreaming(t *testing.T) { forEachBackend(t, testSizeLimitWhileStreaming) }

func testSizeLimitWhileStreaming(t *testing.T, env map[string]string) {
	env["QUINTE_UPLOAD_MAX_BYTES"] = strconv.Itoa(1 << 20)
	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	jpeg := mustRead(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"))
	big := append(append([]byte{}, jpeg...), bytes.Repeat([]byte{0}, 3<<20)...)

	// Multipart, chunked: the client never says how big it is.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	sent := make(chan int64, 1)
	go func() {
		fw, _ := mw.CreateFormFile("file", "big.jpg")
		n, _ := io.Copy(fw, bytes.NewReader(big))
		mw.Close()
		pw.Close()
		sent <- n
	}()
	req, _ := http.NewRequest("POST", m.URL+"/v1/messages", pr)
	req.ContentLength = -1
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "too_large") {
		t.Errorf("chunked multipart over the limit: %d %s", resp.StatusCode, b)
	}
	if req.TransferEncoding = nil; len(req.Header.Values("Content-Length")) > 0 {
		t.Error("the request carried a Content-Length")
	}

	// Declared too large: refused before a byte is read.
	status, _ := c.MultipartBytes(t, "big.jpg", big, nil)
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("multipart with Content-Length over the limit: %d", status)
	}

	// tus: a declared length over the limit, and a deferred length that grows past it.
	if status, body := c.TusBytes(t, big, nil, 512<<10); status != http.StatusRequestEntityTooLarge {
		t.Errorf("tus with Upload-Length over the limit: %d %s", status, body)
	}
	// Deferred lengths are accepted (uploader's tusGuard holds the limit on them), so the cut must come
	// from a PATCH.
	resp, _ = tusRequest(t, "POST", m.URL+"/v1/uploads/", token, nil, map[string]string{"Upload-Defer-Length": "1"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("tus with a deferred length: %d, want 201", resp.StatusCode)
	}
	u, _ := url.Parse(resp.Header.Get("Location"))
	off, last := 0, 0
	for off < len(big) && last != http.StatusRequestEntityTooLarge {
		end := min(off+(512<<10), len(big))
		resp, _ := tusRequest(t, "PATCH", m.URL+u.Path, token, big[off:end], map[string]string{"Upload-Offset": strconv.Itoa(off)})
		last, off = resp.StatusCode, end
	}
	if last != http.StatusRequestEntityTooLarge {
		t.Errorf("tus with a deferred length past the limit: last PATCH %d after %d bytes", last, off)
	}

	if keys := bucketKeys(t, m, message.OriginalsPrefix); len(keys) != 0 {
		t.Errorf("refused uploads left originals: %v", keys)
	}
	if keys := bucketKeys(t, m, message.MessagesPrefix); len(keys) != 0 {
		t.Errorf("refused uploads left messages: %v", keys)
	}
}

// Everything that is not media, or not only media, is refused at the door (415, or 400 when empty) by
// multipart and by tus, and leaves nothing in the bucket.
func TestNotMediaIsRefusedAtTheDoor(t *testing.T) { forEachBackend(t, testNotMediaIsRefusedAtTheDoor) }

func testNotMediaIsRefusedAtTheDoor(t *testing.T, env map[string]string) {
	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	read := func(rel string) []byte { return mustRead(t, testenv.Corpus(t, rel)) }
	files := append(testenv.NotMedia(t), testenv.Polyglots(t, read("image/progressive_faces_840x700.jpg"), read("image/animated_people_480x270.gif"), read("video/iphone4s_h264_rotated.mov"))...)
	for _, h := range files {
		status, body := c.MultipartBytes(t, h.Name, h.Data, nil)
		if status != http.StatusUnsupportedMediaType || !strings.Contains(body, "unsupported_media") {
			t.Errorf("multipart %s (%s): %d %s", h.Name, h.Why, status, body)
		}
		status, body = c.TusBytes(t, h.Data, map[string]string{"filename": h.Name}, 256<<10)
		if status != http.StatusUnsupportedMediaType {
			t.Errorf("tus %s (%s): %d %s", h.Name, h.Why, status, body)
		}
	}
	if status, body := c.MultipartBytes(t, "empty.mp4", nil, nil); status != http.StatusBadRequest || !strings.Contains(body, "empty_file") {
		t.Errorf("empty multipart file: %d %s", status, body)
	}
	if status, body := c.TusBytes(t, nil, nil, 1); status != http.StatusBadRequest {
		t.Errorf("empty tus upload: %d %s", status, body)
	}
	for _, prefix := range []string{message.OriginalsPrefix, message.MessagesPrefix, "uploads/"} {
		if keys := bucketKeys(t, m, prefix); len(keys) != 0 {
			t.Errorf("refused uploads left %d keys under %s: %v", len(keys), prefix, keys[:min(len(keys), 5)])
		}
	}
}

// argvLogger is a stand-in for ffmpeg or ffprobe that writes its argv to log, one argument per line,
// then runs the real program.
func argvLogger(t *testing.T, dir, real, log string) string {
	t.Helper()
	bin, err := exec.LookPath(real)
	testenv.Must(t, err)
	p := filepath.Join(dir, real+"-logged")
	script := fmt.Sprintf("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\" >> %q; done\nexec %q \"$@\"\n", log, bin)
	testenv.Must(t, os.WriteFile(p, []byte(script), 0o755))
	return p
}

// A client's file name, artist and title are data: they never reach a key, a path or an argument of
// ffmpeg, and they are stored as plain text.
func TestClientStringsNeverReachAKeyAPathOrAnArgv(t *testing.T) {
	env := realEnv(t)
	dir, argv := t.TempDir(), filepath.Join(t.TempDir(), "argv.log")
	env["QUINTE_FFMPEG"] = argvLogger(t, dir, "ffmpeg", argv)
	env["QUINTE_FFPROBE"] = argvLogger(t, dir, "ffprobe", argv)
	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	clip := mustRead(t, testenv.Corpus(t, "video/iphone14pro_dolbyvision_hlg_portrait.mov"))

	unicode := strings.Repeat("é🎬", 100) // 600 bytes, 200 characters: the artist limit, counted in characters
	// Even ones go by multipart, odd ones by tus (a NUL cannot travel in a multipart header: see below).
	hostile := []string{"../../x.mp4", "-i http://127.0.0.1:9/x.mp4", unicode, "a\x00b.mp4", "$(touch pwned).mov", "x.mov\r\nX-Evil: 1", `C:\Windows\x.mov`, "-y"}
	if status, body := c.MultipartBytes(t, "a\x00b.mp4", clip, nil); status != http.StatusBadRequest {
		t.Errorf("multipart file name with a NUL: %d %s, want 400 (a malformed part header)", status, body)
	}
	var ids []string
	for i, name := range hostile {
		fields := map[string]string{"artist": name, "title": "-f lavfi -i " + name, "consent": name}
		var id string
		if i%2 == 0 {
			status, body := c.MultipartBytes(t, name, clip, fields)
			if status != http.StatusAccepted {
				t.Fatalf("multipart named %q: %d %s", name, status, body)
			}
			id = idOf(t, body)
		} else {
			fields["filename"] = name
			status, got := c.TusBytes(t, clip, fields, 32<<10)
			if status != http.StatusNoContent {
				t.Fatalf("tus named %q: %d %s", name, status, got)
			}
			id = got
		}
		ids = append(ids, id)
	}
	for i, id := range ids {
		c.WaitReady(t, id, 2*time.Minute)
		meta := metaOf(t, m, id)
		for what, v := range map[string]string{"filename": meta.Filename, "artist": meta.Artist, "title": meta.Title} {
			if !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n") || utf8.RuneCountInString(v) > 500 || (what == "filename" && (strings.ContainsAny(v, `/\`) || len(v) > 200)) {
				t.Errorf("message %d: stored %s %q is not clean text", i, what, v)
			}
		}
	}
	keys := bucketKeys(t, m, "")
	b, err := os.ReadFile(argv)
	testenv.Must(t, err)
	args := string(b)
	if !strings.Contains(args, "protocol_whitelist") {
		t.Fatalf("the argv log is empty or wrong: %.200s", args)
	}
	for _, name := range hostile {
		for _, frag := range []string{"x.mp4", "127.0.0.1:9", "a\x00b", "é🎬", "pwned", "X-Evil", "Windows", "lavfi"} {
			if !strings.Contains(name, frag) && !strings.Contains("-f lavfi -i", frag) {
				continue
			}
			if strings.Contains(args, frag) {
				t.Errorf("ffmpeg/ffprobe argv contains the client string %q", frag)
			}
			for _, k := range keys {
				if strings.Contains(k, frag) {
					t.Errorf("bucket key %q contains the client string %q", k, frag)
				}
			}
		}
	}
	for _, k := range keys {
		parts := strings.Split(k, "/")
		if len(parts) == 2 && parts[0] == "changes" {
			// The list index's change feed: changes/<unix nanos>-<id>.
			nanos, id, ok := strings.Cut(parts[1], "-")
			if _, err := strconv.ParseUint(nanos, 10, 64); err == nil && ok && message.ValidID(id) {
				continue
			}
		}
		if k == "index/snapshot.json.gz" {
			continue
		}
		if len(parts) < 3 || (parts[0] != "originals" && parts[0] != "messages") || !message.ValidID(parts[1]) {
			t.Errorf("unexpected key %q", k)
		}
	}
}
