// Package testenv starts the real parts quinte's tests run against: redis-server and a versitygw S3
// server, each on a free loopback port, stopped when the test ends. It also finds the shared media
// corpus. A missing program fails the test with what to install; nothing is faked or skipped.
package testenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quinte-media/quinte/storage"
)

// Server is a server process the test owns. Stop and Start let fault tests take it away and bring it
// back on the same port with the same data.
type Server struct {
	t    testing.TB
	name string
	bin  string
	args []string
	Addr string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start runs the server and waits until its port accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	cmd := exec.Command(s.bin, s.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	logPath := filepath.Join(s.t.TempDir(), s.name+".log")
	logf, err := os.Create(logPath)
	if err == nil {
		cmd.Stdout, cmd.Stderr = logf, logf
		defer logf.Close()
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", s.name, err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			s.t.Fatalf("%s did not listen on %s within 20s: %s", s.name, s.Addr, out)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Stop kills the server (SIGKILL: a crash, not a shutdown).
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Redis starts a redis-server without persistence and returns it; URL() is its redis:// URL.
func Redis(t testing.TB) *Server {
	t.Helper()
	bin := need(t, "redis-server", "apt-get install redis-server (make test does it)")
	port := FreePort(t)
	s := &Server{t: t, name: "redis", bin: bin, Addr: "127.0.0.1:" + strconv.Itoa(port), args: []string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--maxmemory-policy", "noeviction",
	}}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the redis:// URL of a Redis server.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// S3 starts versitygw over a temporary directory, creates the bucket and returns it with the settings
// to reach it.
func S3(t testing.TB) (*Server, storage.Config) {
	t.Helper()
	s, cfg, _ := S3Dir(t)
	return s, cfg
}

// FreePort returns a loopback TCP port nobody listens on.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// need finds a program on PATH or in the Go bin directory.
func need(t testing.TB, name, how string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOBIN"), filepath.Join(goPath(), "bin")} {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, name); isExec(p) {
			return p
		}
	}
	t.Fatalf("%s is not installed: %s", name, how)
	return ""
}

func goPath() string {
	if p := os.Getenv("GOPATH"); p != "" {
		return filepath.SplitList(p)[0]
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go")
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Corpus returns the path of a file (or folder) of the shared media corpus, ../shared/corpus next to
// the repository (QUINTE_CORPUS overrides).
func Corpus(t testing.TB, rel string) string {
	t.Helper()
	root := os.Getenv("QUINTE_CORPUS")
	if root == "" {
		root = filepath.Join(RepoRoot(t), "..", "shared", "corpus")
	}
	p := filepath.Join(root, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("corpus file %s: %v (the corpus lives in ../shared/corpus; set QUINTE_CORPUS elsewhere)", rel, err)
	}
	return p
}

// RepoRoot is the directory holding go.mod, found from this source file rather than the working
// directory, which the embedded S3 server changes.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the testenv source file")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}
