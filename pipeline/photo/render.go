package photo

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
)

// jpegQuality is high enough for a photo to survive the social networks' own recompression.
const jpegQuality = 85

var contentTypes = map[string]string{"jpg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4"}

// render cuts every output of the plan from the one decoded picture, in plan order: each output is
// cut from the smallest picture already made that has enough pixels (thumb from web, most crops from
// web), so the full-size picture is resized once.
func render(ctx context.Context, cfg Config, plan *Plan, src *image.NRGBA, path string, h *header, dir string) ([]File, error) {
	made := map[string]*image.NRGBA{"source": src}
	var files []File
	var webp []webpJob
	for _, o := range plan.Outputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out := filepath.Join(dir, strings.ReplaceAll(o.Name, "/", "_")+"."+o.Format)
		f := File{
			Output: message.Output{Name: o.Name, Role: o.Role, Width: o.Width, Height: o.Height, Mode: o.Mode, ContentType: contentTypes[o.Format]},
			Path:   out, Ext: "." + o.Format,
		}
		var err error
		switch o.Format {
		case "jpg":
			img := cut(made[o.From], src, o)
			made[o.Name] = img
			err = saveJPEG(out, img)
		case "webp":
			webp = append(webp, webpJob{img: made[o.From], path: out})
		case "mp4":
			f.Duration, err = encodeLoop(ctx, cfg, path, h, geom.Size{W: o.Width, H: o.Height}, out)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Name, err)
		}
		files = append(files, f)
	}
	if err := encodeWebP(ctx, cfg, dir, webp); err != nil {
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

// cut crops and resizes one output from pic, the picture named in o.From (crop regions are given in
// the coordinates of the full-size source).
func cut(pic, source *image.NRGBA, o OutputDef) *image.NRGBA {
	img := pic
	if o.Crop != nil {
		r := *o.Crop
		if pic != source {
			r = scaleRect(r, size(source), size(pic))
		}
		img = imaging.Crop(img, image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H))
	}
	if b := img.Bounds(); b.Dx() != o.Width || b.Dy() != o.Height {
		img = imaging.Resize(img, o.Width, o.Height, imaging.Lanczos)
	}
	return img
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
