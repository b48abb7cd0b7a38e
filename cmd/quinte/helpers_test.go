package main

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline"
)

func TestMain(m *testing.M) {
	// `quinte run` inside this binary runs each photo in a child: this binary again (os.Executable).
	if pipeline.IsPhotoJob(os.Args[1:]) {
		os.Exit(pipeline.PhotoJobMain())
	}
	code := m.Run()
	testenv.RemoveBuilds()
	os.Exit(code)
}

// writeMultipartFields writes a form holding text fields, then the file at path, to w and returns its
// Content-Type.
func writeMultipartFields(t testing.TB, w io.Writer, path string, fields map[string]string) string {
	t.Helper()
	mw := multipart.NewWriter(w)
	for k, v := range fields {
		testenv.Must(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", filepath.Base(path))
	testenv.Must(t, err)
	b, err := os.ReadFile(path)
	testenv.Must(t, err)
	_, err = fw.Write(b)
	testenv.Must(t, err)
	testenv.Must(t, mw.Close())
	return mw.FormDataContentType()
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	testenv.Must(t, err)
	return b
}

// tusRequest sends one tus 1.0 request with the Bearer token and the given headers; a PATCH body is
// sent as application/offset+octet-stream. It returns the response with its body read.
func tusRequest(t testing.TB, method, url, tok string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	testenv.Must(t, err)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Authorization", "Bearer "+tok)
	if method == http.MethodPatch {
		req.Header.Set("Content-Type", "application/offset+octet-stream")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}
