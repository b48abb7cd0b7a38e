package photo

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/internal/safe"
	"github.com/quinte-media/quinte/pipeline/photo/internal/par"
)

// jpegQuality is high enough for a photo to survive the social networks' own recompression.
const jpegQuality = 85

var contentTypes = map[string]string{"jpg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4"}

// render cuts every output of the plan from the one decoded picture, in plan order: each output is
// cut from the smallest picture already made that has enough pixels (thumb from web, most crops from
// web), so the full-size picture is resized once. Then the files are encoded concurrently: the JPEGs
// in Go, the WebPs in one ffmpeg run, the loop in another.
func render(ctx context.Context, cfg Config, plan *Plan, src *image.NRGBA, path string, h *header, dir string) ([]File, error) {
	made := map[string]*image.NRGBA{"source": src}
	files := make([]File, len(plan.Outputs))
	var jobs []func() error
	var webp []webpJob
	for i, o := range plan.Outputs {
		out := filepath.Join(dir, strings.ReplaceAll(o.Name, "/", "_")+"."+o.Format)
		files[i] = File{
			Output: message.Output{Name: o.Name, Role: o.Role, Width: o.Width, Height: o.Height, Mode: o.Mode, ContentType: contentTypes[o.Format]},
			Path:   out, Ext: "." + o.Format,
		}
		switch o.Format {
		case "jpg":
			img := cut(made[o.From], src, o)
			made[o.Name] = img
			jobs = append(jobs, func() error { return saveJPEG(out, img) })
		case "webp":
			webp = append(webp, webpJob{img: made[o.From], path: out})
		case "mp4":
			f := &files[i]
			jobs = append(jobs, func() (err error) {
				f.Duration, err = encodeLoop(ctx, cfg, path, h, geom.Size{W: o.Width, H: o.Height}, out)
				return err
			})
		}
	}
	jobs = append(jobs, func() error { return encodeWebP(ctx, cfg, dir, webp) })
	if err := runAll(jobs, cfg.Progress); err != nil {
		return nil, err
	}
	for i := range files {
		st, err := os.Stat(files[i].Path)
		if err != nil {
			return nil, fmt.Errorf("%s was not written: %w", files[i].Name, err)
		}
		files[i].Size = st.Size()
	}
	return files, nil
}

// runAll runs the jobs at once and returns their errors joined, telling progress as each ends.
func runAll(jobs []func() error, progress func(string)) error {
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			errs[i] = safe.Call(j)
			progress("encoded")
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// cut crops and resizes one output from pic, the picture named in o.From (crop regions are given in
// the coordinates of the full-size source), or lays it whole over its blurred self for a fit.
func cut(pic, source *image.NRGBA, o OutputDef) *image.NRGBA {
	if o.Inner != nil {
		return fit(pic, geom.Size{W: o.Width, H: o.Height}, *o.Inner)
	}
	img := pic
	if o.Crop != nil {
		r := *o.Crop
		if pic != source {
			r = scaleRect(r, size(source), size(pic))
		}
		img = imaging.Crop(img, image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H))
	}
	return resize(img, o.Width, o.Height)
}

// fit lays the whole picture, resized to inner, over the middle of a blurred and darkened copy of itself
// that fills out, as the video's fit does (pipeline/reframe): the background is made at an eighth of
// the size, where blurring is cheap, and stretched back up, which smooths it further.
func fit(img *image.NRGBA, out, inner geom.Size) *image.NRGBA {
	bw, bh := max(2, out.W/8), max(2, out.H/8)
	bg := imaging.Fill(img, bw, bh, imaging.Center, imaging.Box)
	bg = imaging.Blur(bg, float64(min(bw, bh))/16+1)
	bg = imaging.AdjustFunc(bg, func(c color.NRGBA) color.NRGBA {
		return color.NRGBA{uint8(int(c.R) * 55 / 100), uint8(int(c.G) * 55 / 100), uint8(int(c.B) * 55 / 100), c.A}
	})
	canvas := imaging.Resize(bg, out.W, out.H, imaging.Linear)
	return imaging.Paste(canvas, resize(img, inner.W, inner.H), image.Pt((out.W-inner.W)/2, (out.H-inner.H)/2))
}

// resize scales img to w×h with Lanczos. A large reduction first averages whole blocks of pixels down
// to about twice the target (as libvips' shrink does): the box average is a fraction of Lanczos'
// cost on a 12 MP picture, and Lanczos still makes the final, sharp step.
func resize(img *image.NRGBA, w, h int) *image.NRGBA {
	b := img.Bounds()
	if b.Dx() == w && b.Dy() == h {
		return img
	}
	if k := min(b.Dx()/(2*w), b.Dy()/(2*h)); k >= 2 {
		img = shrink(img, k)
	}
	return imaging.Resize(img, w, h, imaging.Lanczos)
}

// shrink averages k×k blocks (the last partial row and column of blocks are dropped: at most k-1
// pixels of a picture being reduced k times or more).
func shrink(img *image.NRGBA, k int) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx()/k, b.Dy()/k
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	n := uint32(k * k)
	par.Rows(h, func(y0, y1 int) {
		sum := make([]uint32, 4*w)
		for y := y0; y < y1; y++ {
			clear(sum)
			for yy := y * k; yy < (y+1)*k; yy++ {
				row := img.Pix[yy*img.Stride:]
				for x := range w {
					s := sum[4*x : 4*x+4]
					for xx := x * k; xx < (x+1)*k; xx++ {
						p := row[4*xx : 4*xx+4]
						s[0] += uint32(p[0])
						s[1] += uint32(p[1])
						s[2] += uint32(p[2])
						s[3] += uint32(p[3])
					}
				}
			}
			d := dst.Pix[y*dst.Stride:]
			for i := range 4 * w {
				d[i] = uint8((sum[i] + n/2) / n)
			}
		}
	})
	return dst
}

func size(img image.Image) geom.Size {
	b := img.Bounds()
	return geom.Size{W: b.Dx(), H: b.Dy()}
}

// saveJPEG writes img with no metadata at all: Go's encoder writes no APP segment (no JFIF, EXIF,
// XMP or ICC), and sRGB is what a profile-less JPEG means.
func saveJPEG(path string, img *image.NRGBA) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, opaque(img), &jpeg.Options{Quality: jpegQuality}); err != nil {
		f.Close()
		return errors.Join(err, os.Remove(path))
	}
	return f.Close()
}

// opaque views an opaque NRGBA picture as RGBA (identical bytes when alpha is 255 everywhere), which
// the JPEG encoder converts on its fast path instead of pixel by pixel through color.Color.
func opaque(img *image.NRGBA) *image.RGBA {
	return &image.RGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
}
