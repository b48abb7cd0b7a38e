package photo

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/quinte-media/quinte/pipeline/photo/ycc"
)

// Converting a JPEG's planes upright in one pass gives, for every EXIF orientation, exactly the
// pixels of converting them and then orienting the picture (odd sizes, 4:2:0 chroma, strips that do
// not divide the height).
func TestUprightYCbCrIsConvertThenOrient(t *testing.T) {
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio444} {
		src := image.NewYCbCr(image.Rect(0, 0, 37, 53), ratio)
		rng := rand.New(rand.NewPCG(5, 6))
		for _, p := range [][]byte{src.Y, src.Cb, src.Cr} {
			for i := range p {
				p[i] = uint8(rng.IntN(256))
			}
		}
		for o := 2; o <= 8; o++ {
			want := orient(ycc.ToNRGBA(src, ycc.JPEG), o)
			got := uprightYCbCr(src, o)
			if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("ratio %v, orientation %d: %v differs from convert then orient %v", ratio, o, got.Rect, want.Rect)
			}
		}
	}
}
