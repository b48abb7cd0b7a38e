package subject

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// singlePass builds the way the video plan does: decode once, bring the picture to work, split, and
// give each aspect its branch. It returns the argv and the file of each aspect.
func singlePass(in string, stream int, work geom.Size, plans []reframe.CropPlan, dir string) ([]string, map[string]string, error) {
	src := ffmpeg.Input("file:"+in, ffmpeg.KwArgs{"protocol_whitelist": "file"})
	w := src.Get(strconv.Itoa(stream)).
		Filter("fps", ffmpeg.Args{"30"}).
		Filter("scale", ffmpeg.Args{strconv.Itoa(work.W), strconv.Itoa(work.H)}).
		Filter("setsar", ffmpeg.Args{"1"}).
		Filter("format", ffmpeg.Args{"yuv420p"})
	split := w.Split()
	files := map[string]string{}
	var outs []*ffmpeg.Stream
	for i, p := range plans {
		if err := ffcmd.WriteCamera(p, dir); err != nil {
			return nil, nil, err
		}
		s, err := ffcmd.AppendCrop(split.Get(strconv.Itoa(i)), p, dir)
		if err != nil {
			return nil, nil, err
		}
		f := filepath.Join(dir, "crop_"+p.Aspect.Name+".mp4")
		files[p.Aspect.Name] = f
		outs = append(outs, s.Output(f, ffmpeg.KwArgs{"c:v": "libx264", "preset": "ultrafast", "crf": "30", "pix_fmt": "yuv420p", "an": ""}))
	}
	args := append([]string{"-hide_banner", "-nostdin", "-v", "error", "-y"}, ffmpeg.MergeOutputs(outs...).GetArgs()...)
	return args, files, nil
}

// End to end on corpus clips: analyse, plan every aspect, render all four in one ffmpeg pass and check
// each output's size with an independent ffprobe.
func TestRenderAllAspectsOnePass(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		file     string
		stream   int
		display  geom.Size
		work     geom.Size
		duration float64
	}{
		{"video/person_asl_gesture_640x480.mkv", 0, geom.Size{W: 640, H: 480}, geom.Size{W: 640, H: 480}, 1.633},
		{"video/pixel_motion_two_hevc_streams_rot90.mp4", 0, geom.Size{W: 1080, H: 1440}, geom.Size{W: 1080, H: 1440}, 1.77},
		// No face: a terminal recorded with non-square pixels (SAR 3:2, shown 1920x1080), worked at 1280x720.
		{"video/anamorphic_sar3x2_1280x1080.mp4", 0, geom.Size{W: 1920, H: 1080}, geom.Size{W: 1280, H: 720}, 5.23},
		// HDR HLG portrait from an iPhone, rotated -90: 720x1280 on screen.
		{"video/iphone14pro_dolbyvision_hlg_portrait.mov", 0, geom.Size{W: 720, H: 1280}, geom.Size{W: 720, H: 1280}, 0.107},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			dir := t.TempDir()
			in := testenv.Corpus(t, c.file)
			tr, err := a.Analyze(context.Background(), Input{FFmpeg: "ffmpeg", Path: in, VideoStream: c.stream, Display: c.display, Duration: c.duration, WorkDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			plans := reframe.PlanCrops(tr, reframe.Frame{Work: c.work, Source: c.display}, reframe.SocialAspects(), reframe.DefaultConfig())
			args, files, err := singlePass(in, c.stream, c.work, plans, dir)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
			}
			for _, p := range plans {
				t.Logf("%s: %s %v→%v: %s", p.Name, p.Mode, p.Crop, p.Out, p.Why)
				if p.Mode == geom.Fill {
					// Smooth whatever drives it (faces or saliency): no step above the speed limit.
					limit := reframe.DefaultConfig().MaxSpeed*float64(p.Crop.W)/30 + 2
					px, py := p.Path.At(0)
					for i := 1; float64(i)/30 <= c.duration; i++ {
						x, y := p.Path.At(float64(i) / 30)
						if dx, dy := x-px, y-py; dx*dx+dy*dy > limit*limit && tr.ShotOf(float64(i-1)/30) == tr.ShotOf(float64(i)/30) {
							t.Errorf("%s: the crop moves %.1f px in one frame at %.2fs", p.Name, dx+dy, float64(i)/30)
						}
						px, py = x, y
					}
				}
				w, h := testenv.Probe(t, files[p.Aspect.Name]).DisplaySize()
				if w != p.Out.W || h != p.Out.H {
					t.Errorf("%s is %dx%d, planned %v", p.Name, w, h, p.Out)
				}
				if p.Out.W > p.Aspect.Out.W || p.Out.H > p.Aspect.Out.H {
					t.Errorf("%s planned above its published size: %v", p.Name, p.Out)
				}
				if r := float64(w) / float64(h); r < p.Aspect.Ratio()*0.98 || r > p.Aspect.Ratio()*1.02 {
					t.Errorf("%s is %dx%d, not %d:%d", p.Name, w, h, p.Aspect.W, p.Aspect.H)
				}
			}
		})
	}
}
