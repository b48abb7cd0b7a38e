package plan

import (
	"testing"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/probe"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// faceTrack is a subject track in which one face goes from box a to box b over two seconds.
func faceTrack(a, b reframe.Box) *reframe.Track {
	tr := &reframe.Track{Size: Size{W: 360, H: 640}, Rate: 4, Duration: 2}
	for i := 0; i <= 8; i++ {
		f := float64(i) / 8
		box := reframe.Box{X0: a.X0 + (b.X0-a.X0)*f, Y0: a.Y0 + (b.Y0-a.Y0)*f, X1: a.X1 + (b.X1-a.X1)*f, Y1: a.Y1 + (b.Y1-a.Y1)*f}
		tr.Samples = append(tr.Samples, reframe.Sample{T: float64(i) / 4, Faces: []reframe.Box{box}, Subject: box, Source: reframe.SourceFace})
	}
	return tr
}

// The issue 3 rule, with subject-aware crops: a portrait source's crop/9x16 is its 1080p rendition's
// encode when the crop is a still fill of the whole picture; a fit, a moving camera or a campaign drawn
// on the crops makes it an encode of its own.
func TestCrop9x16SharesTheRenditionOnlyWhenIdentical(t *testing.T) {
	portrait := func(w, h int) probe.Media {
		return probe.Media{Kind: message.KindVideo, Container: "mov,mp4,m4a,3gp,3g2,mj2", Duration: 2, Video: &probe.VideoInfo{
			Codec: "h264", Width: w, Height: h, DisplayWidth: w, DisplayHeight: h, SAR: 1, FrameRate: 30, PixFmt: "yuv420p"}}
	}
	small := reframe.Box{X0: 0.4, Y0: 0.3, X1: 0.6, Y1: 0.42}
	for _, c := range []struct {
		name   string
		m      probe.Media
		x      Extras
		shared bool
		mode   geom.Mode
	}{
		{"no analysis", portrait(1080, 1920), Extras{}, true, geom.Fill},
		{"a face in the safe band", portrait(1080, 1920), Extras{Track: faceTrack(small, small)}, true, geom.Fill},
		{"a face under the buttons", portrait(1080, 1920), Extras{Track: faceTrack(reframe.Box{X0: 0.4, Y0: 0.8, X1: 0.6, Y1: 0.92}, reframe.Box{X0: 0.4, Y0: 0.82, X1: 0.6, Y1: 0.94})}, false, geom.Fit},
		{"a campaign", portrait(1080, 1920), Extras{Brand: &Branding{Campaign: "x", Name: "Ada", Style: brand.Config{Enabled: true}}}, false, geom.Fill},
		{"a 20:9 phone, the face moving down", portrait(1080, 2400), Extras{Track: faceTrack(reframe.Box{X0: 0.4, Y0: 0.2, X1: 0.6, Y1: 0.29}, reframe.Box{X0: 0.4, Y0: 0.5, X1: 0.6, Y1: 0.59})}, false, geom.Fill},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := New(c.m, c.x)
			if err != nil {
				t.Fatal(err)
			}
			vp := p.Video
			crop, _ := vp.Crop("crop/9x16")
			if crop.Mode != c.mode {
				t.Errorf("9:16 is a %s (%s), want a %s", crop.Mode, crop.Why, c.mode)
			}
			shared := false
			for _, e := range vp.Encodes {
				for _, f := range e.Files[1:] {
					shared = shared || (f.Name == "crop/9x16" && e.Files[0].Name == "rendition/1080p")
				}
				if e.Reframe == "crop/9x16" && (e.Width != 1080 || e.Height != 1920) {
					t.Errorf("the 9:16 encode is %dx%d", e.Width, e.Height)
				}
			}
			if shared != c.shared {
				t.Errorf("crop/9x16 shares rendition/1080p's encode: %v, want %v (path %v)", shared, c.shared, crop.Path)
			}
			if c.name == "a 20:9 phone, the face moving down" && crop.Path.Still() {
				t.Errorf("the camera does not follow the face: %v", crop.Path)
			}
		})
	}
}
