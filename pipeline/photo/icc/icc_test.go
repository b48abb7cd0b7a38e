package icc

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"os"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
)

// profileOf extracts the APP2 ICC profile of a one-segment JPEG.
func profileOf(t *testing.T, b []byte) []byte {
	i := bytes.Index(b, []byte("ICC_PROFILE\x00"))
	if i < 4 {
		t.Fatal("no ICC profile")
	}
	n := int(b[i-2])<<8 | int(b[i-1])
	return b[i+14 : i-2+n]
}

func TestSRGBProfileIsIdentity(t *testing.T) {
	b, err := os.ReadFile(testenv.Corpus(t, "image/pixel8_ultrahdr_gainmap_gps.jpg"))
	testenv.Must(t, err)
	p, err := Parse(profileOf(t, b))
	testenv.Must(t, err)
	tr, err := p.ToSRGB()
	testenv.Must(t, err)
	if !tr.Identity() {
		t.Errorf("%q is not seen as sRGB", p.Desc)
	}
}

// Display P3 pure red lies outside sRGB: it converts to a red clipped at 255 with no green or blue,
// while P3 mid grey stays grey.
func TestDisplayP3(t *testing.T) {
	b, err := os.ReadFile(testenv.Corpus(t, "image/iphone13promax_irot270_exif6_gainmap.heic"))
	testenv.Must(t, err)
	i := bytes.Index(b, []byte("prof"))
	p, err := Parse(b[i+4 : i+4+548])
	testenv.Must(t, err)
	tr, err := p.ToSRGB()
	testenv.Must(t, err)
	if p.Desc != "Display P3" || tr.Identity() {
		t.Fatalf("%q identity %v", p.Desc, tr.Identity())
	}
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	copy(img.Pix, []byte{255, 0, 0, 255, 128, 128, 128, 255})
	testenv.Must(t, tr.RGB(img))
	if r, g, bl := img.Pix[0], img.Pix[1], img.Pix[2]; r != 255 || g > 5 || bl > 5 {
		t.Errorf("P3 red became %d,%d,%d", r, g, bl)
	}
	if r, g, bl := img.Pix[4], img.Pix[5], img.Pix[6]; absDiff(r, 128) > 1 || absDiff(g, 128) > 1 || absDiff(bl, 128) > 1 {
		t.Errorf("P3 grey became %d,%d,%d", r, g, bl)
	}
}

// The SWOP press profile's A2B0 table, read with multilinear interpolation and Lab decoding:
// paper white is near white, full black ink near black.
func TestCMYKPressProfile(t *testing.T) {
	b, err := os.ReadFile(testenv.Corpus(t, "image/cmyk_adobe_swop_profile.jpg"))
	testenv.Must(t, err)
	var prof []byte
	for rest := b; ; {
		i := bytes.Index(rest, []byte("ICC_PROFILE\x00"))
		if i < 0 {
			break
		}
		n := int(rest[i-2])<<8 | int(rest[i-1])
		prof = append(prof, rest[i+14:i-2+n]...)
		rest = rest[i-2+n:]
	}
	p, err := Parse(prof)
	testenv.Must(t, err)
	tr, err := p.ToSRGB()
	testenv.Must(t, err)
	img := image.NewCMYK(image.Rect(0, 0, 2, 1))
	copy(img.Pix, []byte{0, 0, 0, 0, 255, 255, 255, 255})
	out, err := tr.CMYK(img)
	testenv.Must(t, err)
	if out.Pix[0] < 240 || out.Pix[1] < 240 || out.Pix[2] < 240 || out.Pix[4] > 40 || out.Pix[5] > 40 || out.Pix[6] > 40 {
		t.Errorf("paper %v, full ink %v", out.Pix[:3], out.Pix[4:7])
	}
	src, err := jpeg.Decode(bytes.NewReader(b))
	testenv.Must(t, err)
	if _, err := tr.CMYK(src.(*image.CMYK)); err != nil {
		t.Error(err)
	}
}

func absDiff(a uint8, b int) float64 { return math.Abs(float64(a) - float64(b)) }
