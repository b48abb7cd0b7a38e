package worker

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/invite"
	"github.com/quinte-media/quinte/library"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/pipeline/face"
	"github.com/quinte-media/quinte/pipeline/reframe"
	"github.com/quinte-media/quinte/pipeline/reframe/subject"
)

// newAnalysingRig is the worker's rig with the real subject analysis (faces), which the early poster
// is chosen from.
func newAnalysingRig(t *testing.T) *rig {
	t.Helper()
	r := newRig(t, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pool := face.NewPool(2)
	t.Cleanup(pool.Close)
	pipe := pipeline.New(pipeline.Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23, StallTimeout: time.Minute},
		pipeline.Parts{Subjects: subject.NewAnalyzer(reframe.DefaultConfig(), pool)}, log)
	r.h = NewHandler(r.store, pipe, r.cfg, log)
	return r
}

// TestPosterPublishedWhileProcessing: a video's poster, chosen by the subject analysis, is in S3, on the
// message's record and in its JSON (the team's GET /v1/messages/{id}, the invite's GET /v1/invite and
// GET /v1/messages/{id}) while the message is still processing, and its link serves the picture. It is
// checked at the moment the worker records the early poster: the job's final publish waits for that,
// so no manifest can exist yet. Then the manifest lists the same poster keys, and the record drops
// its early outputs.
func TestPosterPublishedWhileProcessing(t *testing.T) {
	r := newAnalysingRig(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	const team = "worker-team-token-0123456789"
	api := httpapi.Handler(httpapi.NewAuth(team, r.store, log), nil, library.New(library.Config{URLTTL: time.Hour}, team, r.store, nil, log).Routes())
	get := func(path, token string, v any) {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), v) != nil {
			t.Errorf("GET %s: %d %s", path, rec.Code, rec.Body.String())
		}
	}
	picture := func(url, what string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if ct := http.DetectContentType(b); resp.StatusCode != http.StatusOK || (ct != "image/jpeg" && ct != "image/webp") {
			t.Errorf("%s: %d, %s, %d bytes", what, resp.StatusCode, ct, len(b))
		}
	}

	id := r.seed(t, testenv.Corpus(t, "video/person_asl_gesture_640x480.mkv"), message.KindVideo)
	ctx := context.Background()
	book := &invite.Book{Store: r.store}
	inv, tok, err := book.Create(ctx, invite.Spec{Label: "early", MaxUploads: 1, TTL: time.Hour})
	testenv.Must(t, err)
	testenv.Must(t, book.Reserve(ctx, inv.ID, id))

	var mu sync.Mutex
	var early []message.Output
	r.h.OnChange(func(ctx context.Context, rec message.Record) {
		mu.Lock()
		defer mu.Unlock()
		if len(rec.Early) == 0 || early != nil {
			return
		}
		early = rec.Early
		if rec.Status != message.StatusProcessing {
			t.Errorf("early outputs recorded on a %s message", rec.Status)
		}
		for _, o := range rec.Early {
			if ok, err := r.store.Exists(ctx, o.Key); !ok || err != nil || o.Role != message.RolePoster || o.Size == 0 {
				t.Errorf("early output %+v: in S3 %v (%v)", o, ok, err)
			}
		}
		if ok, _ := r.store.Exists(ctx, message.ManifestKey(id)); ok {
			t.Error("the manifest exists already")
		}

		var v struct {
			Status  message.Status   `json:"status"`
			Outputs []message.Output `json:"outputs"`
		}
		get("/v1/messages/"+id, team, &v)
		i := slices.IndexFunc(v.Outputs, func(o message.Output) bool { return o.Name == "poster" })
		if v.Status != message.StatusProcessing || i < 0 || v.Outputs[i].URL == "" || v.Outputs[i].Key != "" {
			t.Errorf("team's view while processing: %s, outputs %+v", v.Status, v.Outputs)
		} else {
			picture(v.Outputs[i].URL, "the team's poster link")
		}

		var list struct {
			Messages []struct {
				ID        string `json:"id"`
				PosterURL string `json:"poster_url"`
			} `json:"messages"`
		}
		get("/v1/messages", team, &list)
		if len(list.Messages) != 1 || list.Messages[0].ID != id || list.Messages[0].PosterURL == "" {
			t.Errorf("the team's list while processing: %+v", list.Messages)
		} else {
			picture(list.Messages[0].PosterURL, "the grid's poster link")
		}

		var own struct {
			Messages []struct {
				ID        string         `json:"id"`
				Status    message.Status `json:"status"`
				PosterURL string         `json:"poster_url"`
			} `json:"messages"`
		}
		get("/v1/invite", tok, &own)
		if len(own.Messages) != 1 || own.Messages[0].Status != message.StatusProcessing || own.Messages[0].PosterURL == "" {
			t.Errorf("the invite's messages while processing: %+v", own.Messages)
		} else {
			picture(own.Messages[0].PosterURL, "the artist's poster link")
		}
		var mine struct {
			Outputs []message.Output `json:"outputs"`
		}
		get("/v1/messages/"+id, tok, &mine)
		if len(mine.Outputs) != 1 || mine.Outputs[0].Name != "poster/webp" || mine.Outputs[0].URL == "" {
			t.Errorf("the invite's view of the message while processing: %+v", mine.Outputs)
		}
	})

	testenv.Must(t, r.run(ctx, t, id))
	mu.Lock()
	defer mu.Unlock()
	if early == nil {
		t.Fatal("no output was published early")
	}
	if rec := r.status(t, id); rec.Status != message.StatusReady || len(rec.Early) != 0 {
		t.Errorf("after the job: %s, early %+v", rec.Status, rec.Early)
	}
	var man struct {
		message.Manifest
		Finish pipeline.FinishResult `json:"finish"`
	}
	testenv.Must(t, r.store.GetJSON(ctx, message.ManifestKey(id), &man))
	for _, o := range early {
		i := slices.IndexFunc(man.Outputs, func(m message.Output) bool { return m.Name == o.Name })
		if i < 0 || man.Outputs[i].Key != o.Key {
			t.Errorf("the manifest lists %s as %v", o.Name, man.Outputs)
		}
	}
	if n := len(early); n != 4 || man.Finish.PosterFrom != pipeline.PosterFromSubjects {
		t.Errorf("%d posters early, the manifest's finish %+v", n, man.Finish)
	}
}

// A job stopped after its poster was published early (here: cancelled the moment the early poster is
// recorded, as a shutdown or new captions stop it) leaves nothing in S3 that no manifest lists: the
// early poster objects are deleted, and the record no longer shows them.
func TestEarlyPosterWithdrawnWhenTheJobStops(t *testing.T) {
	r := newAnalysingRig(t)
	id := r.seed(t, testenv.Corpus(t, "video/person_asl_gesture_640x480.mkv"), message.KindVideo)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var early []message.Output
	r.h.OnChange(func(_ context.Context, rec message.Record) {
		mu.Lock()
		defer mu.Unlock()
		if len(rec.Early) > 0 && early == nil {
			early = rec.Early
			cancel()
		}
	})
	if err := r.run(ctx, t, id); err == nil {
		t.Fatal("the job stopped after its early poster ended without an error")
	}
	mu.Lock()
	defer mu.Unlock()
	if early == nil {
		t.Fatal("no output was published early")
	}
	for _, o := range early {
		if ok, err := r.store.Exists(context.Background(), o.Key); ok || err != nil {
			t.Errorf("after the job stopped, %s is still in S3 (%v)", o.Key, err)
		}
	}
	if rec := r.status(t, id); len(rec.Early) != 0 {
		t.Errorf("after the job stopped, the record (%s) still shows %d early outputs", rec.Status, len(rec.Early))
	}
}
