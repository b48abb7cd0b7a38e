package ycc

import (
	"image"
	"testing"
)

// Limited-range planes (lossy WebP) stretch 16..235 to 0..255; JPEG's full range keeps them.
func TestRanges(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 2, 2), image.YCbCrSubsampleRatio444)
	copy(img.Y, []byte{16, 235, 126, 81})
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	img.Cb[3], img.Cr[3] = 90, 240 // limited-range BT.601 red
	w := ToNRGBA(img, WebP)
	if w.Pix[0] != 0 || w.Pix[4] != 255 || w.Pix[8] != 128 {
		t.Errorf("limited range: black %d, white %d, grey %d", w.Pix[0], w.Pix[4], w.Pix[8])
	}
	if r, g, b := w.Pix[12], w.Pix[13], w.Pix[14]; r < 250 || g > 5 || b > 5 {
		t.Errorf("limited-range red came out %d,%d,%d", r, g, b)
	}
	j := ToNRGBA(img, JPEG)
	if j.Pix[0] != 16 || j.Pix[4] != 235 {
		t.Errorf("full range: %d and %d, want 16 and 235 kept", j.Pix[0], j.Pix[4])
	}
}
