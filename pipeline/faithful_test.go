package pipeline

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/probe"
	"github.com/quinte-media/quinte/pipeline/reframe"
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
		if n, rate := testenv.Frames(t, f.Path); n != 60 || rate != "30/1" {
			t.Errorf("%s: %d frames at %s, want the real track's 60 at 30/1", f.Name, n, rate)
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

// TestFrameRatesKept: generated clips at the rates cameras shoot at, and the corpus's iPhone clips,
// come out at the nearest standard rate with every frame (above 30 fps, every n-th frame), counted by
// decoding each rendition and crop.
func TestFrameRatesKept(t *testing.T) {
	type clip struct {
		name, path, rate string
		every            int
	}
	var clips []clip
	dir := t.TempDir()
	// The 30 fps clip lasts 40 s: made 29.97, it lost its 1200th frame.
	for _, c := range []struct{ in, out, seconds string }{
		{"24", "24/1", "4"}, {"25", "25/1", "4"}, {"30000/1001", "30000/1001", "4"}, {"30", "30/1", "40"},
		{"50", "25/1", "4"}, {"60000/1001", "30000/1001", "4"}, {"60", "30/1", "4"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(c.in, "/", "_")+".mp4")
		testenv.FFmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=320x240:d="+c.seconds+":r="+c.in, "-f", "lavfi", "-i", "sine=d="+c.seconds,
			"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", p)
		every := 1
		if probe.ParseRatio(c.in) > 30 {
			every = 2
		}
		clips = append(clips, clip{c.in + " fps", p, c.out, every})
	}
	for _, c := range []struct{ file, rate string }{
		{"video/iphone14pro_dolbyvision_hlg_portrait.mov", "30/1"},
		{"video/iphone14pro_hlg_rotated_nearblack_noaudio.mov", "24/1"},
		{"video/iphone4s_h264_rotated.mov", "30000/1001"},
	} {
		clips = append(clips, clip{filepath.Base(c.file), testenv.Corpus(t, c.file), c.rate, 1})
	}
	for _, c := range clips {
		t.Run(c.name, func(t *testing.T) {
			n, _ := testenv.Frames(t, c.path)
			want := (n + c.every - 1) / c.every
			res := process(t, c.path)
			checked := 0
			for _, f := range res.Files {
				if f.Ext != ".mp4" || f.Role == message.RolePreview {
					continue
				}
				checked++
				if got, rate := testenv.Frames(t, f.Path); got != want || rate != c.rate {
					t.Errorf("%s: %d frames at %s; the source has %d, want %d at %s", f.Name, got, rate, n, want, c.rate)
				}
			}
			if checked < 4 {
				t.Errorf("only %d video outputs", checked)
			}
		})
	}
}

// TestSoundOutlastsPicture: a 5 s picture with 9 s of sound. Nothing said is cut: the last picture is
// held until the sound ends, and every output (renditions, crops, HLS, storyboard, what the API says)
// lasts the 9 s, picture and sound alike.
func TestSoundOutlastsPicture(t *testing.T) {
	src := lavfi(t, "short_picture.mp4", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=5", "-f", "lavfi", "-i", "sine=f=330:d=9",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")
	res := process(t, src)
	checkOutputs(t, src, res) // each output lasts as long as the source (9 s), the storyboard's cues too
	if !slices.ContainsFunc(res.Plan.Why, func(w string) bool { return strings.Contains(w, "last picture is held") }) {
		t.Errorf("the plan does not say the last picture is held: %q", res.Plan.Why)
	}
	for _, f := range res.Files {
		if f.Role == message.RoleHLS || f.Ext == ".mp4" && f.Role != message.RolePreview {
			if math.Abs(f.Duration-9) > 0.05 {
				t.Errorf("%s: the API says %.3f s, want 9", f.Name, f.Duration)
			}
		}
		if f.Ext != ".mp4" || f.Role == message.RolePreview {
			continue
		}
		p := testenv.Probe(t, f.Path)
		v, a := atof(p.Streams[p.Stream("video")].Duration), atof(p.Streams[p.Stream("audio")].Duration)
		if math.Abs(v-9) > 1.0/30+0.001 || math.Abs(a-9) > 0.05 {
			t.Errorf("%s: picture %.3f s, sound %.3f s; want both 9 s", f.Name, v, a)
		}
		if n, _ := testenv.Frames(t, f.Path); n != 270 {
			t.Errorf("%s: %d frames, want 150 of the picture and 120 of it held", f.Name, n)
		}
	}
	// The held picture is the last one: the rendition at 8.5 s is the rendition at 4.98 s.
	rend := res.Files[0].Path
	grey := func(at string) []byte {
		b, err := exec.Command("ffmpeg", "-v", "error", "-ss", at, "-i", rend, "-map", "0:v:0", "-frames:v", "1",
			"-vf", "scale=48:48,format=gray", "-f", "rawvideo", "-").Output()
		testenv.Must(t, err)
		return b
	}
	if d := meanAbsDiff(grey("4.98"), grey("8.5")); d > 1 {
		t.Errorf("the picture at 8.5 s differs from the last one by %.1f: the last picture is not held", d)
	}
}

// TestPictureOutlastsSound: the other way round, 9 s of picture with 5 s of sound: the sound is padded
// with silence, so that every output's tracks last the 9 s.
func TestPictureOutlastsSound(t *testing.T) {
	src := lavfi(t, "short_sound.mp4", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=9", "-f", "lavfi", "-i", "sine=f=330:d=5",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")
	res := process(t, src)
	checkOutputs(t, src, res)
	for _, f := range res.Files {
		if f.Ext != ".mp4" || f.Role == message.RolePreview {
			continue
		}
		p := testenv.Probe(t, f.Path)
		v, a := atof(p.Streams[p.Stream("video")].Duration), atof(p.Streams[p.Stream("audio")].Duration)
		if math.Abs(v-9) > 0.001 || math.Abs(a-9) > 0.05 {
			t.Errorf("%s: picture %.3f s, sound %.3f s; want both 9 s", f.Name, v, a)
		}
	}
}

// TestOddAndTinySizes: photos and videos of odd and tiny sizes. No output is larger than the source on
// either side (but the fit crops and the storyboard's sprite, compositions the README names), every
// output keeps its shape within one rounding step (even for video), and a picture too small for a
// crop's shape at its size says so in the warnings.
func TestOddAndTinySizes(t *testing.T) {
	for _, c := range []struct {
		w, h  int
		small []string // crops the video is too small for
	}{
		{1281, 721, nil}, {721, 1281, nil}, {17, 17, []string{"crop/16x9", "crop/9x16"}}, {16, 16, []string{"crop/16x9", "crop/9x16"}}, // 4:5 is a fit there
	} {
		name := fmt.Sprintf("%dx%d", c.w, c.h)
		crop := fmt.Sprintf("format=yuv444p,crop=%d:%d", c.w, c.h)
		big := fmt.Sprintf("testsrc2=s=%dx%d", c.w+1, c.h+1)
		t.Run(name+" photo", func(t *testing.T) {
			src := lavfi(t, "p.png", "-f", "lavfi", "-i", big, "-vf", fmt.Sprintf("format=rgb24,crop=%d:%d", c.w, c.h), "-frames:v", "1")
			res, err := photoPipeline().Process(context.Background(), Input{ID: "t", Path: src, Kind: message.KindImage, WorkDir: t.TempDir()})
			testenv.Must(t, err)
			checkSizes(t, res, c.w, c.h, 1)
			if len(res.Warnings) > 0 {
				t.Errorf("warnings %q: a photo has every crop's shape down to 16x16", res.Warnings)
			}
		})
		t.Run(name+" video", func(t *testing.T) {
			src := lavfi(t, "v.mp4", "-f", "lavfi", "-i", big+":r=30:d=1", "-f", "lavfi", "-i", "sine=d=1", "-vf", crop,
				"-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac")
			res := process(t, src)
			checkSizes(t, res, c.w, c.h, 2)
			for _, n := range c.small {
				if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, n+" is ") }) {
					t.Errorf("no warning that the video is too small for %s: %q", n, res.Warnings)
				}
			}
			if len(res.Warnings) != len(c.small) {
				t.Errorf("warnings %q, want one for each of %v", res.Warnings, c.small)
			}
		})
	}
}

func checkSizes(t *testing.T, res *Result, w, h, unit int) {
	t.Helper()
	aspects := map[string]geom.Aspect{}
	for _, a := range reframe.SocialAspects() {
		aspects["crop/"+a.Name] = a
	}
	for _, f := range res.Files {
		if f.Width == 0 || f.Name == "storyboard/sprite" || f.Name == "hls/master" {
			continue
		}
		if f.Ext == ".mp4" || f.Ext == ".jpg" {
			p := testenv.Probe(t, f.Path)
			if gw, gh := p.DisplaySize(); gw != f.Width || gh != f.Height {
				t.Errorf("%s is %dx%d, the manifest says %dx%d", f.Name, gw, gh, f.Width, f.Height)
			}
		}
		out := geom.Size{W: f.Width, H: f.Height}
		if a, ok := aspects[f.Name]; ok {
			if !geom.HasShape(out, a.W, a.H, unit) {
				t.Errorf("%s is %dx%d: not %d:%d within one rounding step", f.Name, f.Width, f.Height, a.W, a.H)
			}
			if f.Mode == "fit" {
				continue // a composition: the whole picture, not enlarged, over a blurred copy of itself
			}
		} else if !geom.HasShape(out, w, h, 2) {
			t.Errorf("%s is %dx%d: not the %dx%d source's shape within one even-rounding step", f.Name, f.Width, f.Height, w, h)
		}
		if f.Width > w || f.Height > h {
			t.Errorf("%s is %dx%d, larger than the %dx%d source", f.Name, f.Width, f.Height, w, h)
		}
	}
}
