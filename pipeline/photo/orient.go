package photo

import (
	"image"

	"github.com/quinte-media/quinte/pipeline/photo/internal/par"
	"github.com/quinte-media/quinte/pipeline/photo/ycc"
)

// orientStrip is how many rows of a JPEG's planes are converted at a time by uprightYCbCr.
const orientStrip = 16

// uprightYCbCr converts a JPEG's planes to NRGBA and applies an EXIF orientation (2-8) in the same
// pass: strips of rows are converted (the same arithmetic as ycc.ToNRGBA) and each written straight
// to its place in the upright picture, so a rotated photo never has two full-size pictures at once
// (orient's rotation would allocate a second one while the first is alive). What follows (the
// profile's transform, compositing onto white) works pixel by pixel, so it is the same done after.
func uprightYCbCr(src *image.YCbCr, o int) *image.NRGBA {
	b := src.Rect
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	// at is where the source pixel (x, y), relative to b.Min, lands in dst.
	at := func(x, y int) int {
		switch o {
		case 2:
			x = w - 1 - x
		case 3:
			x, y = w-1-x, h-1-y
		case 4:
			y = h - 1 - y
		case 5:
			x, y = y, x
		case 6:
			x, y = h-1-y, x
		case 7:
			x, y = h-1-y, w-1-x
		case 8:
			x, y = y, w-1-x
		}
		return y*dst.Stride + 4*x
	}
	strips := (h + orientStrip - 1) / orientStrip
	par.Rows(strips, func(s0, s1 int) {
		buf := image.NewNRGBA(image.Rect(0, 0, w, orientStrip))
		for s := s0; s < s1; s++ {
			y0, y1 := s*orientStrip, min(h, (s+1)*orientStrip)
			part := buf.SubImage(image.Rect(0, 0, w, y1-y0)).(*image.NRGBA)
			ycc.Into(part, src.SubImage(image.Rect(b.Min.X, b.Min.Y+y0, b.Max.X, b.Min.Y+y1)).(*image.YCbCr), ycc.JPEG)
			for y := y0; y < y1; y++ {
				row := part.Pix[(y-y0)*part.Stride:]
				for x := range w {
					i := at(x, y)
					copy(dst.Pix[i:i+4], row[4*x:4*x+4])
				}
			}
		}
	})
	return dst
}
