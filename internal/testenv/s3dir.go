package testenv

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/quinte-media/quinte/storage"
)

// S3Dir starts versitygw over a temporary directory, creates the bucket and returns it with the
// settings to reach it and the directory holding the bucket's objects (one
// file per key), for benchmarks that write many objects faster than PUTs can.
func S3Dir(t testing.TB) (*Server, storage.Config, string) {
	t.Helper()
	bin := need(t, "versitygw", "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 (make test does it)")
	port := FreePort(t)
	cfg := storage.Config{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), Bucket: "quinte-test", Region: "us-east-1",
		AccessKey: "testaccess", SecretKey: "testsecret-0123456789",
	}
	dir, meta := t.TempDir(), filepath.Join(t.TempDir(), "meta")
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, name: "versitygw", bin: bin, Addr: "127.0.0.1:" + strconv.Itoa(port), args: []string{
		"--access", cfg.AccessKey, "--secret", cfg.SecretKey, "--port", "127.0.0.1:" + strconv.Itoa(port),
		"--quiet", "posix", "--sidecar", meta, dir,
	}}
	s.Start()
	t.Cleanup(s.Stop)
	st, err := storage.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := st.EnsureBucket(ctx); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return s, cfg, filepath.Join(dir, cfg.Bucket)
}
