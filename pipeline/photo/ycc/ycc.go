// Package ycc turns decoded Y'CbCr pictures into RGB with the matrix and range the file really uses.
// Go's image.YCbCr always converts as JPEG does (BT.601, full range); that is wrong for lossy WebP
// (libwebp decodes with limited range: blacks at 16 would show grey) and for HEIF/AVIF planes whose
// nclx box names another matrix.
package ycc

import (
	"image"

	"github.com/quinte-media/quinte/pipeline/photo/internal/par"
)

// Matrix is a Y'CbCr to R'G'B' conversion: the luma weights of red and blue, and whether the planes
// use the full 0-255 range or the limited 16-235 (16-240 for chroma) one.
type Matrix struct {
	Kr, Kb float64
	Full   bool
}

// The conversions quinte meets.
var (
	JPEG   = Matrix{Kr: 0.299, Kb: 0.114, Full: true}  // JFIF
	WebP   = Matrix{Kr: 0.299, Kb: 0.114, Full: false} // VP8, as libwebp decodes it
	BT709  = Matrix{Kr: 0.2126, Kb: 0.0722}
	BT2020 = Matrix{Kr: 0.2627, Kb: 0.0593}
)

// FromNCLX is the matrix an ISO/ITU matrix_coefficients code names (H.273), BT.601 when unknown.
func FromNCLX(code int, full bool) Matrix {
	m := JPEG
	switch code {
	case 1:
		m = BT709
	case 9, 10:
		m = BT2020
	}
	m.Full = full
	return m
}

// tables holds the conversion in 16.16 fixed point, one entry per 8-bit sample value.
type tables struct {
	y, rv, gu, gv, bu [256]int32
}

func (m Matrix) tables() *tables {
	t := &tables{}
	kg := 1 - m.Kr - m.Kb
	ys, cs, yo := 1.0, 1.0, 0.0
	if !m.Full {
		ys, cs, yo = 255.0/219, 255.0/224, 16
	}
	const one = 1 << 16
	for i := range 256 {
		c := (float64(i) - 128) * cs
		t.y[i] = int32(((float64(i)-yo)*ys)*one + one/2)
		t.rv[i] = int32(2 * (1 - m.Kr) * c * one)
		t.bu[i] = int32(2 * (1 - m.Kb) * c * one)
		t.gu[i] = int32(-2 * (1 - m.Kb) * m.Kb / kg * c * one)
		t.gv[i] = int32(-2 * (1 - m.Kr) * m.Kr / kg * c * one)
	}
	return t
}

func clamp8(v int32) uint8 {
	v >>= 16
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ToNRGBA converts src (any chroma subsampling) to an opaque NRGBA picture of the same bounds.
func ToNRGBA(src *image.YCbCr, m Matrix) *image.NRGBA {
	return convert(image.NewNRGBA(src.Rect), src, nil, 0, m)
}

// Into converts src as ToNRGBA does, into dst, an opaque picture of src's size whose first pixel
// takes src's first: a caller converting strip by strip reuses one buffer.
func Into(dst *image.NRGBA, src *image.YCbCr, m Matrix) {
	if dst.Rect.Size() != src.Rect.Size() {
		panic("ycc.Into: the destination is not the source's size")
	}
	convert(dst, src, nil, 0, m)
}

// ToNRGBAAlpha converts a Y'CbCr picture with an alpha plane (lossy WebP with transparency).
func ToNRGBAAlpha(src *image.NYCbCrA, m Matrix) *image.NRGBA {
	return convert(image.NewNRGBA(src.Rect), &src.YCbCr, src.A, src.AStride, m)
}

func convert(dst *image.NRGBA, src *image.YCbCr, alpha []byte, aStride int, m Matrix) *image.NRGBA {
	b := src.Rect
	t := m.tables()
	par.Rows(b.Dy(), func(y0, y1 int) {
		for y := b.Min.Y + y0; y < b.Min.Y+y1; y++ {
			d := dst.Pix[(y-b.Min.Y)*dst.Stride:]
			for x := b.Min.X; x < b.Max.X; x++ {
				Y := src.Y[src.YOffset(x, y)]
				ci := src.COffset(x, y)
				cb, cr := src.Cb[ci], src.Cr[ci]
				yy := t.y[Y]
				i := 4 * (x - b.Min.X)
				d[i] = clamp8(yy + t.rv[cr])
				d[i+1] = clamp8(yy + t.gu[cb] + t.gv[cr])
				d[i+2] = clamp8(yy + t.bu[cb])
				d[i+3] = 255
				if alpha != nil {
					d[i+3] = alpha[(y-b.Min.Y)*aStride+x-b.Min.X]
				}
			}
		}
	})
	return dst
}
