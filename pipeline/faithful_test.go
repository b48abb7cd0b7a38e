package pipeline

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// TestEmptyExtraVideoTrack: an MP4 whose first, default video track holds no sample (as some Android
// cameras write it), before the real portrait track and its sound, ends ready with the real track's
// outputs, upright, every frame kept, and the plan names the empty track.
func TestEmptyExtraVideoTrack(t *testing.T) {
	src := testenv.EmptyTrackMP4(t, t.TempDir(), "640x360", 30, 2, 90)
	if n, _ := testenv.Frames(t, src); n != 0 {
		t.Fatalf("the test file's first video track has %d frames, want none", n)
	}
	res := process(t, src)
	if v := res.Media.Video; v.Stream != 1 || v.Width != 640 || v.Height != 360 {
		t.Errorf("main video: stream %d %dx%d, want stream 1 640x360", v.Stream, v.Width, v.Height)
	}
	if !slices.ContainsFunc(res.Plan.Why, func(w string) bool { return strings.HasPrefix(w, "video stream 0 (h264 320x240) holds no frame") }) {
		t.Errorf("the plan's reasons do not name the empty track: %q", res.Plan.Why)
	}
	seen := 0
	for _, f := range res.Files {
		if f.Ext != ".mp4" || f.Role == message.RolePreview {
			continue
		}
		p := testenv.Probe(t, f.Path)
		w, h := p.DisplaySize()
		if f.Role == message.RoleRendition {
			seen++
			if w != 360 || h != 640 {
				t.Errorf("%s is %dx%d, want the real track upright: 360x640", f.Name, w, h)
			}
		}
		if n, _ := testenv.Frames(t, f.Path); n != 60 {
			t.Errorf("%s: %d frames, want the real track's 60", f.Name, n)
		}
		if p.Stream("audio") < 0 {
			t.Errorf("%s has no sound", f.Name)
		}
	}
	if seen == 0 {
		t.Fatal("no rendition")
	}
	// The rendition is the real track turned as a player shows it: a display matrix of +90 is a quarter
	// turn counter-clockwise. Compared through RGB, each file read with its own colour matrix (the
	// source is untagged, so BT.601; the rendition BT.709).
	grey := func(path, stream, vf string) []byte {
		b, err := exec.Command("ffmpeg", "-v", "error", "-noautorotate", "-ss", "1", "-i", path, "-map", "0:"+stream,
			"-frames:v", "1", "-vf", vf+"scale=48:48,format=rgb24,format=gray", "-f", "rawvideo", "-").Output()
		testenv.Must(t, err)
		return b
	}
	got := grey(res.Files[0].Path, "v:0", "")
	right, wrong := meanAbsDiff(got, grey(src, "1", "transpose=cclock,")), meanAbsDiff(got, grey(src, "1", "transpose=clock,"))
	t.Logf("difference from the real track turned counter-clockwise: %.1f, clockwise: %.1f", right, wrong)
	if right > 12 || wrong < 2*right {
		t.Error("the rendition does not look like the real track turned upright")
	}
}

