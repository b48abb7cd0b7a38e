// Package photo makes a photo's outputs: it checks the header before decoding (size limits apply to what
// the file claims), decodes once with EXIF orientation applied, and cuts every output from that one
// picture. It writes files into a directory and knows nothing of S3 or the queue.
package photo

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registered decoders: the formats quinte accepts as photos
	"image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/webp"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
)

// Config limits what is decoded.
type Config struct {
	MaxPixels int64 // photos claiming more are refused before decoding
}

// Plan lists a photo's outputs.
type Plan struct {
	Format  string      `json:"format"`
	Source  geom.Size   `json:"source"` // after EXIF orientation
	Outputs []OutputDef `json:"outputs"`
	Why     []string    `json:"why"`
}

// OutputDef is one size of a photo.
type OutputDef struct {
	Name   string     `json:"name"`
	Role   string     `json:"role"`
	Crop   *geom.Rect `json:"crop,omitempty"`
	Width  int        `json:"width"`
	Height int        `json:"height"`
	Mode   string     `json:"mode,omitempty"`
}

// File is one output written to disk.
type File struct {
	message.Output
	Path string
	Ext  string
}

// Error is a photo that will never work, with a code and a reason a person can act on.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

const (
	webLongSide = 2048
	cropSide    = 1080
)

// PlanFor builds a photo's plan from its displayed size.
func PlanFor(format string, src geom.Size) *Plan {
	web := geom.FitLong(src, webLongSide)
	sq := geom.AspectRect(src, 1, 1)
	side := min(cropSide, sq.W)
	return &Plan{
		Format: format, Source: src,
		Outputs: []OutputDef{
			{Name: "image/web", Role: message.RoleImage, Width: web.W, Height: web.H},
			{Name: "crop/1x1", Role: message.RoleCrop, Crop: &sq, Width: side, Height: side, Mode: "fill"},
		},
		Why: []string{fmt.Sprintf("%s photo, %dx%d after EXIF orientation", format, src.W, src.H)},
	}
}

// Process makes every output of the photo at path into dir.
func Process(ctx context.Context, cfg Config, path, dir string) (*Plan, []File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	hdr, format, err := image.DecodeConfig(f)
	f.Close()
	if err != nil {
		return nil, nil, &Error{Code: "unsupported_photo", Message: "the photo could not be read (JPEG, PNG, GIF and WebP are supported)", Err: err}
	}
	if px := int64(hdr.Width) * int64(hdr.Height); px > cfg.MaxPixels || hdr.Width <= 0 || hdr.Height <= 0 {
		return nil, nil, &Error{Code: "photo_too_large", Message: fmt.Sprintf("the photo claims %dx%d pixels (%.0f MP); the limit is %.0f MP", hdr.Width, hdr.Height, float64(px)/1e6, float64(cfg.MaxPixels)/1e6)}
	}
	img, err := imaging.Open(path, imaging.AutoOrientation(true))
	if err != nil {
		return nil, nil, &Error{Code: "undecodable_photo", Message: "the photo is damaged and could not be decoded", Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	b := img.Bounds()
	plan := PlanFor(format, geom.Size{W: b.Dx(), H: b.Dy()})
	var files []File
	for _, o := range plan.Outputs {
		out := img
		if o.Crop != nil {
			out = imaging.Crop(out, image.Rect(o.Crop.X, o.Crop.Y, o.Crop.X+o.Crop.W, o.Crop.Y+o.Crop.H))
		}
		if ob := out.Bounds(); ob.Dx() != o.Width || ob.Dy() != o.Height {
			out = imaging.Resize(out, o.Width, o.Height, imaging.Lanczos)
		}
		p := filepath.Join(dir, strings.ReplaceAll(o.Name, "/", "_")+".jpg")
		if err := saveJPEG(p, out); err != nil {
			return nil, nil, err
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, File{
			Output: message.Output{Name: o.Name, Role: o.Role, Width: o.Width, Height: o.Height, Mode: o.Mode, ContentType: "image/jpeg", Size: fi.Size()},
			Path:   p, Ext: ".jpg",
		})
	}
	return plan, files, nil
}

// saveJPEG writes img with no metadata at all (the encoder writes none).
func saveJPEG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 85}); err != nil {
		f.Close()
		return errors.Join(err, os.Remove(path))
	}
	return f.Close()
}
