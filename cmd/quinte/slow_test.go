package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// stallAfter opens a raw connection to the API, writes head, then sends nothing more, and returns what
// the server answered (or "closed") and how long it took, failing after within.
func stallAfter(t *testing.T, base string, head []byte, within time.Duration) (string, time.Duration) {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := net.Dial("tcp", u.Host)
	testenv.Must(t, err)
	defer conn.Close()
	start := time.Now()
	_, err = conn.Write(head)
	testenv.Must(t, err)
	_ = conn.SetReadDeadline(time.Now().Add(within))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the server still holds a stalled connection after %s", within)
		}
		return "closed", time.Since(start)
	}
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(b)), time.Since(start)
}

// Slow and stalled clients do not hold the API: a multipart body that stops arriving is cut after
// QUINTE_UPLOAD_IDLE_TIMEOUT and stores nothing, headers that never end are cut by ReadHeaderTimeout,
// and a stalled tus PATCH keeps what arrived so the artist can resume.
func TestStalledUploadsAreCutOff(t *testing.T) {
	env := realEnv(t)
	env["QUINTE_UPLOAD_IDLE_TIMEOUT"] = "1s"
	m := startMain(t, config.RoleRun, env)
	jpeg := mustRead(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"))

	// Multipart: the headers, the start of the file, then silence.
	part := "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
	body := append([]byte(part), jpeg[:8<<10]...)
	head := fmt.Sprintf("POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n", token, len(part)+len(jpeg)+8)
	got, took := stallAfter(t, m.URL, append([]byte(head), body...), time.Minute)
	t.Logf("stalled multipart body: %s after %s", got, took.Round(100*time.Millisecond))
	if got != "closed" && !strings.HasPrefix(got, "408") {
		t.Errorf("stalled multipart body answered %s", got)
	}

	// Headers that never end (slowloris).
	got, took = stallAfter(t, m.URL, []byte("POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-Slow: "), time.Minute)
	t.Logf("unfinished headers: %s after %s", got, took.Round(100*time.Millisecond))
	if got != "closed" && !strings.HasPrefix(got, "408") {
		t.Errorf("unfinished headers answered %s", got)
	}

	for _, prefix := range []string{message.OriginalsPrefix, message.MessagesPrefix} {
		if keys := bucketKeys(t, m, prefix); len(keys) != 0 {
			t.Errorf("a stalled upload left %v", keys)
		}
	}

	// tus: a PATCH that stops halfway keeps what arrived; the upload resumes from there.
	loc := tusCreate(t, m.URL, token, len(jpeg))
	patchHead := fmt.Sprintf("PATCH %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n", loc, token, len(jpeg))
	got, took = stallAfter(t, m.URL, append([]byte(patchHead), jpeg[:20<<10]...), time.Minute)
	t.Logf("stalled tus PATCH: %s after %s", got, took.Round(100*time.Millisecond))
	// tusd's 500, not a 408, on purpose: tus clients (tus-js-client, Uppy) retry a PATCH that got a 5xx
	// (HEAD for the offset, then resume) but give up on a 4xx other than 409 and 423.
	if got != "closed" && (!strings.HasPrefix(got, "500 ") || !strings.Contains(got, `"read_timeout"`)) {
		t.Errorf("stalled tus PATCH answered %s; want tusd's retryable 500, code read_timeout", got)
	}
	resp, _ := tusRequest(t, "HEAD", m.URL+loc, token, nil, nil)
	off, _ := strconv.Atoi(resp.Header.Get("Upload-Offset"))
	if off <= 0 || off > 20<<10 {
		t.Fatalf("after the stall the upload is at offset %d, want what arrived (up to %d)", off, 20<<10)
	}
	resp, _ = tusRequest(t, "PATCH", m.URL+loc, token, jpeg[off:], map[string]string{"Upload-Offset": strconv.Itoa(off)})
	id := resp.Header.Get("Quinte-Message-Id")
	if resp.StatusCode != http.StatusNoContent || id == "" {
		t.Fatalf("resuming after the stall: %d", resp.StatusCode)
	}
	(&testenv.Client{Base: m.URL, Token: token}).WaitReady(t, id, time.Minute)
}
