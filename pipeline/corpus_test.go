package pipeline

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

func testPipeline() *Pipeline {
	return New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23, MaxPhotoPixels: 50e6}, testParts(), nil)
}

// process runs a whole job on a file, as the worker does.
func process(t *testing.T, path string) *Result {
	t.Helper()
	res, err := testPipeline().Process(context.Background(), Input{ID: "test", Path: path, Kind: message.KindVideo, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatalf("process %s: %v", filepath.Base(path), err)
	}
	return res
}

// TestCorpusOutputs runs every file of the corpus's video/ and audio/ through the pipeline and checks
// every output with ffprobe and ebur128, independently of what the pipeline says about them.
func TestCorpusOutputs(t *testing.T) {
	for _, dir := range []string{"video", "audio"} {
		entries, err := os.ReadDir(testenv.Corpus(t, dir))
		testenv.Must(t, err)
		for _, e := range entries {
			t.Run(dir+"/"+e.Name(), func(t *testing.T) {
				src := testenv.Corpus(t, dir+"/"+e.Name())
				checkOutputs(t, src, process(t, src))
			})
		}
	}
}

// source is what the test knows about a source file, read independently of the pipeline.
type source struct {
	duration float64
	w, h     int  // display size (rotation and pixel aspect applied), 0 for audio
	silent   bool // no audio, or silence / room tone
}

func readSource(t *testing.T, path string) source {
	p := testenv.Probe(t, path)
	s := source{duration: testenv.MediaDuration(t, path), silent: true}
	for _, st := range p.Streams {
		if st.CodecType == "video" && st.Disposition["attached_pic"] == 0 && s.w == 0 {
			w := float64(st.Width)
			if a, b, ok := strings.Cut(st.SAR, ":"); ok {
				if n, d := atof(a), atof(b); n > 0 && d > 0 {
					w = w * n / d
				}
			}
			s.w, s.h = int(w+0.5), st.Height
			for _, sd := range st.SideData {
				if math.Abs(sd.Rotation) == 90 {
					s.w, s.h = s.h, s.w
				}
			}
		}
	}
	if p.Stream("audio") >= 0 {
		i, _ := testenv.Loudness(t, path)
		s.silent = i < probe.SilenceBelow
	}
	return s
}

func atof(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }

// allowedTags are the only container and stream tags an output may carry: structural ones, nothing of
// the source's (location, device, dates).
var allowedTags = []string{"major_brand", "minor_version", "compatible_brands", "encoder", "language", "handler_name", "vendor_id"}

func checkOutputs(t *testing.T, src string, res *Result) {
	s := readSource(t, src)
	names := map[string]int{}
	for _, f := range res.Files {
		names[f.Name]++
		if names[f.Name] == 2 {
			t.Errorf("two outputs are named %s: every name in a manifest must be unique", f.Name)
		}
	}
	want := []string{"rendition/audio", "audiogram/9x16", "audiogram/1x1"}
	if res.Kind == message.KindVideo {
		want = []string{"crop/9x16", "poster", "poster/webp", "poster/640", "poster/640/webp", "thumbnail/1", "thumbnail/2", "thumbnail/3", "thumbnail/4", "thumbnail/5",
			"storyboard/sprite", "storyboard/vtt", "preview/mp4", "preview/webp", "hls/master"}
		short := min(s.w, s.h)
		for _, r := range []int{1080, 720, 480} {
			if short >= r {
				want = append(want, "rendition/"+strconv.Itoa(r)+"p")
			} else if names["rendition/"+strconv.Itoa(r)+"p"] > 0 {
				t.Errorf("rendition/%dp made from a source whose short side is %d (upscaled)", r, short)
			}
		}
		if short < 480 {
			want = append(want, "rendition/source")
		}
		checkCrops(t, res, s)
	}
	for _, n := range want {
		if names[n] == 0 {
			t.Errorf("no %s among the outputs %v", n, names)
		}
	}
	if s.w == 0 && res.Kind != message.KindAudio {
		t.Errorf("an audio-only source came out as %s", res.Kind)
	}
	for _, f := range res.Files {
		t.Run(f.Name+f.Ext, func(t *testing.T) {
			switch f.Ext {
			case ".mp4", ".m4a":
				checkMP4(t, f, s)
			case ".jpg", ".webp":
				checkStill(t, f, s)
			case ".vtt":
				checkVTT(t, f, res, s)
			case ".m3u8":
				checkHLS(t, f, s)
			default:
				t.Errorf("unexpected output type %s", f.Ext)
			}
		})
	}
}

// checkCrops: every video has the four social crops, each with a mode and the plan's reason, at its
// published size, or smaller only when the source has not the pixels (worked out here from the source's
// display size, independently of the plan).
func checkCrops(t *testing.T, res *Result, s source) {
	files := map[string]File{}
	for _, f := range res.Files {
		files[f.Name] = f
	}
	for _, a := range reframe.SocialAspects() {
		name := "crop/" + a.Name
		f, ok := files[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		pl, _ := res.Plan.Video.Crop(name)
		if f.Role != message.RoleCrop || f.Mode != string(pl.Mode) || pl.Why == "" {
			t.Errorf("%s: role %q, mode %q; the plan says %q because %q", name, f.Role, f.Mode, pl.Mode, pl.Why)
		}
		if !slices.ContainsFunc(res.Plan.Why, func(w string) bool { return strings.HasPrefix(w, name+" "+f.Mode) }) {
			t.Errorf("%s: the plan's reasons do not say why it is a %s", name, f.Mode)
		}
		want, ok := wantCrop(a, f.Mode, geom.Size{W: s.w, H: s.h})
		if !ok {
			t.Errorf("%s: mode %q, want fill or fit", name, f.Mode)
			continue
		}
		if abs(f.Width-want.W) > 2 || abs(f.Height-want.H) > 2 {
			t.Errorf("%s %s is %dx%d; from a %dx%d source it should be %dx%d", name, f.Mode, f.Width, f.Height, s.w, s.h, want.W, want.H)
		}
		if r := float64(f.Width) / float64(f.Height); math.Abs(r/a.Ratio()-1) > 0.02 {
			t.Errorf("%s is %dx%d, not %d:%d", name, f.Width, f.Height, a.W, a.H)
		}
	}
}

// wantCrop is the size a crop of aspect a made in mode from a source of size src must have: the
// aspect's published size, or for a fill the whole source crop when it is smaller, for a fit the size
// that does not enlarge the source.
func wantCrop(a geom.Aspect, mode string, src geom.Size) (geom.Size, bool) {
	switch mode {
	case "fill":
		if c := geom.AspectRect(src, a.W, a.H); c.W < a.Out.W {
			return geom.Size{W: c.W, H: c.H}, true
		}
		return a.Out, true
	case "fit":
		if k := math.Min(float64(a.Out.W)/float64(src.W), float64(a.Out.H)/float64(src.H)); k > 1 {
			return geom.Size{W: int(float64(a.Out.W) / k), H: int(float64(a.Out.H) / k)}, true
		}
		return a.Out, true
	}
	return geom.Size{}, false
}

func abs(n int) int { return max(n, -n) }

func checkTags(t *testing.T, where string, tags map[string]string) {
	for k := range tags {
		if !slices.Contains(allowedTags, k) {
			t.Errorf("%s carries the tag %q=%q", where, k, tags[k])
		}
	}
}

func checkMP4(t *testing.T, f File, s source) {
	p := testenv.Probe(t, f.Path)
	if !testenv.MoovBeforeMdat(t, f.Path) {
		t.Error("moov is not before mdat (no faststart)")
	}
	checkTags(t, "the container", p.Format.Tags)
	for _, st := range p.Streams {
		checkTags(t, st.CodecType+" stream", st.Tags)
	}
	preview := f.Role == message.RolePreview
	if vi := p.Stream("video"); f.Ext == ".mp4" {
		if vi < 0 {
			t.Fatal("no video stream")
		}
		v := p.Streams[vi]
		w, h := p.DisplaySize()
		if v.CodecName != "h264" || v.Profile != "High" || v.PixFmt != "yuv420p" {
			t.Errorf("video %s %s %s, want h264 High yuv420p", v.CodecName, v.Profile, v.PixFmt)
		}
		if v.ColorSpace != "bt709" || v.ColorTransfer != "bt709" || v.ColorPrim != "bt709" {
			t.Errorf("colour %s/%s/%s, want BT.709", v.ColorSpace, v.ColorTransfer, v.ColorPrim)
		}
		if p.Rotated() || (v.SAR != "" && v.SAR != "1:1" && v.SAR != "N/A" && v.SAR != "0:1") {
			t.Errorf("rotation flag %v, SAR %q: want upright square pixels", p.Rotated(), v.SAR)
		}
		if w%2 != 0 || h%2 != 0 || w == 0 || w != f.Width || h != f.Height {
			t.Errorf("%dx%d, the manifest says %dx%d (sizes must be even)", w, h, f.Width, f.Height)
		}
		if rate := ratio(v.AvgFrameRate); rate > 30.01 || rate <= 0 {
			t.Errorf("frame rate %s, want constant and at most 30", v.AvgFrameRate)
		}
		if (f.Role == message.RoleRendition || preview) && s.w > 0 {
			if (w < h) != (s.w < s.h) && s.w != s.h {
				t.Errorf("%dx%d from a %dx%d source: orientation changed", w, h, s.w, s.h)
			}
			if w > s.w+1 || h > s.h+1 {
				t.Errorf("%dx%d from a %dx%d source: upscaled", w, h, s.w, s.h)
			}
		}
	}
	ai := p.Stream("audio")
	const previewSeconds = 3.0 // plan's preview length
	if preview {
		if ai >= 0 {
			t.Error("the preview has sound; it must be muted")
		}
		if d := p.Duration(); d > previewSeconds+0.1 || d < math.Min(previewSeconds, s.duration)-0.15 {
			t.Errorf("preview lasts %.3f s, want %.1f s (or the whole clip)", d, previewSeconds)
		}
		return
	}
	if ai < 0 {
		t.Fatal("no audio stream: every output must have the same shape")
	}
	if a := p.Streams[ai]; a.CodecName != "aac" || a.Profile != "LC" || a.SampleRate != "48000" || a.Channels != 2 {
		t.Errorf("audio %s %s %s Hz %d channels, want AAC-LC 48 kHz stereo", a.CodecName, a.Profile, a.SampleRate, a.Channels)
	}
	if d := p.Duration(); math.Abs(d-s.duration) > 0.1 {
		t.Errorf("lasts %.3f s, the source %.3f s", d, s.duration)
	}
	target := plan.RenditionLUFS
	if f.Role == message.RoleCrop || f.Role == message.RoleAudiogram {
		target = plan.SocialLUFS
	}
	i, tp := testenv.Loudness(t, f.Path)
	switch {
	case s.silent:
		if i > probe.SilenceBelow {
			t.Errorf("a silent source came out at %.1f LUFS: silence must stay silence", i)
		}
	case math.Abs(i-target) > 1:
		t.Errorf("loudness %.1f LUFS, want %.0f ± 1", i, target)
	}
	if tp > plan.TruePeakMax {
		t.Errorf("true peak %.1f dBTP, want at most %.0f", tp, plan.TruePeakMax)
	}
}

func ratio(s string) float64 {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return atof(s)
	}
	if atof(b) == 0 {
		return 0
	}
	return atof(a) / atof(b)
}

func checkStill(t *testing.T, f File, s source) {
	var w, h int
	if f.Ext == ".webp" {
		wp := testenv.ReadWebP(t, f.Path)
		w, h = wp.Width, wp.Height
		if wp.Metadata {
			t.Error("the WebP carries EXIF or XMP")
		}
		if f.Name == "preview/webp" {
			if !wp.Animated || (wp.Frames < 2 && s.duration > 0.5) {
				t.Errorf("the preview WebP is not an animation (%d frames)", wp.Frames)
			}
			if w != f.Width || h != f.Height {
				t.Errorf("%dx%d, the manifest says %dx%d", w, h, f.Width, f.Height)
			}
			return
		}
	} else {
		p := testenv.Probe(t, f.Path)
		v := p.Streams[p.Stream("video")]
		w, h = v.Width, v.Height
		if v.CodecName != "mjpeg" {
			t.Errorf("codec %s, want JPEG", v.CodecName)
		}
		checkTags(t, "the JPEG", p.Format.Tags)
	}
	if w != f.Width || h != f.Height || w == 0 {
		t.Errorf("%dx%d, the manifest says %dx%d", w, h, f.Width, f.Height)
	}
	if f.Role != message.RoleStoryboard && (w < h) != (s.w < s.h) && s.w != s.h {
		t.Errorf("%dx%d from a %dx%d source: orientation changed", w, h, s.w, s.h)
	}
	if f.Name == "poster/640" && max(w, h) != 640 && max(s.w, s.h) > 640 {
		t.Errorf("poster/640 is %dx%d", w, h)
	}
}

func checkVTT(t *testing.T, f File, res *Result, s source) {
	b, err := os.ReadFile(f.Path)
	testenv.Must(t, err)
	text := string(b)
	if !strings.HasPrefix(text, "WEBVTT\n") {
		t.Fatal("not a WebVTT file")
	}
	var sprite File
	for _, o := range res.Files {
		if o.Name == "storyboard/sprite" {
			sprite = o
		}
	}
	prevEnd, cues := 0.0, 0
	for _, block := range strings.Split(text, "\n\n")[1:] {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) != 2 {
			t.Fatalf("cue %q", block)
		}
		from, to, _ := strings.Cut(lines[0], " --> ")
		start, end := vttSeconds(t, from), vttSeconds(t, to)
		if math.Abs(start-prevEnd) > 0.001 || end <= start {
			t.Errorf("cue %s does not follow the previous one (ended at %.3f)", lines[0], prevEnd)
		}
		prevEnd = end
		url, xywh, ok := strings.Cut(lines[1], "#xywh=")
		if !ok || url != "sprite.jpg" {
			t.Errorf("cue target %q, want sprite.jpg#xywh=...", lines[1])
		}
		var x, y, w, h int
		for i, v := range strings.Split(xywh, ",") {
			n, _ := strconv.Atoi(v)
			*[]*int{&x, &y, &w, &h}[i] = n
		}
		if x+w > sprite.Width || y+h > sprite.Height || w == 0 {
			t.Errorf("tile %s is outside the %dx%d sprite", xywh, sprite.Width, sprite.Height)
		}
		cues++
	}
	if cues == 0 || math.Abs(prevEnd-s.duration) > 0.1 {
		t.Errorf("%d cues ending at %.3f s; the clip lasts %.3f s", cues, prevEnd, s.duration)
	}
}

func vttSeconds(t *testing.T, s string) float64 {
	var h, m, sec, ms int
	if _, err := fmt.Sscanf(s, "%d:%d:%d.%d", &h, &m, &sec, &ms); err != nil {
		t.Fatalf("VTT time %q: %v", s, err)
	}
	return float64(h*3600+m*60+sec) + float64(ms)/1000
}

func checkHLS(t *testing.T, f File, s source) {
	parts := map[string]string{}
	for _, p := range f.Parts {
		parts[strings.TrimPrefix(p.Name, ffcmd.HLSDir+"/")] = p.Path
	}
	master, err := os.ReadFile(f.Path)
	testenv.Must(t, err)
	variants := 0
	for _, line := range strings.Split(string(master), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		variants++
		path, ok := parts[line]
		if !ok || strings.Contains(line, "/") {
			t.Fatalf("the master names %q, which is not a part next to it", line)
		}
		pl, err := os.ReadFile(path)
		testenv.Must(t, err)
		var total float64
		for _, l := range strings.Split(string(pl), "\n") {
			switch {
			case strings.HasPrefix(l, "#EXTINF:"):
				total += atof(strings.TrimSuffix(strings.TrimPrefix(l, "#EXTINF:"), ","))
			case strings.HasPrefix(l, "#EXT-X-MAP:URI="):
				l = strings.Trim(strings.TrimPrefix(l, "#EXT-X-MAP:URI="), `"`)
				fallthrough
			case l != "" && !strings.HasPrefix(l, "#"):
				if _, ok := parts[l]; !ok || strings.Contains(l, "/") {
					t.Errorf("%s names %q, which is not a part next to it", line, l)
				}
			}
		}
		if math.Abs(total-s.duration) > 0.15 {
			t.Errorf("%s: segments last %.3f s, the clip %.3f s", line, total, s.duration)
		}
		p := testenv.Probe(t, path)
		if v := p.Stream("video"); v < 0 || p.Streams[v].CodecName != "h264" || p.Stream("audio") < 0 {
			t.Errorf("%s does not play as H.264 with sound", line)
		}
	}
	if variants == 0 {
		t.Error("the master playlist lists no variant")
	}
}
