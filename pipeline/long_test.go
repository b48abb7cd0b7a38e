package pipeline

import (
	"context"
	"image"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe/reframetest"
)

// A message of three minutes (artists' messages last 30 s to 3 minutes) ends ready on a stall timeout
// of a few seconds, far shorter than its main pass, whose storyboard has its only frame at the end:
// every output covers the whole clip (checkOutputs: renditions, crops, HLS, storyboard and its
// WebVTT), the thumbnails are spread over it, the crops still follow the face in the last minute, and the
// job says how far it is as it goes. Small pictures keep it quick.
func TestLongMessage(t *testing.T) {
	const seconds = 180
	det, _, _ := reframetest.Setup(t)
	dir := t.TempDir()
	clip := reframetest.GeneratePanSized(t, dir, det, geom.Size{W: 640, H: 360}, 25, seconds, 30)
	src := filepath.Join(dir, "long.mp4")
	testenv.FFmpeg(t, "-i", clip.Path, "-f", "lavfi", "-i", "sine=f=330:d=180", "-map", "0:v", "-map", "1:a",
		"-c:v", "copy", "-c:a", "aac", "-b:a", "64k", "-shortest", src)

	p := New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23, MaxPhotoPixels: 50e6,
		StallTimeout: 15 * time.Second}, testParts(), nil)
	var mu sync.Mutex
	var seen []message.Progress
	res, err := p.Process(context.Background(), Input{ID: "long", Path: src, Kind: message.KindVideo, WorkDir: t.TempDir(),
		Progress: func(pr message.Progress) { mu.Lock(); seen = append(seen, pr); mu.Unlock() }})
	if err != nil {
		t.Fatalf("a %d s message: %v", seconds, err)
	}
	checkOutputs(t, src, res)

	vp := res.Plan.Video
	spread := func(what string, frames []int) {
		t.Helper()
		if len(frames) == 0 {
			t.Fatalf("no %s", what)
		}
		first, last := float64(slices.Min(frames))/float64(vp.Frames), float64(slices.Max(frames))/float64(vp.Frames)
		if first > 0.15 || last < 0.85 {
			t.Errorf("the %s span %.0f%%..%.0f%% of the clip, not the whole of it", what, first*100, last*100)
		}
	}
	var thumbs []int
	for _, th := range vp.Thumbnails {
		thumbs = append(thumbs, th.Frame)
	}
	spread("thumbnails", thumbs)

	// The subject track covers the clip: judged on the last minute alone, the fill crops keep the face.
	lastMinute := clip
	lastMinute.Truth = slices.Clone(clip.Truth)
	for n := range lastMinute.Truth {
		if float64(n)/clip.FPS < seconds-60 {
			lastMinute.Truth[n] = image.Rectangle{}
		}
	}
	fills := 0
	for i, s := range reframetest.Evaluate(lastMinute, vp.Crops, vp.Subject.Cuts) {
		t.Logf("last minute, %s %s: face inside %.1f%% (centre crop %.1f%%), moving %.0f%% of the steps", s.Aspect, s.Mode, 100*s.Inside, 100*s.CentreInside, 100*s.Moving)
		c := vp.Crops[i]
		if s.Mode != geom.Fill || c.Crop == c.Work {
			continue // a fit, or a fill that is the whole picture, has nothing to follow
		}
		fills++
		if s.Inside < 0.95 || s.Moving == 0 {
			t.Errorf("in the last minute the %s fill keeps the face in %.1f%% of frames and moves in %.0f%% of the steps: the track does not cover the end", s.Aspect, 100*s.Inside, 100*s.Moving)
		}
	}
	if fills == 0 {
		t.Error("no crop follows the face: every aspect is a fit")
	}

	// Progress: every step in order, and the long ones report how far they are as they go.
	mu.Lock()
	defer mu.Unlock()
	var stages []string
	moves := map[string]int{}
	for _, pr := range seen {
		if len(stages) == 0 || stages[len(stages)-1] != pr.Stage {
			stages = append(stages, pr.Stage)
		}
		if pr.Percent > 0 {
			moves[pr.Stage]++
		}
	}
	if want := []string{"brand", "probe", "analyze", "subjects", "plan", "poster", "encode", "finish", "verify"}; !slices.Equal(stages, want) {
		t.Errorf("stages reported %v, want %v", stages, want)
	}
	if moves["encode"] < 3 || moves["subjects"] < 3 {
		t.Errorf("the main pass's progress moved %d times, the subject analysis's %d: want a figure that moves", moves["encode"], moves["subjects"])
	}
}
