package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/library"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/storage"
)

// BenchmarkListIndex measures GET /v1/messages with every filter against a versitygw holding 10,000
// generated messages (QUINTE_BENCH_LIST=100000 for 100,000): the cold build of the list index from
// the bucket, the server time of each filter (the handler's, no network; median and worst of 30), and
// how long a change written by another process takes to show. The records are written straight into
// versitygw's directory (S3 reads them back like any object): PUTs would take minutes at 100,000.
func BenchmarkListIndex(b *testing.B) {
	n := 10000
	if v := os.Getenv("QUINTE_BENCH_LIST"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("QUINTE_BENCH_LIST=%q: want a number of messages", v)
		}
	}
	_, cfg, dir := testenv.S3Dir(b)
	start := time.Now()
	ids := generateMessages(b, dir, n)
	b.Logf("%d messages written in %s", n, time.Since(start).Round(time.Millisecond))

	st, err := storage.New(cfg)
	testenv.Must(b, err)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	api := library.New(library.Config{URLTTL: time.Hour}, "bench-team-token-0123456789", st, nil, log)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start = time.Now()
	api.StartIndex(context.Background())
	defer api.Close()
	h := httpapi.Handler(httpapi.NewAuth("bench-team-token-0123456789", st, log), nil, api.Routes())
	get := func(q string) (time.Duration, listAnswer) {
		req := httptest.NewRequest("GET", "/v1/messages?"+q, nil)
		req.Header.Set("Authorization", "Bearer bench-team-token-0123456789")
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		d := time.Since(t0)
		var a listAnswer
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &a) != nil {
			b.Fatalf("?%s: %d %s", q, rec.Code, rec.Body.String())
		}
		return d, a
	}
	for api.IndexBuiltIn() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	fmt.Printf("list index, %d messages: cold build %s, heap %.0f MiB\n", n, api.IndexBuiltIn().Round(time.Millisecond),
		float64(after.HeapAlloc-before.HeapAlloc)/(1<<20))

	// A fresh process: from the snapshot the first wrote after its build, then the feed.
	for {
		if ok, _ := st.Exists(context.Background(), "index/snapshot.json.gz"); ok {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if sz, err := st.Size(context.Background(), "index/snapshot.json.gz"); err == nil {
		fmt.Printf("  snapshot: %.1f MiB\n", float64(sz)/(1<<20))
	}
	fresh := library.New(library.Config{URLTTL: time.Hour}, "bench-team-token-0123456789", st, nil, log)
	fresh.StartIndex(context.Background())
	for fresh.IndexBuiltIn() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("  a fresh process starts from the snapshot in %s\n", fresh.IndexBuiltIn().Round(time.Millisecond))
	fresh.Close()

	mid := ids[len(ids)/2]
	for _, q := range []string{
		"", "limit=100", "status=ready", "status=failed", "review=approved", "review=rejected", "kind=video", "kind=audio",
		"campaign=tour-3", "q=" + "ada", "q=" + "zzzz-none", "q=" + "MÜLLER", "campaign=tour-3&review=approved&kind=image&q=grazie",
		"before=" + mid + "&limit=100", "before=" + mid + "&status=failed&q=jose",
	} {
		var times []time.Duration
		var got int
		for range 30 {
			d, a := get(q)
			times = append(times, d)
			got = len(a.Messages)
		}
		slices.Sort(times)
		fmt.Printf("  ?%-60s %3d items  median %7s  worst %7s\n", q, got, times[len(times)/2].Round(10*time.Microsecond), times[len(times)-1].Round(10*time.Microsecond))
	}

	// A change by another process: its record and the feed's key, then the list shows it.
	id := ids[0]
	t0 := time.Now()
	_, err = message.States{Store: st}.Update(context.Background(), id, func(r *message.Record) {
		r.Review = &message.Review{State: message.ReviewRejected, Reason: "bench", By: "bench", At: time.Now()}
	})
	testenv.Must(b, err)
	for {
		_, a := get("review=rejected&q=benchmark-marker")
		if len(a.Messages) == 1 {
			break
		}
		if time.Since(t0) > 30*time.Second {
			b.Fatal("a change did not show in 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("  a change by another process shows after %s\n", time.Since(t0).Round(time.Millisecond))
}

type listAnswer struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

var (
	benchArtists = []string{"Ada", "José Álvarez", "Zoë Müller", "Björk", "Nguyễn Văn An", "Chloé", "Søren", "Ana María", "李雷", "Ola"}
	benchTitles  = []string{"Thank you, crew", "Grazie mille", "Best night", "Encore!", "Merci", "Danke schön", "From the front row"}
)

// generateMessages writes n messages (meta, record, and for the ready ones a manifest of a dozen
// outputs) into the bucket directory, in parallel, and returns their ids in order. The first one's
// artist is "benchmark-marker", for the change test.
func generateMessages(b *testing.B, dir string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = message.NewID()
	}
	slices.Sort(ids) // ids of one millisecond sort by their random part: an order as good as any
	var wg sync.WaitGroup
	work := make(chan int, 256)
	errs := make(chan error, 1)
	for range runtime.GOMAXPROCS(0) * 4 {
		wg.Go(func() {
			for i := range work {
				if err := writeMessage(dir, ids[i], i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range ids {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	return ids
}

func writeMessage(dir, id string, i int) error {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	kinds := []message.Kind{message.KindVideo, message.KindVideo, message.KindImage, message.KindAudio}
	meta := message.Meta{ID: id, Kind: kinds[r.IntN(len(kinds))], Artist: benchArtists[r.IntN(len(benchArtists))],
		Title: benchTitles[r.IntN(len(benchTitles))], Via: "multipart", CreatedAt: time.Now()}
	if i == 0 {
		meta.Artist = "benchmark-marker"
	}
	if c := r.IntN(12); c < 10 {
		meta.Campaign = "tour-" + strconv.Itoa(c)
	}
	rec := message.Record{ID: id, Kind: meta.Kind, Status: message.StatusReady, CreatedAt: meta.CreatedAt, UpdatedAt: meta.CreatedAt}
	switch p := r.IntN(10); {
	case p == 0:
		rec.Status, rec.Error = message.StatusFailed, &message.Error{Code: "unsupported", Message: "not a video"}
	case p < 3:
		rec.Status = message.StatusQueued
	}
	switch p := r.IntN(10); {
	case p < 3:
		rec.Review = &message.Review{State: message.ReviewApproved, By: "team", At: time.Now()}
	case p < 4:
		rec.Review = &message.Review{State: message.ReviewRejected, Reason: "blurry", By: "team", At: time.Now()}
	}
	files := map[string]any{message.MetaKey(id): meta, message.StatusKey(id): rec}
	if rec.Status == message.StatusReady {
		man := message.Manifest{ID: id, Kind: meta.Kind, PublishedAt: time.Now()}
		for _, o := range []struct{ name, role, ext, ct string }{
			{"rendition/720p", message.RoleRendition, ".mp4", "video/mp4"}, {"rendition/480p", message.RoleRendition, ".mp4", "video/mp4"},
			{"crop/9x16", message.RoleCrop, ".mp4", "video/mp4"}, {"crop/1x1", message.RoleCrop, ".mp4", "video/mp4"},
			{"crop/4x5", message.RoleCrop, ".mp4", "video/mp4"}, {"poster", message.RolePoster, ".jpg", "image/jpeg"},
			{"poster/webp", message.RolePoster, ".webp", "image/webp"}, {"poster/640", message.RolePoster, ".jpg", "image/jpeg"},
			{"poster/640/webp", message.RolePoster, ".webp", "image/webp"}, {"preview/mp4", message.RolePreview, ".mp4", "video/mp4"},
			{"storyboard/sprite", message.RoleStoryboard, ".jpg", "image/jpeg"}, {"hls/master", message.RoleHLS, ".m3u8", "application/vnd.apple.mpegurl"},
		} {
			man.Outputs = append(man.Outputs, message.Output{Name: o.name, Role: o.role, Width: 640, Height: 1138, ContentType: o.ct,
				Size: 1 << 20, Key: message.OutputKey(id, o.name, o.ext)})
		}
		files[message.ManifestKey(id)] = man
	}
	for key, v := range files {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
