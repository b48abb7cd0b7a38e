package testenv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Client talks to a running quinte API the way users' scripts do.
type Client struct {
	Base  string // http://host:port
	Token string
	HTTP  *http.Client
}

// Message is GET /v1/messages/{id}'s answer.
type Message struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Warnings []string `json:"warnings"`
	Outputs  []Output `json:"outputs"`
	Progress *struct {
		Stage   string `json:"stage"`
		Percent int    `json:"percent"`
	} `json:"progress"`
}

// Output is one entry of a message's outputs.
type Output struct {
	Name        string  `json:"name"`
	Role        string  `json:"role"`
	Width       int     `json:"width"`
	Height      int     `json:"height"`
	Duration    float64 `json:"duration"`
	ContentType string  `json:"content_type"`
	Size        int64   `json:"size"`
	Mode        string  `json:"mode"`
	URL         string  `json:"url"`
}

// Output returns the output called name, or fails the test.
func (m *Message) Output(t testing.TB, name string) Output {
	t.Helper()
	for _, o := range m.Outputs {
		if o.Name == name {
			return o
		}
	}
	var names []string
	for _, o := range m.Outputs {
		names = append(names, o.Name)
	}
	t.Fatalf("message %s has no output %q (it has %v)", m.ID, name, names)
	return Output{}
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 5 * time.Minute}
}

// Do sends a request with the team token and returns the status and body.
func (c *Client) Do(t testing.TB, method, path string, body io.Reader, header http.Header) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.Token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// MultipartBytes posts data as the file field of POST /v1/messages, under the client file name name
// and with the given fields, and returns the status and the answer's body.
func (c *Client) MultipartBytes(t testing.TB, name string, data []byte, fields map[string]string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		Must(t, mw.WriteField(k, fields[k]))
	}
	fw, err := mw.CreateFormFile("file", name)
	Must(t, err)
	_, err = fw.Write(data)
	Must(t, err)
	Must(t, mw.Close())
	status, body, _ := c.Do(t, "POST", "/v1/messages", &buf, http.Header{"Content-Type": {mw.FormDataContentType()}})
	return status, string(body)
}

// Upload uploads the file at path by multipart and returns the new message id, failing the test on
// anything but 202.
func (c *Client) Upload(t testing.TB, path string, fields map[string]string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	Must(t, err)
	status, body := c.MultipartBytes(t, filepath.Base(path), data, fields)
	var out struct{ ID string }
	if status != http.StatusAccepted || json.Unmarshal([]byte(body), &out) != nil || out.ID == "" {
		t.Fatalf("upload %s: status %d: %s", filepath.Base(path), status, body)
	}
	return out.ID
}

// Tus uploads the file at path with tus 1.0 in chunks of chunk bytes and returns the message id the
// last PATCH answers with, failing the test on any other answer.
func (c *Client) Tus(t testing.TB, path string, meta map[string]string, chunk int) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	status, got := c.TusBytes(t, data, meta, chunk)
	if status != http.StatusNoContent {
		t.Fatalf("tus upload of %s: status %d: %s", filepath.Base(path), status, got)
	}
	if got == "" {
		t.Fatal("the last tus PATCH did not name the message (Quinte-Message-Id)")
	}
	return got
}

// TusBytes sends data by tus 1.0 with the given metadata in chunks of chunk bytes. It returns the
// status of the last answer (the creation's, if it was refused) and, after the last PATCH, the message
// id it names (else the answer's body); a refusal is for the caller to judge.
func (c *Client) TusBytes(t testing.TB, data []byte, meta map[string]string, chunk int) (int, string) {
	t.Helper()
	var md []string
	for k, v := range meta {
		md = append(md, k+" "+base64.StdEncoding.EncodeToString([]byte(v)))
	}
	sort.Strings(md)
	status, body, h := c.Do(t, "POST", "/v1/uploads/", nil, http.Header{
		"Tus-Resumable": {"1.0.0"}, "Upload-Length": {strconv.Itoa(len(data))}, "Upload-Metadata": {strings.Join(md, ",")},
	})
	if status != http.StatusCreated {
		return status, string(body)
	}
	u, err := url.Parse(h.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		status, body, h := c.Do(t, "PATCH", u.Path, bytes.NewReader(data[off:end]), http.Header{
			"Tus-Resumable": {"1.0.0"}, "Upload-Offset": {strconv.Itoa(off)}, "Content-Type": {"application/offset+octet-stream"},
		})
		if status != http.StatusNoContent {
			return status, string(body)
		}
		if end == len(data) {
			return status, h.Get("Quinte-Message-Id")
		}
	}
	return 0, ""
}

// Get returns a message.
func (c *Client) Get(t testing.TB, id string) *Message {
	t.Helper()
	status, body, _ := c.Do(t, "GET", "/v1/messages/"+id, nil, nil)
	if status != http.StatusOK {
		t.Fatalf("GET message %s: status %d: %s", id, status, body)
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// List returns the ids of the newest messages (at most 100) in a status ("" for any).
func (c *Client) List(t testing.TB, status string) []string {
	t.Helper()
	q := "/v1/messages?limit=100"
	if status != "" {
		q += "&status=" + url.QueryEscape(status)
	}
	code, body, _ := c.Do(t, "GET", q, nil, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", q, code, body)
	}
	var page struct {
		Messages []Message `json:"messages"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

// Wait polls a message until it is ready or failed (or the time runs out) and returns it.
func (c *Client) Wait(t testing.TB, id string, within time.Duration) *Message {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		m := c.Get(t, id)
		if m.Status == "ready" || m.Status == "failed" {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s still %s after %s", id, m.Status, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitReady waits for ready and fails the test if the message failed.
func (c *Client) WaitReady(t testing.TB, id string, within time.Duration) *Message {
	t.Helper()
	m := c.Wait(t, id, within)
	if m.Status != "ready" {
		t.Fatalf("message %s failed: %+v", id, m.Error)
	}
	return m
}

// Download fetches an output by its URL into dir and returns the path and the response headers.
func Download(t testing.TB, url, dir, name string) (string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("download %s: %v", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("download %s: status %d: %s", name, resp.StatusCode, b)
	}
	p := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p, resp.Header
}

// Env builds a getenv function from a map.
func Env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// Must fails the test on err.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(fmt.Sprint(err))
	}
}
