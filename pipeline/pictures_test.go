package pipeline

import (
	"math"
	"os/exec"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// TestInterlacedIsDeinterlaced: a truly interlaced clip is measured so by idet and goes through bwdif
// (and comes out progressive); the AVCHD clip that is only flagged interlaced is left alone.
func TestInterlacedIsDeinterlaced(t *testing.T) {
	src := lavfi(t, "interlaced.mp4", "-f", "lavfi", "-i", "testsrc2=s=720x576:r=50:d=2,tinterlace=mode=interleave_top,setfield=tff",
		"-c:v", "libx264", "-flags", "+ildct+ilme", "-x264opts", "tff=1")
	res := process(t, src)
	if v := res.Plan.Video; v.Deinterlace != "tff" || res.Media.Video.Interlace == nil || res.Media.Video.Interlace.Verdict != "tff" {
		t.Fatalf("interlaced clip: plan deinterlace %q, idet %+v", v.Deinterlace, res.Media.Video.Interlace)
	}
	for _, f := range res.Files {
		if f.Name == "rendition/480p" {
			out, err := exec.Command("ffmpeg", "-hide_banner", "-nostats", "-i", f.Path, "-vf", "idet", "-f", "null", "-").CombinedOutput()
			testenv.Must(t, err)
			il, err := probe.ParseIdet(string(out))
			testenv.Must(t, err)
			if il.Verdict != "progressive" {
				t.Errorf("the rendition still looks interlaced: %+v", il)
			}
		}
	}
	args, err := ffcmd.VideoCommand(res.Plan.Video, "/s", "/d", ffcmd.Settings{Preset: "veryfast", CRF: 23})
	testenv.Must(t, err)
	if !strings.Contains(strings.Join(args, " "), "bwdif=mode=send_frame:parity=tff") {
		t.Error("the command has no bwdif")
	}

	// An old camera's MPEG-4 Part 2 AVI says nothing of its fields (ffprobe: field order unknown): idet
	// is still run, and finds them.
	avi := lavfi(t, "unflagged.avi", "-f", "lavfi", "-i", "testsrc2=s=720x576:r=25:d=2,tinterlace=mode=interleave_top,setfield=tff",
		"-c:v", "mpeg4", "-flags", "+ildct+ilme", "-q:v", "3")
	u := analysed(t, testPipeline(), avi)
	if u.Media.Video.FieldOrder != "" && u.Media.Video.FieldOrder != "unknown" {
		t.Fatalf("the AVI is flagged %q; this case needs one that is not", u.Media.Video.FieldOrder)
	}
	if il := u.Media.Video.Interlace; u.Plan.Video.Deinterlace != "tff" || il == nil {
		t.Errorf("unflagged interlaced AVI: deinterlace %q, idet %+v", u.Plan.Video.Deinterlace, il)
	}

	j := analysed(t, testPipeline(), testenv.Corpus(t, "video/panasonic_avchd_1080_tff.mts"))
	if il := j.Media.Video.Interlace; j.Plan.Video.Deinterlace != "" || il == nil || il.Verdict != "progressive" {
		t.Errorf("AVCHD flagged tff but progressive: deinterlace %q, idet %+v", j.Plan.Video.Deinterlace, il)
	}
}

// TestPosterAvoidsBlackAndBlur: of a clip that is black, then blurred, then sharp, the poster comes
// from the sharp part; a clip dark throughout still gets a poster, and a warning.
func TestPosterAvoidsBlackAndBlur(t *testing.T) {
	src := lavfi(t, "poster.mp4", "-f", "lavfi", "-i",
		"color=black:s=320x240:r=25:d=2[a];testsrc2=s=320x240:r=25:d=3,gblur=sigma=8[b];testsrc2=s=320x240:r=25:d=3[c];[a][b][c]concat=n=3",
		"-c:v", "libx264", "-pix_fmt", "yuv420p")
	res := process(t, src)
	c := res.Finish
	at := float64(c.PosterFrame) / probe.ParseRatio(res.Plan.Video.FrameRate)
	if at < 5 || c.PosterFrom != PosterFromSubjects {
		t.Errorf("poster at %.2f s (score %v, from %s); the sharp part starts at 5 s", at, c.PosterScore, c.PosterFrom)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, "dark") {
			t.Errorf("unexpected warning %q", w)
		}
	}

	dark := process(t, testenv.Corpus(t, "video/iphone14pro_hlg_rotated_nearblack_noaudio.mov"))
	warned := false
	for _, w := range dark.Warnings {
		warned = warned || strings.Contains(w, "dark throughout")
	}
	if !warned {
		t.Errorf("near-black clip: warnings %q, want one saying it is dark throughout", dark.Warnings)
	}
}

// TestPickPosterAvoidsTransitions: a frame caught in a cross-fade (different from both neighbours)
// loses to a steady one even when its edges measure sharper (a double exposure has twice the edges).
func TestPickPosterAvoidsTransitions(t *testing.T) {
	stats := []frameStats{
		{Frame: 0, Mean: 120, P98: 200, Std: 50, Sharp: 100, Diff: 0},
		{Frame: 5, Mean: 120, P98: 200, Std: 50, Sharp: 100, Diff: 2},
		{Frame: 10, Mean: 120, P98: 200, Std: 50, Sharp: 160, Diff: 40}, // in the fade
		{Frame: 15, Mean: 120, P98: 200, Std: 50, Sharp: 100, Diff: 40},
		{Frame: 20, Mean: 120, P98: 200, Std: 50, Sharp: 120, Diff: 2},
		{Frame: 25, Mean: 10, P98: 30, Std: 5, Sharp: 500, Diff: 2}, // noisy black
		{Frame: 30, Mean: 120, P98: 200, Std: 50, Sharp: 120, Diff: 2},
	}
	c := pickPoster(stats, nil)
	if c.Frame != 20 || c.Dark {
		t.Errorf("picked frame %d (score %v, dark %v), want 20", c.Frame, c.Score, c.Dark)
	}
}

// TestPickPosterWantsTheFace: a frame where the face was found wins over a sharper one without it, but
// not when the face's frame is black; with no face anywhere the sharpest steady frame wins.
func TestPickPosterWantsTheFace(t *testing.T) {
	steady := func(frame int, sharp, mean float64) frameStats {
		return frameStats{Frame: frame, Mean: mean, P98: 200, Std: 50, Sharp: sharp, Diff: 2}
	}
	stats := []frameStats{steady(0, 100, 120), steady(1, 160, 120), steady(2, 110, 120), steady(3, 200, 10)}
	for _, c := range []struct {
		faces []bool
		want  int
	}{
		{[]bool{false, false, true, false}, 2},
		{[]bool{false, false, false, true}, 1}, // the face is in the dark
		{nil, 1},
	} {
		if got := pickPoster(stats, c.faces); got.Frame != c.want || got.Face != (c.faces != nil && c.faces[c.want]) {
			t.Errorf("faces %v: picked frame %d (face %v), want %d", c.faces, got.Frame, got.Face, c.want)
		}
	}
}

// TestPreviewIsTheLiveliestPart: of a clip that is still, then moving, then still, the preview starts
// where the movement does.
func TestPreviewIsTheLiveliestPart(t *testing.T) {
	src := lavfi(t, "preview.mp4", "-f", "lavfi", "-i",
		"smptebars=s=320x240:r=25:d=4[a];testsrc2=s=320x240:r=25:d=3[b];smptebars=s=320x240:r=25:d=4[c];[a][b][c]concat=n=3",
		"-c:v", "libx264", "-pix_fmt", "yuv420p")
	res := process(t, src)
	if start := res.Finish.PreviewStart; math.Abs(start-4) > 0.5 {
		t.Errorf("preview starts at %.2f s; the movement is from 4 to 7 s", start)
	}
}

// TestLiveliestWindow is the window arithmetic on made-up motion.
func TestLiveliestWindow(t *testing.T) {
	var stats []frameStats
	for f := 0; f <= 300; f += 5 { // 10 s at 30 fps, an analysis frame every 5
		d := 1.0
		if f > 180 && f <= 270 {
			d = 10
		}
		if f == 60 {
			d = 200 // a cut: one big change must not outweigh three seconds of movement
		}
		stats = append(stats, frameStats{Frame: f, Diff: d})
	}
	if got := liveliest(stats, 30, 3, 10); math.Abs(got-6) > 0.2 {
		t.Errorf("window starts at %.2f s, want 6", got)
	}
	if got := liveliest(stats, 30, 3, 2.5); got != 0 {
		t.Errorf("a clip shorter than the preview starts at %.2f, want 0", got)
	}
}

// TestStoryboardVTT covers the clip with consecutive cues pointing into the sprite.
func TestStoryboardVTT(t *testing.T) {
	sb := plan.StoryboardPlan{Every: 30, Interval: 1, Count: 3, Cols: 2, Rows: 2, Tile: geom.Size{W: 160, H: 90}}
	want := "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nsprite.jpg#xywh=0,0,160,90\n\n00:00:01.000 --> 00:00:02.000\nsprite.jpg#xywh=160,0,160,90\n\n00:00:02.000 --> 00:00:02.500\nsprite.jpg#xywh=0,90,160,90\n"
	if got := string(storyboardVTT(sb, 2.5)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestSoundLongerThanPicture: a clip whose sound runs on after the last frame holds that frame until
// the sound ends (README: one length), gets every still, and its outputs last as long as the sound.
func TestSoundLongerThanPicture(t *testing.T) {
	src := lavfi(t, "long_sound.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1", "-f", "lavfi", "-i", "sine=f=440:d=3",
		"-c:v", "libx264", "-c:a", "aac", "-pix_fmt", "yuv420p")
	res := process(t, src)
	for _, f := range res.Files {
		if f.Name == "rendition/source" && math.Abs(f.Duration-3) > 0.1 {
			t.Errorf("rendition lasts %.3f s, the sound 3 s", f.Duration)
		}
	}
	// 1 s of picture at 25 fps, its last frame held for the 2 s more of sound (README: one length).
	if v := res.Plan.Video; v.Frames < 74 || v.Frames > 76 || v.HoldFrames < 49 || v.HoldFrames > 51 {
		t.Errorf("planned %d frames, %d of them the last one held; want 25 and 50 held", v.Frames, v.HoldFrames)
	}
}

// TestMainVideoIsTheOneThatMoves: of two video streams in a Matroska file (which counts no frames), the
// main one is the stream with the most frames, not the one with the higher rate.
func TestMainVideoIsTheOneThatMoves(t *testing.T) {
	src := lavfi(t, "two_videos.mkv", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=0.07", "-f", "lavfi", "-i", "testsrc2=s=256x144:r=25:d=2",
		"-map", "0", "-map", "1", "-c:v", "libx264")
	j := analysed(t, testPipeline(), src)
	if v := j.Media.Video; v.Stream != 1 || v.Width != 256 || v.Frames != 50 {
		t.Errorf("main video: stream %d %dx%d with %d frames, want stream 1, 256x144, 50 frames", v.Stream, v.Width, v.Height, v.Frames)
	}

	// The same when the stream that moves is interlaced: idet measures it, not the still stream the
	// header pointed at first, and it is deinterlaced.
	// (Encoded apart and copied in: x264 takes its interlacing options for the whole command.)
	il := lavfi(t, "interlaced.mp4", "-f", "lavfi", "-i", "testsrc2=s=720x576:r=50:d=2,tinterlace=mode=interleave_top,setfield=tff",
		"-c:v", "libx264", "-flags", "+ildct+ilme", "-x264opts", "tff=1")
	src = lavfi(t, "two_videos_interlaced.mkv", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=0.07", "-i", il,
		"-map", "0", "-map", "1", "-c:v:0", "libx264", "-c:v:1", "copy")
	j = analysed(t, testPipeline(), src)
	if v := j.Media.Video; v.Stream != 1 || v.Interlace == nil || v.Interlace.Verdict != "tff" || j.Plan.Video.Deinterlace != "tff" {
		t.Errorf("interlaced main video: stream %d, idet %+v, deinterlace %q; want stream 1 measured tff and deinterlaced", v.Stream, v.Interlace, j.Plan.Video.Deinterlace)
	}
}

// TestRotationSign: a display matrix of -90 (iPhone) means a quarter turn clockwise, +90 (Pixel) a
// quarter turn counter-clockwise. Each rendition matches the source turned that way by hand (ffmpeg's
// own rotation switched off), and not the source turned the other way.
func TestRotationSign(t *testing.T) {
	for _, c := range []struct{ file, right, wrong string }{
		{"video/iphone4s_h264_rotated.mov", "clock", "cclock"},
		{"video/pixel_motion_two_hevc_streams_rot90.mp4", "cclock", "clock"},
	} {
		t.Run(c.file, func(t *testing.T) {
			src := testenv.Corpus(t, c.file)
			res := process(t, src)
			out := res.Files[0].Path // the largest rendition
			grey := func(path string, noRotate bool, vf string) []byte {
				args := []string{"-v", "error"}
				if noRotate {
					args = append(args, "-noautorotate")
				}
				args = append(args, "-ss", "0.5", "-i", path, "-map", "0:v:0", "-frames:v", "1", "-vf", vf+"scale=48:48,format=gray", "-f", "rawvideo", "-")
				b, err := exec.Command("ffmpeg", args...).Output()
				testenv.Must(t, err)
				return b
			}
			got := grey(out, false, "")
			right := meanAbsDiff(got, grey(src, true, "transpose="+c.right+","))
			wrong := meanAbsDiff(got, grey(src, true, "transpose="+c.wrong+","))
			t.Logf("difference from the source turned %s: %.1f, turned %s: %.1f", c.right, right, c.wrong, wrong)
			if right > 12 || wrong < 2*right {
				t.Errorf("the rendition does not look like the source turned %s", c.right)
			}
		})
	}
}
