package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/embedgw"
)

// MaxCopySize is the largest object one CopyObject may copy: the S3 limit of 5 GiB, which versitygw's own
// command line also defaults to.
const MaxCopySize = 5 << 30

// Embedded is an S3 server inside this process (versitygw over a directory), for `quinte run`: the
// objects are plain files under Dir, so they survive a restart.
type Embedded struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	Dir       string

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// StartEmbedded serves an S3 API on addr (port 0 picks a free port) over dir/s3/objects, with metadata in
// dir/s3/meta. Only one can run per process.
//
// versitygw's posix backend changes the process's working directory to its root and works relative to
// it from then on: everything else in the process must use absolute paths.
func StartEmbedded(ctx context.Context, dir, addr string) (*Embedded, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("embedded S3: data dir %q must be absolute", dir)
	}
	root := filepath.Join(dir, "s3", "objects")
	side := filepath.Join(dir, "s3", "meta")
	for _, d := range []string{root, side} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("embedded S3: %w", err)
		}
	}
	addr, err := resolvePort(addr)
	if err != nil {
		return nil, fmt.Errorf("embedded S3 address: %w", err)
	}
	sc, err := meta.NewSideCar(side)
	if err != nil {
		return nil, fmt.Errorf("embedded S3 metadata: %w", err)
	}
	// CopyObjectThreshold has no default in the library (only versitygw's command line sets one): left
	// at zero, every CopyObject is refused, and a finished tus upload is moved to originals/ by one.
	be, err := posix.New(root, sc, posix.PosixOpts{SideCarDir: side, CopyObjectThreshold: MaxCopySize})
	if err != nil {
		return nil, fmt.Errorf("embedded S3 backend: %w", err)
	}
	e := &Embedded{
		Endpoint:  "http://" + addr,
		AccessKey: "quinte-" + randomHex(8),
		SecretKey: randomHex(24),
		Dir:       root,
		done:      make(chan error, 1),
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel = cancel
	cfg := &embedgw.Config{
		RootUserAccess:    e.AccessKey,
		RootUserSecret:    e.SecretKey,
		Region:            "us-east-1",
		Ports:             []string{addr},
		MaxConnections:    1024,
		MaxRequests:       512,
		MultipartMaxParts: 10000,
		Quiet:             true,
		KeepAlive:         true,
	}
	go func() {
		err := embedgw.RunVersityGW(runCtx, be, cfg)
		be.Shutdown()
		e.done <- err
	}()
	if err := waitListening(ctx, addr, e.done); err != nil {
		cancel()
		return nil, fmt.Errorf("embedded S3 did not start on %s: %w", addr, err)
	}
	return e, nil
}

// Close stops the server. Closing again (a test that took the server away, then the Main's own Close)
// returns the first answer.
func (e *Embedded) Close() error {
	e.once.Do(func() {
		e.cancel()
		select {
		case err := <-e.done:
			if !errors.Is(err, context.Canceled) {
				e.err = err
			}
		case <-time.After(10 * time.Second):
			e.err = errors.New("embedded S3 did not stop within 10s")
		}
	})
	return e.err
}

// resolvePort replaces port 0 with a free port, since versitygw needs to be told a fixed one.
func resolvePort(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port != "0" {
		return addr, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitListening(ctx context.Context, addr string, done <-chan error) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("server stopped: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("timed out")
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
