package photo

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/output"
)

// A crop is cut from a view of the picture it comes from, not from a copy: the view gives the same
// pixels as the copy it replaced, through the block shrink and Lanczos both, and an output that is
// the region itself comes out as pixels of its own at the origin (a view would keep the source alive
// after render lets it go).
func TestCutFromViewIsCutFromCopy(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 640, 480))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			src.Pix[i] = 255
		}
	}
	full := size(src)
	for _, c := range []struct {
		r    geom.Rect
		w, h int
	}{
		{geom.Rect{X: 101, Y: 37, W: 300, H: 300}, 60, 60},  // shrink (k = 2) then Lanczos
		{geom.Rect{X: 13, Y: 50, W: 270, H: 400}, 180, 267}, // Lanczos only
		{geom.Rect{X: 200, Y: 100, W: 120, H: 90}, 120, 90}, // the region itself
		{geom.Rect{X: 0, Y: 0, W: 640, H: 480}, 64, 48},     // the whole picture, shrink (k = 5)
		{geom.Rect{X: 339, Y: 179, W: 301, H: 301}, 50, 50}, // to the far corner, shrink (k = 3)
	} {
		r := c.r
		got := cut(src, full, output.Planned{Crop: &r, Width: c.w, Height: c.h})
		want := resize(imaging.Crop(src, image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H)), c.w, c.h)
		if got.Rect != image.Rect(0, 0, c.w, c.h) || got.Stride != 4*c.w {
			t.Errorf("%+v: cut to %v stride %d, want the origin and stride %d", c, got.Rect, got.Stride, 4*c.w)
			continue
		}
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%+v: the view's cut differs from the copy's", c)
		}
	}
}
