package testenv

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// CanaryText is what a canary hands to whoever reads it; finding it in an output or a status proves a
// read.
const CanaryText = "QUINTE-CANARY-7d1c9e-if-you-see-this-a-file-was-read"

// Canary is bait for the file-read and SSRF class: a named pipe (FIFO) and an HTTP listener on
// loopback. Opening a FIFO for reading blocks until a writer comes, so an open cannot go unseen: the
// watcher opens the write end whenever a reader waits, counts it, and hands over CanaryText. The HTTP
// listener counts every connection, request or not.
type Canary struct {
	Dir   string // holds the FIFOs
	FIFOs []string
	HTTP  string // http://127.0.0.1:PORT

	mu     sync.Mutex
	opens  map[string]int
	conns  int
	stop   chan struct{}
	stopWG sync.WaitGroup
}

// NewCanary sets the bait up (FIFOs named like media segments, so no extension filter skips them)
// and takes it down when the test ends.
func NewCanary(t testing.TB) *Canary {
	t.Helper()
	c := &Canary{Dir: t.TempDir(), opens: map[string]int{}, stop: make(chan struct{})}
	for _, name := range []string{"canary.ts", "canary.mp4", "canary.txt"} {
		p := filepath.Join(c.Dir, name)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
		c.FIFOs = append(c.FIFOs, p)
		c.stopWG.Add(1)
		go c.watch(p)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP = "http://" + ln.Addr().String()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(CanaryText)) }),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				c.mu.Lock()
				c.conns++
				c.mu.Unlock()
			}
		},
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		close(c.stop)
		c.stopWG.Wait()
		_ = srv.Close()
	})
	return c
}

func (c *Canary) watch(p string) {
	defer c.stopWG.Done()
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		// Succeeds only while a reader has the FIFO open (or is blocked opening it).
		fd, err := syscall.Open(p, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			time.Sleep(2 * time.Millisecond)
			continue
		}
		c.mu.Lock()
		c.opens[p]++
		c.mu.Unlock()
		f := os.NewFile(uintptr(fd), p)
		_, _ = f.Write([]byte(CanaryText))
		f.Close()
		time.Sleep(20 * time.Millisecond) // let the reader see EOF before looking again
	}
}

// URLs are the addresses a hostile playlist points at: each FIFO as a file:// URL, the first as a
// plain path, and the HTTP canary.
func (c *Canary) URLs() []string {
	var out []string
	for _, p := range c.FIFOs {
		out = append(out, "file://"+p)
	}
	return append(out, c.FIFOs[0], c.HTTP+"/segment.ts")
}

// Touched reports every open of a FIFO and every connection to the listener so far.
func (c *Canary) Touched() (opens map[string]int, connections int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.opens {
		out[k] = v
	}
	return out, c.conns
}
