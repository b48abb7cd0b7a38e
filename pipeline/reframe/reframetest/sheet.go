package reframetest

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// ArtifactDir is where tests leave pictures for a person to look at: $QUINTE_ARTIFACTS, or
// testdata-out/ at the repository root (ignored by git).
func ArtifactDir(tb testing.TB, sub string) string {
	tb.Helper()
	root := os.Getenv("QUINTE_ARTIFACTS")
	if root == "" {
		root = filepath.Join(testenv.RepoRoot(tb), "testdata-out")
	}
	dir := filepath.Join(root, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

var aspectColour = map[string]color.RGBA{
	"9x16": {255, 60, 60, 255}, "1x1": {255, 220, 0, 255}, "4x5": {0, 220, 255, 255}, "16x9": {255, 0, 255, 255},
}

const sheetRowH = 200

// ContactSheet draws a grid: one row per sampled instant, the whole frame with the true face (green)
// and each fill window (coloured) first, then what each aspect shows (fit drawn letterboxed), with the
// 9:16 safe band marked. It writes a PNG and returns its path.
func ContactSheet(tb testing.TB, c Clip, plans []reframe.CropPlan, path string) string {
	return RenderedSheet(tb, c, plans, nil, path)
}

// RenderedSheet is ContactSheet with each aspect's tiles taken from the files a job rendered (by output
// name, "crop/9x16"), so that the sheet shows what was published, blur, lower-third and all. Plans
// without a file are drawn from the clip, as ContactSheet does.
func RenderedSheet(tb testing.TB, c Clip, plans []reframe.CropPlan, files map[string]string, path string) string {
	tb.Helper()
	n := len(c.Truth)
	rows := 6
	var idx []int
	for k := 0; k < rows; k++ {
		idx = append(idx, k*(n-1)/(rows-1))
	}
	frames := framesRGB(tb, c, idx)
	fullW := c.Size.W * sheetRowH / c.Size.H
	width := fullW + 10
	for _, p := range plans {
		width += p.Aspect.W*sheetRowH/p.Aspect.H + 10
	}
	sheet := image.NewRGBA(image.Rect(0, 0, width, rows*(sheetRowH+18)+4))
	draw.Draw(sheet, sheet.Rect, image.NewUniform(color.RGBA{24, 24, 24, 255}), image.Point{}, draw.Src)
	for r, fr := range frames {
		t := float64(idx[r]) / c.FPS
		y0 := r*(sheetRowH+18) + 16
		label(sheet, 4, y0-4, fmt.Sprintf("%s  t=%.2fs", c.Name, t))
		full := imaging.Resize(fr, fullW, sheetRowH, imaging.Box)
		k := float64(sheetRowH) / float64(c.Size.H)
		face := c.Truth[idx[r]]
		x := 0
		draw.Draw(sheet, full.Bounds().Add(image.Pt(x, y0)), full, image.Point{}, draw.Src)
		for _, p := range plans {
			if p.Mode == geom.Fill {
				rect(sheet, scaleRect(Window(p, t), float64(sheetRowH)/float64(p.Work.H)).Add(image.Pt(x, y0)), aspectColour[p.Aspect.Name])
			}
		}
		if !face.Empty() {
			rect(sheet, scaleRect(face, k).Add(image.Pt(x, y0)), color.RGBA{0, 255, 0, 255})
		}
		x += fullW + 10
		for _, p := range plans {
			w := p.Aspect.W * sheetRowH / p.Aspect.H
			var tile image.Image
			tileFace := image.Rectangle{}
			kw := float64(p.Work.H) / float64(c.Size.H) // clip pixels to working pixels
			switch f, rendered := files[p.Name]; {
			case rendered:
				tile = imaging.Resize(frameAt(tb, f, t, p.Out), w, sheetRowH, imaging.Box)
			case p.Mode == geom.Fill:
				win := scaleRect(Window(p, t), 1/kw)
				tile = imaging.Resize(imaging.Crop(fr, win), w, sheetRowH, imaging.Box)
			default:
				tile = fitTile(fr, w, sheetRowH)
			}
			if p.Mode == geom.Fill && !face.Empty() {
				win := Window(p, t)
				tileFace = scaleRect(scaleRect(face, kw).Sub(win.Min), float64(sheetRowH)/float64(win.Dy()))
			}
			draw.Draw(sheet, image.Rect(x, y0, x+w, y0+sheetRowH), tile, image.Point{}, draw.Src)
			if !tileFace.Empty() {
				rect(sheet, tileFace.Add(image.Pt(x, y0)).Intersect(image.Rect(x, y0, x+w, y0+sheetRowH)), color.RGBA{0, 255, 0, 255})
			}
			if p.Aspect.Name == "9x16" {
				hline(sheet, x, x+w, y0+sheetRowH*14/100, color.RGBA{255, 255, 255, 160})
				hline(sheet, x, x+w, y0+sheetRowH*80/100, color.RGBA{255, 255, 255, 160})
			}
			label(sheet, x+2, y0+sheetRowH-4, p.Aspect.Name+" "+string(p.Mode))
			x += w + 10
		}
	}
	writePNG(tb, path, sheet)
	return path
}

// SheetPath is where the contact sheet of the clip called name goes in dir: the name in lower case,
// anything but letters and digits made '_'.
func SheetPath(dir, name string) string {
	return filepath.Join(dir, strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(name))+".png")
}

// frameAt decodes the frame of a rendered file at t seconds, of size s.
func frameAt(tb testing.TB, path string, t float64, s geom.Size) *image.NRGBA {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-ss", strconv.FormatFloat(t, 'f', 3, 64), "-i", path,
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgba", "pipe:1").Output()
	if err != nil || len(out) != 4*s.W*s.H {
		tb.Fatalf("frame at %.2fs of %s (%v): %d bytes, %v", t, path, s, len(out), err)
	}
	return &image.NRGBA{Pix: out, Stride: 4 * s.W, Rect: image.Rect(0, 0, s.W, s.H)}
}

// fitTile is the whole frame letterboxed in a dark tile: what a fit shows, without the blur.
func fitTile(fr image.Image, w, h int) image.Image {
	t := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(t, t.Rect, image.NewUniform(color.RGBA{60, 60, 60, 255}), image.Point{}, draw.Src)
	in := imaging.Fit(fr, w, h, imaging.Box)
	off := image.Pt((w-in.Bounds().Dx())/2, (h-in.Bounds().Dy())/2)
	draw.Draw(t, in.Bounds().Add(off), in, image.Point{}, draw.Src)
	return t
}

func scaleRect(r image.Rectangle, k float64) image.Rectangle {
	return image.Rect(int(float64(r.Min.X)*k), int(float64(r.Min.Y)*k), int(float64(r.Max.X)*k), int(float64(r.Max.Y)*k))
}

func rect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for x := r.Min.X; x < r.Max.X; x++ {
		img.Set(x, r.Min.Y, c)
		img.Set(x, r.Max.Y-1, c)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		img.Set(r.Min.X, y, c)
		img.Set(r.Max.X-1, y, c)
	}
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x < x1; x += 2 {
		img.Set(x, y, c)
	}
}

func label(img *image.RGBA, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.White), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// framesRGB decodes the given frames (numbers at the clip's rate) at the clip's size.
func framesRGB(tb testing.TB, c Clip, idx []int) []*image.NRGBA {
	tb.Helper()
	var sel []string
	for _, n := range idx {
		sel = append(sel, "eq(n\\,"+strconv.Itoa(n)+")")
	}
	vf := fmt.Sprintf("fps=%g,scale=%d:%d,select=%s", c.FPS, c.Size.W, c.Size.H, strings.Join(sel, "+"))
	var frames []*image.NRGBA
	rawFrames(tb, c.Path, c.VideoStream, vf, "rgba", 4*c.Size.W*c.Size.H, func(_ int, pix []byte) bool {
		frames = append(frames, &image.NRGBA{Pix: pix, Stride: 4 * c.Size.W, Rect: image.Rect(0, 0, c.Size.W, c.Size.H)})
		return len(frames) < len(idx)
	})
	if len(frames) != len(idx) {
		tb.Fatalf("decoded %d of %d frames of %s", len(frames), len(idx), c.Path)
	}
	return frames
}
