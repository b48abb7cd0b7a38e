package reframetest

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
	"github.com/quinte-media/quinte/pipeline/reframe/subject"
)

// Photo is a corpus photo with hand-checked face boxes.
type Photo struct {
	File  string
	Faces map[string]image.Rectangle // by who
}

// FacesPhoto is progressive_faces_840x700.jpg: the woman faces the camera (her box is also the
// detector's), the man is in three-quarter profile (his box was drawn by hand and checked by eye).
func FacesPhoto() Photo {
	return Photo{File: "image/progressive_faces_840x700.jpg", Faces: map[string]image.Rectangle{
		"woman (frontal)": image.Rect(273, 169, 378, 274),
		"man (profile)":   image.Rect(540, 88, 638, 245),
	}}
}

// PhotoResult is one photo's plans and, per face, whether each aspect keeps it (and the centre crop).
type PhotoResult struct {
	Photo  Photo
	Size   geom.Size
	Track  *reframe.Track
	Plans  []geom.Framing
	Img    image.Image
	Inside map[string]map[string][2]bool // face → aspect → {plan, centre}
	Files  map[string]string             // the rendered crops by output name, when a job made them
}

// RunPhoto plans a corpus photo's crops as the service would and checks them against its faces.
func RunPhoto(tb testing.TB, an *subject.Analyzer, ph Photo, cfg reframe.Config) PhotoResult {
	tb.Helper()
	img, err := imaging.Open(testenv.Corpus(tb, ph.File), imaging.AutoOrientation(true))
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := an.PhotoTrack(context.Background(), img)
	if err != nil {
		tb.Fatal(err)
	}
	size := geom.Size{W: img.Bounds().Dx(), H: img.Bounds().Dy()}
	return ScorePhoto(ph, img, tr, reframe.PhotoCrops(tr, size, reframe.SocialAspects(), cfg))
}

// ScorePhoto checks a photo's crop plans (made by RunPhoto, or by a job) against its faces.
func ScorePhoto(ph Photo, img image.Image, tr *reframe.Track, plans []geom.Framing) PhotoResult {
	size := geom.Size{W: img.Bounds().Dx(), H: img.Bounds().Dy()}
	r := PhotoResult{Photo: ph, Size: size, Track: tr, Plans: plans, Img: img, Inside: map[string]map[string][2]bool{}}
	for who, f := range ph.Faces {
		r.Inside[who] = map[string][2]bool{}
		for _, p := range plans {
			c := geom.AspectRect(size, p.Aspect.W, p.Aspect.H)
			centre := c.Image()
			shown := p.Rect.Image()
			if p.Mode == geom.Fit {
				shown = image.Rect(0, 0, size.W, size.H)
			}
			r.Inside[who][p.Aspect.Name] = [2]bool{f.In(shown), f.In(centre)}
		}
	}
	return r
}

// ReportPhoto prints which faces each aspect keeps.
func ReportPhoto(w io.Writer, r PhotoResult) {
	fmt.Fprintf(w, "\n%s (%dx%d; faces found by the detector: %d; truth: hand-checked boxes)\n", filepath.Base(r.Photo.File), r.Size.W, r.Size.H, len(r.Track.Samples[0].Faces))
	fmt.Fprintf(w, "  %-5s %-4s %-22s %s\n", "crop", "mode", "rect", "face inside: planned / centre crop")
	for _, p := range r.Plans {
		line := fmt.Sprintf("  %-5s %-4s %-22v", p.Aspect.Name, p.Mode, p.Rect.Image())
		for _, who := range []string{"woman (frontal)", "man (profile)"} {
			if in, ok := r.Inside[who][p.Aspect.Name]; ok {
				line += fmt.Sprintf(" %s %s/%s", who, yes(in[0]), yes(in[1]))
			}
		}
		fmt.Fprintln(w, line)
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

// PhotoSheet draws the photo with each fill rectangle and the true faces, then each aspect's output.
func PhotoSheet(tb testing.TB, r PhotoResult, path string) string {
	tb.Helper()
	const h = 300
	full := imaging.Resize(r.Img, r.Size.W*h/r.Size.H, h, imaging.Box)
	width := full.Bounds().Dx() + 10
	for _, p := range r.Plans {
		width += p.Aspect.W*h/p.Aspect.H + 10
	}
	sheet := image.NewRGBA(image.Rect(0, 0, width, h+20))
	draw.Draw(sheet, sheet.Rect, image.NewUniform(color.RGBA{24, 24, 24, 255}), image.Point{}, draw.Src)
	draw.Draw(sheet, full.Bounds(), full, image.Point{}, draw.Src)
	k := float64(h) / float64(r.Size.H)
	for _, p := range r.Plans {
		if p.Mode == geom.Fill {
			rect(sheet, scaleRect(p.Rect.Image(), k), aspectColour[p.Aspect.Name])
		}
	}
	for _, f := range r.Photo.Faces {
		rect(sheet, scaleRect(f, k), color.RGBA{0, 255, 0, 255})
	}
	x := full.Bounds().Dx() + 10
	for _, p := range r.Plans {
		w := p.Aspect.W * h / p.Aspect.H
		var tile image.Image
		if f, ok := r.Files["crop/"+p.Aspect.Name]; ok {
			img, err := imaging.Open(f)
			if err != nil {
				tb.Fatal(err)
			}
			tile = imaging.Resize(img, w, h, imaging.Box)
		} else if p.Mode == geom.Fill {
			tile = imaging.Resize(imaging.Crop(r.Img, p.Rect.Image()), w, h, imaging.Box)
		} else {
			tile = fitTile(r.Img, w, h)
		}
		draw.Draw(sheet, image.Rect(x, 0, x+w, h), tile, image.Point{}, draw.Src)
		label(sheet, x+2, h+14, p.Aspect.Name+" "+string(p.Mode))
		x += w + 10
	}
	writePNG(tb, path, sheet)
	return path
}
