package testenv

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// BuildQuinte builds cmd/quinte once per test binary and returns the path of the program, so fault
// tests can run `quinte api` and `quinte worker` as real processes and kill them. RemoveBuilds (from
// TestMain) deletes it.
func BuildQuinte(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "quinte-bin-")
		if build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "quinte")
		cmd := exec.Command("go", "build", "-o", build.bin, "./cmd/quinte")
		cmd.Dir = RepoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/quinte: %v: %s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// RemoveBuilds deletes what BuildQuinte built.
func RemoveBuilds() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// Proc is a quinte process the test owns.
type Proc struct {
	t    testing.TB
	Role string
	Cmd  *exec.Cmd
	Log  string // its stderr and stdout
	URL  string // the API's base URL (api and run roles)

	mu     sync.Mutex
	exited chan struct{}
	state  *os.ProcessState
}

// StartQuinte runs `quinte role` with env (and nothing else from the test's environment but PATH and
// HOME) and, for roles that serve HTTP, waits until /healthz answers. The process is killed when the
// test ends.
func StartQuinte(t testing.TB, bin, role string, env map[string]string) *Proc {
	t.Helper()
	p := &Proc{t: t, Role: role, exited: make(chan struct{})}
	p.Log = filepath.Join(t.TempDir(), role+".log")
	logf, err := os.Create(p.Log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, role)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start quinte %s: %v", role, err)
	}
	p.Cmd = cmd
	go func() {
		_ = cmd.Wait()
		p.mu.Lock()
		p.state = cmd.ProcessState
		p.mu.Unlock()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			b, _ := os.ReadFile(p.Log)
			t.Logf("quinte %s log (last 6 KB):\n%s", role, lastBytes(b, 6<<10))
		}
	})
	if addr := env["QUINTE_ADDR"]; role != "worker" && addr != "" {
		p.URL = "http://" + addr
		p.waitHealthy()
	}
	return p
}

func (p *Proc) waitHealthy() {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			b, _ := os.ReadFile(p.Log)
			p.t.Fatalf("quinte %s exited at start: %s", p.Role, b)
		default:
		}
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("quinte %s did not answer /healthz within 60s", p.Role)
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Signal sends sig to the process (not its group: its children are its own business).
func (p *Proc) Signal(sig syscall.Signal) {
	_ = p.Cmd.Process.Signal(sig)
}

// Kill sends SIGKILL (a crash) and waits for the process to be gone.
func (p *Proc) Kill() {
	_ = p.Cmd.Process.Kill()
	<-p.exited
}

// Wait waits up to within for the process to exit and returns its exit code (-1 when killed by a
// signal), failing the test if it is still running.
func (p *Proc) Wait(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(within):
		p.t.Fatalf("quinte %s still running after %s", p.Role, within)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state.ExitCode()
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// LogText is what the process has printed so far.
func (p *Proc) LogText() string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}

// Memory is a process's resident memory, now and at its peak, in bytes (from /proc/PID/status).
type Memory struct{ RSS, Peak int64 }

// ReadMemory reads the memory of process pid; zero when it is gone.
func ReadMemory(pid int) Memory {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Memory{}
	}
	defer f.Close()
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			m.RSS = n << 10
		case "VmHWM":
			m.Peak = n << 10
		}
	}
	return m
}

// Processes returns the pids of the live processes whose command line (arguments joined by spaces)
// contains s, the test's own excluded.
func Processes(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(b) == 0 {
			continue
		}
		if bytes.Contains(bytes.ReplaceAll(b, []byte{0}, []byte{' '}), []byte(s)) && !isZombie(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// "pid (comm) S ...": the state follows the last ')'.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z'
}

// CommandLine is the argv of pid, NULs turned into spaces.
func CommandLine(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
