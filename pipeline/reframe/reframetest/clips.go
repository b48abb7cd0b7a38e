// Package reframetest measures reframing against ground truth: it generates clips in which a face
// moves along a known trajectory over real footage, reads the corpus clips with people, scores camera
// paths (share of frames with the face wholly inside the crop, the centre-crop baseline, the largest
// move between frames) and draws contact sheets. Tests and `make bench` use it; the service does not.
package reframetest

import (
	"bufio"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/face"
	"github.com/quinte-media/quinte/pipeline/geom"
)

// Clip is a video with the true face box of each frame (frames at FPS from t=0).
type Clip struct {
	Name        string
	Path        string
	VideoStream int
	Size        geom.Size // display size, also the working size of the evaluation
	FPS         float64
	Duration    float64
	Cuts        []float64         // true shot cuts, seconds (generated clips only)
	Truth       []image.Rectangle // per frame; empty where no face is known
	TruthHow    string            // how the truth was obtained
}

// Frames is the number of frames with a known face.
func (c Clip) Frames() int {
	n := 0
	for _, r := range c.Truth {
		if !r.Empty() {
			n++
		}
	}
	return n
}

// Gray converts any picture to grey.
func Gray(img image.Image) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

// headPatch cuts the woman's head and shoulders from the corpus photo progressive_faces_840x700.jpg
// (its one frontal face), scaled, with her face box inside the patch: the detector's box on the
// full-size photo, checked by eye on the contact sheets.
func headPatch(tb testing.TB, det *face.Detector, scale float64) (image.Image, image.Rectangle) {
	tb.Helper()
	img, err := imaging.Open(testenv.Corpus(tb, "image/progressive_faces_840x700.jpg"))
	if err != nil {
		tb.Fatal(err)
	}
	boxes, err := det.Detect(Gray(img), face.Plain)
	if err != nil || len(boxes) != 1 {
		tb.Fatalf("the corpus photo should show one frontal face: %v %v", boxes, err)
	}
	f := boxes[0].Rectangle
	w, h := f.Dx(), f.Dy()
	pr := image.Rect(f.Min.X-w/2, f.Min.Y-7*h/10, f.Max.X+w/2, f.Max.Y+9*h/10).Intersect(img.Bounds())
	patch := imaging.Crop(img, pr)
	pw, ph := geom.EvenInt(int(float64(pr.Dx())*scale)), geom.EvenInt(int(float64(pr.Dy())*scale))
	patch = imaging.Resize(patch, pw, ph, imaging.Lanczos)
	fb := f.Sub(pr.Min)
	fb = image.Rect(int(float64(fb.Min.X)*scale), int(float64(fb.Min.Y)*scale), int(float64(fb.Max.X)*scale), int(float64(fb.Max.Y)*scale))
	return patch, fb
}

func writePNG(tb testing.TB, path string, img image.Image) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

func run(tb testing.TB, args ...string) {
	tb.Helper()
	out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-nostdin", "-v", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		tb.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// trajectory is the true face box of each frame: the face's box in the patch, moved to where
// ffmpeg's overlay put the patch.
func trajectory(fb image.Rectangle, x, y func(float64) float64, fps, dur float64) []image.Rectangle {
	var out []image.Rectangle
	for n := 0; n < int(dur*fps); n++ {
		t := float64(n) / fps
		out = append(out, fb.Add(image.Pt(overlayPos(x(t)), overlayPos(y(t)))))
	}
	return out
}

// overlayPos is where ffmpeg's overlay puts a picture for an x or y expression value: truncated, then
// even (4:2:0 chroma).
func overlayPos(v float64) int { return int(v) &^ 1 }

// encodeArgs encode generated clips quickly; CRF 16 is nearly lossless, so that the analysis sees the
// footage rather than compression artefacts.
func encodeArgs(crf int) []string {
	return []string{"-c:v", "libx264", "-preset", "ultrafast", "-crf", strconv.Itoa(crf), "-pix_fmt", "yuv420p", "-an"}
}

// GeneratePan is a 16:9 clip (1280x720, 25 fps, 8 s) of the woman's head gliding left to right and
// back while bobbing up and down, over the AVCHD footage (branches and stairs: a busy background).
func GeneratePan(tb testing.TB, dir string, det *face.Detector) Clip {
	return GeneratePanSized(tb, dir, det, geom.Size{W: 1280, H: 720}, 25, 8, 16)
}

// GeneratePanSized is GeneratePan at another size, rate, length and x264 CRF (the head is scaled with
// the picture's height; the motion repeats every 8 s).
func GeneratePanSized(tb testing.TB, dir string, det *face.Detector, size geom.Size, fps, dur float64, crf int) Clip {
	patch, fb := headPatch(tb, det, float64(size.H)/720)
	pp := filepath.Join(dir, "patch.png")
	writePNG(tb, pp, patch)
	W, H := size.W, size.H
	pw, ph := patch.Bounds().Dx(), patch.Bounds().Dy()
	span := float64(W - pw - 120)
	y0 := float64(H-ph) / 2
	amp := 70 * float64(H) / 720
	x := func(t float64) float64 { return 60 + span*(0.5-0.5*math.Cos(2*math.Pi*t/8)) }
	y := func(t float64) float64 { return y0 + amp*math.Sin(2*math.Pi*t/5) }
	out := filepath.Join(dir, fmt.Sprintf("pan_%dx%d_%gs.mp4", W, H, dur))
	graph := fmt.Sprintf("[0:v]scale=%d:%d,setsar=1,fps=%g,format=yuv420p[bg];[bg][1:v]overlay=x='60+%g*(0.5-0.5*cos(2*PI*t/8))':y='%g+%g*sin(2*PI*t/5)':eval=frame[v]",
		W, H, fps, span, y0, amp)
	enc := encodeArgs(crf)
	run(tb, append([]string{"-stream_loop", "-1", "-i", testenv.Corpus(tb, "video/panasonic_avchd_1080_tff.mts"),
		"-loop", "1", "-i", pp, "-filter_complex", graph, "-map", "[v]", "-t", num(dur), "-r", num(fps)}, append(enc, out)...)...)
	c := Clip{Name: fmt.Sprintf("generated pan %dx%d", W, H), Path: out, Size: size, FPS: fps, Duration: dur,
		TruthHow: "known trajectory of a head cut from progressive_faces (face box: detector on the still)"}
	c.Truth = trajectory(fb, x, y, fps, dur)
	return c
}

// GenerateCut is a 4:3 clip (960x720, 25 fps, 6 s) with a shot cut at 3 s: the head drifts right
// over the corpus webcam recording, then the footage changes and the head is elsewhere, drifting left.
func GenerateCut(tb testing.TB, dir string, det *face.Detector) Clip {
	patch, fb := headPatch(tb, det, 1.0)
	pp := filepath.Join(dir, "patch.png")
	writePNG(tb, pp, patch)
	W, H, fps, dur, cut := 960, 720, 25.0, 6.0, 3.0
	ph := patch.Bounds().Dy()
	// Both shots keep the face out of 9:16's top 14 % and bottom 20 %, so that 9:16 is a fill whose
	// camera must jump at the cut.
	x := func(t float64) float64 {
		if t < cut {
			return 60 + 40*t
		}
		return 640 - 40*(t-cut)
	}
	y2 := float64(H-ph) / 2
	y := func(t float64) float64 {
		if t < cut {
			return 40
		}
		return y2 - 20*(t-cut)
	}
	out := filepath.Join(dir, "cut_4x3.mp4")
	graph := fmt.Sprintf("[0:v]scale=%d:%d,setsar=1,fps=%g,format=yuv420p[b1];[1:v]scale=%d:%d,setsar=1,fps=%g,format=yuv420p[b2];"+
		"[b1][b2]overlay=enable='gte(t,%g)'[bg];"+
		"[bg][2:v]overlay=x='if(lt(t,%g),60+40*t,640-40*(t-%g))':y='if(lt(t,%g),40,%g-20*(t-%g))':eval=frame[v]",
		W, H, fps, W, H, fps, cut, cut, cut, cut, y2, cut)
	run(tb, append([]string{"-i", testenv.Corpus(tb, "video/chrome_mediarecorder_vp8_opus.webm"),
		"-stream_loop", "-1", "-i", testenv.Corpus(tb, "video/panasonic_avchd_1080_tff.mts"),
		"-loop", "1", "-i", pp, "-filter_complex", graph, "-map", "[v]", "-t", num(dur), "-r", num(fps)}, append(encodeArgs(16), out)...)...)
	c := Clip{Name: "generated cut 4:3", Path: out, Size: geom.Size{W: W, H: H}, FPS: fps, Duration: dur, Cuts: []float64{cut},
		TruthHow: "known trajectory of a head cut from progressive_faces (face box: detector on the still)"}
	c.Truth = trajectory(fb, x, y, fps, dur)
	return c
}

// GeneratePiP is a 16:9 clip (1280x720, 30 fps, 6 s) in which the corpus clip of a person signing
// (640x480, looped) slides across the AVCHD footage and back: a real, moving, small face (about 70 px
// in 1280, 35 px in the 640 px analysis frames). Its truth is the detector on every full-size frame,
// searched with upsampling inside the known window.
func GeneratePiP(tb testing.TB, dir string, det *face.Detector) Clip {
	W, H, fps, dur := 1280, 720, 30.0, 6.0
	x := func(t float64) float64 { return 640 * (0.5 - 0.5*math.Cos(2*math.Pi*t/6)) }
	out := filepath.Join(dir, "pip_16x9.mp4")
	graph := fmt.Sprintf("[0:v]scale=%d:%d,setsar=1,fps=%g,format=yuv420p[bg];[1:v]fps=%g,format=yuv420p[p];"+
		"[bg][p]overlay=x='640*(0.5-0.5*cos(2*PI*t/6))':y=120:eval=frame[v]", W, H, fps, fps)
	run(tb, append([]string{"-stream_loop", "-1", "-i", testenv.Corpus(tb, "video/panasonic_avchd_1080_tff.mts"),
		"-stream_loop", "-1", "-i", testenv.Corpus(tb, "video/person_asl_gesture_640x480.mkv"),
		"-filter_complex", graph, "-map", "[v]", "-t", num(dur), "-r", num(fps)}, append(encodeArgs(16), out)...)...)
	c := Clip{Name: "generated picture-in-picture 16:9", Path: out, Size: geom.Size{W: W, H: H}, FPS: fps, Duration: dur,
		TruthHow: "detector (upsampled) on every full-size frame, inside the window's known position"}
	c.Truth = make([]image.Rectangle, int(dur*fps))
	EachFrame(tb, out, 0, c.Size, fps, func(n int, g *image.Gray) {
		if n >= len(c.Truth) {
			return
		}
		win := image.Rect(0, 0, 640, 480).Add(image.Pt(overlayPos(x(float64(n)/fps)), 120))
		boxes, err := det.Detect(g.SubImage(win).(*image.Gray), face.Double)
		if err != nil {
			tb.Fatal(err)
		}
		if len(boxes) > 0 {
			c.Truth[n] = largest(boxes)
		}
	})
	return c
}

// CorpusClip reads a corpus video with a person; its truth is the detector's own box on every frame
// at the full display size (autorotated), upsampled when the picture is small, at fps.
func CorpusClip(tb testing.TB, file string, stream int, display geom.Size, fps float64, det *face.Detector) Clip {
	path := testenv.Corpus(tb, file)
	dur := probeDuration(tb, path)
	c := Clip{Name: filepath.Base(file), Path: path, VideoStream: stream, Size: display, FPS: fps, Duration: dur,
		TruthHow: "detector on every frame at full size (its own boxes)"}
	zoom := face.Plain
	if max(display.W, display.H) <= 800 {
		zoom = face.Double
	}
	EachFrame(tb, path, stream, display, fps, func(n int, g *image.Gray) {
		boxes, err := det.Detect(g, zoom)
		if err != nil {
			tb.Fatal(err)
		}
		r := image.Rectangle{}
		if len(boxes) > 0 {
			r = largest(boxes)
		}
		c.Truth = append(c.Truth, r)
	})
	return c
}

func largest(b []face.Box) image.Rectangle {
	best := b[0].Rectangle
	for _, x := range b[1:] {
		if x.Dx()*x.Dy() > best.Dx()*best.Dy() {
			best = x.Rectangle
		}
	}
	return best
}

// EachFrame decodes every frame of a video at size and fps (autorotated) as grey.
func EachFrame(tb testing.TB, path string, stream int, size geom.Size, fps float64, fn func(int, *image.Gray)) {
	tb.Helper()
	rawFrames(tb, path, stream, fmt.Sprintf("fps=%g,scale=%d:%d", fps, size.W, size.H), "gray", size.W*size.H, func(n int, pix []byte) bool {
		fn(n, &image.Gray{Pix: pix, Stride: size.W, Rect: image.Rect(0, 0, size.W, size.H)})
		return true
	})
}

// rawFrames runs ffmpeg with the filter vf and hands each raw frame (frameBytes long) to fn until fn
// returns false or the video ends.
func rawFrames(tb testing.TB, path string, stream int, vf, pixFmt string, frameBytes int, fn func(int, []byte) bool) {
	tb.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", path, "-map", "0:"+strconv.Itoa(stream),
		"-vf", vf, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pixFmt, "pipe:1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	r := bufio.NewReaderSize(out, 1<<20)
	for n := 0; ; n++ {
		pix := make([]byte, frameBytes)
		if _, err := io.ReadFull(r, pix); err != nil || !fn(n, pix) {
			break
		}
	}
	_, _ = io.Copy(io.Discard, r)
	if err := cmd.Wait(); err != nil {
		tb.Fatalf("decode %s: %v", path, err)
	}
}

func probeDuration(tb testing.TB, path string) float64 {
	tb.Helper()
	return testenv.Probe(tb, path).Duration()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// CorpusPath is the path of a corpus file.
func CorpusPath(tb testing.TB, rel string) string { return testenv.Corpus(tb, rel) }
