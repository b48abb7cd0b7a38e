package main

import (
	"io"
	"mime/multipart"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveBuilds()
	os.Exit(code)
}

// writeMultipart writes a form holding the file at path to w and returns its Content-Type.
func writeMultipart(t testing.TB, w io.Writer, path string) string {
	t.Helper()
	mw := multipart.NewWriter(w)
	fw, err := mw.CreateFormFile("file", filepath.Base(path))
	testenv.Must(t, err)
	f, err := os.Open(path)
	testenv.Must(t, err)
	defer f.Close()
	_, err = io.Copy(fw, f)
	testenv.Must(t, err)
	testenv.Must(t, mw.Close())
	return mw.FormDataContentType()
}

func execLookPath(name string) (string, error) { return exec.LookPath(name) }

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	testenv.Must(t, err)
	return b
}
