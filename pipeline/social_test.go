package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/pipeline/plan"
)

const captionsSRT = "1\n00:00:00,200 --> 00:00:02,800\nGrazie a tutta la crew\n\n2\n00:00:02,900 --> 00:00:03,900\ndietro le quinte\n"

// A message with a campaign and captions: every social crop carries the lower-third and the captions
// (its lower band differs from the same frame of the same message without them, its top does not), the
// renditions carry neither, and the captions are published as caption/vtt.
func TestCampaignAndCaptionsOnTheCrops(t *testing.T) {
	src := lavfi(t, "portrait.mp4", "-f", "lavfi", "-i", "testsrc2=s=720x1280:r=25:d=4", "-f", "lavfi", "-i", "sine=f=330:d=4",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")
	srt := filepath.Join(t.TempDir(), "captions.srt")
	testenv.Must(t, os.WriteFile(srt, []byte(captionsSRT), 0o644))
	run := func(campaign, captions string) *Result {
		return processWith(t, src, message.KindVideo, "Ada Lovelace", campaign, captions)
	}
	plain, branded := run("", ""), run("example", srt)
	files := filesByName
	pf, bf := files(plain), files(branded)
	for _, name := range []string{"crop/9x16", "crop/1x1", "crop/4x5", "crop/16x9", "rendition/720p"} {
		a, b := pf[name], bf[name]
		if a.Width != b.Width || a.Height != b.Height {
			t.Fatalf("%s: %dx%d without the campaign, %dx%d with it", name, a.Width, a.Height, b.Width, b.Height)
		}
		ga, gb := frameAt(t, a.Path, 1.5, a.Width, a.Height), frameAt(t, b.Path, 1.5, b.Width, b.Height)
		// Where the lower-third and the captions go: above the bottom 20 % (9:16) or 5 % (the others), in
		// the lower half; and the top third, where nothing is drawn.
		bottom := 0.95
		if name == "crop/9x16" {
			bottom = 0.80
		}
		band, top := changed(ga, gb, a.Width, 0.5, bottom), changed(ga, gb, a.Width, 0, 0.33)
		t.Logf("%s: %.1f%% of the lower band and %.2f%% of the top changed", name, 100*band, 100*top)
		if top > 0.005 {
			t.Errorf("%s: %.1f%% of the top third changed: something is drawn outside the band", name, 100*top)
		}
		switch {
		case strings.HasPrefix(name, "rendition/") && band > 0.005:
			t.Errorf("%s: %.1f%% of the lower band changed: the renditions must carry no branding", name, 100*band)
		case strings.HasPrefix(name, "crop/") && band < 0.03:
			t.Errorf("%s: only %.1f%% of the lower band changed: no lower-third or captions drawn", name, 100*band)
		}
	}
	if _, ok := pf[plan.CaptionName]; ok {
		t.Error("caption/vtt published without captions")
	}
	vtt, ok := bf[plan.CaptionName]
	if !ok || vtt.Role != message.RoleCaption || vtt.ContentType != "text/vtt" {
		t.Fatalf("caption/vtt: %+v", vtt)
	}
	b, err := os.ReadFile(vtt.Path)
	testenv.Must(t, err)
	if cues, err := brand.ParseCaptions(b); err != nil || len(cues) != 2 || !strings.HasPrefix(string(b), "WEBVTT") {
		t.Errorf("caption/vtt does not read back: %v %+v\n%s", err, cues, b)
	}
	vp := branded.Plan.Video
	if vp.Brand == nil || vp.Brand.Name != "Ada Lovelace" || vp.Brand.Captions != 2 {
		t.Errorf("the plan's branding: %+v", vp.Brand)
	}
	// Captions without a campaign: burned in the default style, no lower-third.
	captioned := run("", srt)
	cf := files(captioned)["crop/9x16"]
	if b := captioned.Plan.Video.Brand; b == nil || b.Name != "" || b.Line != "" || b.Captions != 2 {
		t.Errorf("captions only: the plan's branding %+v", b)
	}
	ga, gc := frameAt(t, pf["crop/9x16"].Path, 1.5, cf.Width, cf.Height), frameAt(t, cf.Path, 1.5, cf.Width, cf.Height)
	if band := changed(ga, gc, cf.Width, 0.5, 0.8); band < 0.005 {
		t.Errorf("captions only: %.2f%% of the 9:16's lower band changed: no captions drawn", 100*band)
	}
	for _, e := range vp.Encodes {
		if len(e.Files) > 1 {
			t.Errorf("%v share an encode although the crops are branded and the rendition is not", e.Files)
		}
	}
}

// frameAt decodes the frame at sec of a video as grey pixels.
func frameAt(t *testing.T, path string, sec float64, w, h int) []byte {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-v", "error", "-ss", fmt.Sprint(sec), "-i", path, "-frames:v", "1",
		"-f", "rawvideo", "-pix_fmt", "gray", "pipe:1").Output()
	testenv.Must(t, err)
	if len(out) != w*h {
		t.Fatalf("%s: %d bytes for a %dx%d frame", path, len(out), w, h)
	}
	return out
}

// changed is the share of pixels between rows y0 and y1 (fractions of the height) that differ by more
// than 24 levels.
func changed(a, b []byte, w int, y0, y1 float64) float64 {
	h := len(a) / w
	n, total := 0, 0
	for y := int(y0 * float64(h)); y < int(y1*float64(h)); y++ {
		for x := 0; x < w; x++ {
			if d := int(a[y*w+x]) - int(b[y*w+x]); d > 24 || d < -24 {
				n++
			}
			total++
		}
	}
	return float64(n) / float64(total)
}

// A campaign that does not exist and captions that do not parse fail the message at once, with a code.
func TestCampaignAndCaptionsRefused(t *testing.T) {
	src := testenv.Corpus(t, "video/iphone4s_h264_rotated.mov")
	bad := filepath.Join(t.TempDir(), "bad.srt")
	testenv.Must(t, os.WriteFile(bad, []byte("1\n00:00:05,000 --> 00:00:01,000\nbackwards\n"), 0o644))
	for _, c := range []struct {
		in   Input
		code string
	}{
		{Input{Campaign: "no-such-campaign"}, "unknown_campaign"},
		{Input{Captions: bad}, "bad_captions"},
	} {
		in := c.in
		in.ID, in.Path, in.Kind, in.WorkDir = "refused", src, message.KindVideo, t.TempDir()
		_, err := testPipeline().Process(context.Background(), in)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code != c.code {
			t.Errorf("%+v: %v, want an InputError %s", c.in, err, c.code)
		}
	}
}
