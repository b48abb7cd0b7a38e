package library

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/storage"
)

// A kit's memory stays flat whatever its size: 100 MB of crops always, 1 GB with QUINTE_KIT_1GB=1.
// The message's outputs are written straight into versitygw's directory, and the kit is streamed
// over HTTP by this process to a client in it that writes the zip to a file; the process's heap in use
// and its RSS are sampled while it streams. The zip is then checked entry by entry (names, sizes, CRCs).
func TestKitMemoryFlat(t *testing.T) {
	sizes := []int64{100 << 20}
	if os.Getenv("QUINTE_KIT_1GB") != "" {
		sizes = append(sizes, 1<<30)
	}
	_, cfg, dir := testenv.S3Dir(t)
	st, err := storage.New(cfg)
	testenv.Must(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := New(Config{URLTTL: time.Hour}, "team-token-0123456789", st, nil, log)
	srv := httptest.NewServer(httpapi.Handler(httpapi.NewAuth("team-token-0123456789", st, log), nil, api.Routes()))
	defer srv.Close()
	for _, total := range sizes {
		t.Run(strconv.FormatInt(total>>20, 10)+"MiB", func(t *testing.T) {
			id := writeBigMessage(t, dir, total)
			req, err := http.NewRequest("GET", srv.URL+"/v1/messages/"+id+"/kit", nil)
			testenv.Must(t, err)
			req.Header.Set("Authorization", "Bearer team-token-0123456789")

			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heap0, rss0 := ms.HeapInuse, rss(t)
			var peakHeap, peakRSS atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				for {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					peakHeap.Store(max(peakHeap.Load(), ms.HeapInuse))
					peakRSS.Store(max(peakRSS.Load(), rss(t)))
				}
			}()
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			testenv.Must(t, err)
			out := filepath.Join(t.TempDir(), "kit.zip")
			f, err := os.Create(out)
			testenv.Must(t, err)
			n, err := io.Copy(f, resp.Body)
			resp.Body.Close()
			f.Close()
			close(stop)
			<-sampled
			testenv.Must(t, err)
			took := time.Since(start)
			growHeap, growRSS := int64(peakHeap.Load())-int64(heap0), int64(peakRSS.Load())-int64(rss0)
			t.Logf("kit of %d MiB: %d bytes streamed in %s (%.0f MB/s); heap in use grew by %.1f MiB at most, RSS by %.1f MiB (from %.0f MiB)",
				total>>20, n, took.Round(time.Millisecond), float64(n)/took.Seconds()/1e6, float64(growHeap)/(1<<20), float64(growRSS)/(1<<20), float64(rss0)/(1<<20))
			if resp.StatusCode != http.StatusOK || n < total {
				t.Fatalf("kit: %d, %d bytes", resp.StatusCode, n)
			}
			// Flat: a few buffers, not the objects (the bound is a tenth of the smallest kit).
			if growHeap > 10<<20 {
				t.Errorf("the heap grew by %d MiB while streaming %d MiB", growHeap>>20, total>>20)
			}

			zr, err := zip.OpenReader(out)
			testenv.Must(t, err)
			defer zr.Close()
			var sum int64
			for _, zf := range zr.File {
				if zf.Name != "credits.txt" && zf.Method != zip.Store {
					t.Errorf("%s is compressed again (method %d)", zf.Name, zf.Method)
				}
				rc, err := zf.Open()
				testenv.Must(t, err)
				m, err := io.Copy(io.Discard, rc) // checks the CRC
				rc.Close()
				if err != nil {
					t.Errorf("%s: %v", zf.Name, err)
				}
				sum += m
			}
			if sum < total {
				t.Errorf("entries hold %d bytes, want %d", sum, total)
			}
		})
	}
}

// rss is this process's resident set size in bytes.
func rss(t *testing.T) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// writeBigMessage writes a ready message whose crops total about total bytes (four of them, of bytes
// no compressor shrinks) into the bucket directory, with its record, meta and manifest.
func writeBigMessage(t *testing.T, dir string, total int64) string {
	id := message.NewID()
	man := message.Manifest{ID: id, Kind: message.KindVideo, PublishedAt: time.Now()}
	block := make([]byte, 1<<20)
	x := uint64(len(id)) | 1
	for i := range block {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		block[i] = byte(x)
	}
	for i, aspect := range []string{"9x16", "1x1", "4x5", "16x9"} {
		name := "crop/" + aspect
		key := message.OutputKey(id, name, ".mp4")
		p := filepath.Join(dir, filepath.FromSlash(key))
		testenv.Must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		f, err := os.Create(p)
		testenv.Must(t, err)
		size := total / 4
		for w := int64(0); w < size; w += int64(len(block)) {
			block[0] = byte(i) // each file its own
			_, err := f.Write(block[:min(int64(len(block)), size-w)])
			testenv.Must(t, err)
		}
		testenv.Must(t, f.Close())
		man.Outputs = append(man.Outputs, message.Output{Name: name, Role: message.RoleCrop, ContentType: "video/mp4", Size: size, Key: key})
	}
	meta := message.Meta{ID: id, Kind: message.KindVideo, Artist: "Ada", Title: "Big night", CreatedAt: time.Now()}
	rec := message.Record{ID: id, Kind: message.KindVideo, Status: message.StatusReady, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	for key, v := range map[string]any{message.MetaKey(id): meta, message.StatusKey(id): rec, message.ManifestKey(id): man} {
		data, err := json.Marshal(v)
		testenv.Must(t, err)
		p := filepath.Join(dir, filepath.FromSlash(key))
		testenv.Must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		testenv.Must(t, os.WriteFile(p, data, 0o644))
	}
	return id
}
