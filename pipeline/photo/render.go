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
	"runtime"
	"strings"
	"sync"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/internal/safe"
	"github.com/quinte-media/quinte/pipeline/output"
	"github.com/quinte-media/quinte/pipeline/photo/internal/par"
	"github.com/quinte-media/quinte/pipeline/plan"
)

// jpegQuality is high enough for a photo to survive the social networks' own recompression.
const jpegQuality = 85

var contentTypes = map[string]string{"jpg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4"}

// render cuts every output of the plan from the one decoded picture: each output is cut from the
// smallest picture already made that has enough pixels (thumb from web, most crops from web), so the
// full-size picture is resized once or twice. The outputs cut from the source come first, then the
// source is let go (pic.img is cleared) and collected, so the largest picture is not held while the
// rest are made. Each file's encode starts as soon as its pixels are ready, concurrently with the
// cuts that follow: the JPEGs in Go, the WebPs in one ffmpeg run, the loop in another.
func render(ctx context.Context, cfg Config, pl *plan.PhotoPlan, pic *picture, path string, h *header, dir string) ([]File, error) {
	src := pic.img
	pic.img = nil
	full := size(src)
	made := map[string]*image.NRGBA{"source": src}
	files := make([]File, len(pl.Outputs))
	var run runner
	var webp []webpJob
	webps := 0
	for _, o := range pl.Outputs {
		if o.Format == "webp" {
			webps++
		}
	}
	do := func(i int, o output.Planned) {
		out := files[i].Path
		switch o.Format {
		case "jpg":
			img := cut(made[o.From], full, o)
			made[o.Name] = img
			run.start(func() error { return saveJPEG(out, img) }, cfg.Progress)
		case "webp":
			webp = append(webp, webpJob{img: made[o.From], path: out})
			if len(webp) == webps {
				run.start(func() error { return encodeWebP(ctx, cfg, dir, webp) }, cfg.Progress)
			}
		case "mp4":
			f := &files[i]
			run.start(func() (err error) {
				f.Duration, err = encodeLoop(ctx, cfg, path, h, geom.Size{W: o.Width, H: o.Height}, out)
				return err
			}, cfg.Progress)
		}
	}
	for i, o := range pl.Outputs {
		files[i] = File{
			Output: message.Output{Name: o.Name, Role: o.Role, Width: o.Width, Height: o.Height, Mode: o.Mode, ContentType: contentTypes[o.Format]},
			Path:   filepath.Join(dir, strings.ReplaceAll(o.Name, "/", "_")+"."+o.Format), Ext: "." + o.Format,
		}
	}
	// First the cuts from the source, then the rest in plan order (an output's From always comes
	// before it, and every From other than the source is a JPEG cut).
	for i, o := range pl.Outputs {
		if o.Format == "jpg" && o.From == "source" {
			do(i, o)
			runtime.GC() // a resize of the source leaves an intermediate picture as large as its output or larger
		}
	}
	delete(made, "source")
	src = nil
	runtime.GC() // the source is the largest picture by far: give its pages to the cuts that follow
	for i, o := range pl.Outputs {
		if o.Format != "jpg" || o.From != "source" {
			do(i, o)
		}
	}
	if webps == 0 {
		run.start(func() error { return encodeWebP(ctx, cfg, dir, nil) }, cfg.Progress)
	}
	if err := run.wait(); err != nil {
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

// runner runs jobs concurrently as they are started and joins their errors, telling progress as each
// ends.
type runner struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

func (r *runner) start(j func() error, progress func(string)) {
	r.wg.Go(func() {
		err := safe.Call(j)
		r.mu.Lock()
		r.errs = append(r.errs, err)
		r.mu.Unlock()
		progress("encoded")
	})
}

func (r *runner) wait() error {
	r.wg.Wait()
	return errors.Join(r.errs...)
}

// cut crops and resizes one output from pic, the picture named in o.From (crop regions are given in
// the coordinates of the full-size source), or lays it whole over its blurred self for a fit.
func cut(pic *image.NRGBA, source geom.Size, o output.Planned) *image.NRGBA {
	if o.Inner != nil {
		return fit(pic, geom.Size{W: o.Width, H: o.Height}, *o.Inner)
	}
	img := pic
	if o.Crop != nil {
		r := *o.Crop
		if size(pic) != source {
			r = geom.ScaleRect(r, source, size(pic))
		}
		// A view of the region, not a copy: the resize reads it in place.
		img = pic.SubImage(image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H)).(*image.NRGBA)
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
		if b.Min != (image.Point{}) {
			return imaging.Clone(img) // a crop's view: pixels of its own, or it would keep the whole source alive
		}
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
				row := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+yy):]
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
