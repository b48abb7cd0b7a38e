package icc

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"os"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/photo/icc/icctest"
)

func jpegProfile(t testing.TB, b []byte) []byte {
	p := icctest.JPEGProfile(b)
	if len(p) == 0 {
		t.Fatal("no ICC profile")
	}
	return p
}

func heicProfile(t testing.TB, b []byte) []byte {
	p := icctest.HEICProfile(b)
	if p == nil {
		t.Fatal("no colr prof box")
	}
	return p
}

func corpusFile(t testing.TB, rel string) []byte {
	b, err := os.ReadFile(testenv.Corpus(t, rel))
	testenv.Must(t, err)
	return b
}

func TestSRGBProfileIsIdentity(t *testing.T) {
	tr, err := New(jpegProfile(t, corpusFile(t, "image/pixel8_ultrahdr_gainmap_gps.jpg")))
	testenv.Must(t, err)
	defer tr.Close()
	if !tr.Identity() || tr.Space != RGB {
		t.Errorf("%q (%s) is not seen as sRGB", tr.Desc, tr.Space)
	}
}

// Display P3 pure red lies outside sRGB: it converts to a red clipped at 255 with no green or blue,
// while P3 mid grey stays grey and alpha is left alone.
func TestDisplayP3(t *testing.T) {
	tr, err := New(heicProfile(t, corpusFile(t, "image/iphone13promax_irot270_exif6_gainmap.heic")))
	testenv.Must(t, err)
	defer tr.Close()
	if tr.Desc != "Display P3" || tr.Identity() {
		t.Fatalf("%q identity %v", tr.Desc, tr.Identity())
	}
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	copy(img.Pix, []byte{255, 0, 0, 200, 128, 128, 128, 7})
	testenv.Must(t, tr.RGB(img))
	if r, g, bl := img.Pix[0], img.Pix[1], img.Pix[2]; r != 255 || g > 5 || bl > 5 {
		t.Errorf("P3 red became %d,%d,%d", r, g, bl)
	}
	if r, g, bl := img.Pix[4], img.Pix[5], img.Pix[6]; absDiff(r, 128) > 1 || absDiff(g, 128) > 1 || absDiff(bl, 128) > 1 {
		t.Errorf("P3 grey became %d,%d,%d", r, g, bl)
	}
	if img.Pix[3] != 200 || img.Pix[7] != 7 {
		t.Errorf("alpha became %d and %d", img.Pix[3], img.Pix[7])
	}
}

// The profile built from the nclx box's Display P3 primaries converts as Apple's Display P3 profile
// does, within a level.
func TestPrimariesMatchDisplayP3Profile(t *testing.T) {
	apple, err := New(heicProfile(t, corpusFile(t, "image/iphone13promax_irot270_exif6_gainmap.heic")))
	testenv.Must(t, err)
	defer apple.Close()
	built, err := FromPrimaries("Display P3", 0.680, 0.320, 0.265, 0.690, 0.150, 0.060)
	testenv.Must(t, err)
	defer built.Close()
	a, b := grid(), grid()
	testenv.Must(t, apple.RGB(a))
	testenv.Must(t, built.RGB(b))
	worst := 0.0
	for i := range a.Pix {
		worst = max(worst, math.Abs(float64(a.Pix[i])-float64(b.Pix[i])))
	}
	if worst > 2 {
		t.Errorf("built Display P3 differs from Apple's profile by up to %.0f levels", worst)
	}
}

// grid is a picture of 16³ colours spanning the RGB cube.
func grid() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 256, 16))
	for i := range 16 * 16 * 16 {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = byte(17*(i%16)), byte(17*(i/16%16)), byte(17*(i/256)), 255
	}
	return img
}

// Linear light is converted unbounded: HDR highlights above 1 stay above 1 (in proportion), P3 red
// goes beyond sRGB's (red above 1, green and blue negative), and the 8-bit conversion agrees.
func TestLinearUnbounded(t *testing.T) {
	l, err := LinearFromPrimaries("Display P3", 0.680, 0.320, 0.265, 0.690, 0.150, 0.060)
	testenv.Must(t, err)
	defer l.Close()
	px := []float32{4, 4, 4, 1, 0, 0, 0.2140, 0.2140, 0.2140}
	l.Row(px)
	for i := range 3 {
		if math.Abs(float64(px[i])-4) > 0.02 || math.Abs(float64(px[6+i])-0.214) > 0.002 {
			t.Errorf("grey 4.0 and 0.214 became %v", px)
		}
	}
	if px[3] < 1.1 || px[4] > -0.01 || px[5] > -0.01 {
		t.Errorf("P3 red became %v, want red above 1 and negative green and blue", px[3:6])
	}
}

// The SWOP press profile through its perceptual A2B0 table: paper white is near white, full ink
// near black, and the whole corpus picture converts in place.
func TestCMYKPressProfile(t *testing.T) {
	b := corpusFile(t, "image/cmyk_adobe_swop_profile.jpg")
	tr, err := New(jpegProfile(t, b))
	testenv.Must(t, err)
	defer tr.Close()
	if tr.Space != CMYK || tr.Desc != "U.S. Web Coated (SWOP) v2" {
		t.Fatalf("%q %s", tr.Desc, tr.Space)
	}
	img := image.NewCMYK(image.Rect(0, 0, 2, 1))
	copy(img.Pix, []byte{0, 0, 0, 0, 255, 255, 255, 255})
	out, err := tr.CMYK(img)
	testenv.Must(t, err)
	if out.Pix[0] < 240 || out.Pix[1] < 240 || out.Pix[2] < 240 || out.Pix[4] > 40 || out.Pix[5] > 40 || out.Pix[6] > 40 || out.Pix[3] != 255 || out.Pix[7] != 255 {
		t.Errorf("paper %v, full ink %v", out.Pix[:4], out.Pix[4:8])
	}
	src, err := jpeg.Decode(bytes.NewReader(b))
	testenv.Must(t, err)
	if _, err := tr.CMYK(src.(*image.CMYK)); err != nil {
		t.Error(err)
	}
	if _, err := tr.CMYK(image.NewCMYK(image.Rect(0, 0, 0, 0))); err != nil {
		t.Error(err)
	}
	if err := tr.RGB(image.NewNRGBA(image.Rect(0, 0, 1, 1))); err == nil {
		t.Error("a CMYK profile converted an RGB picture")
	}
	t.Logf("lcms2 context peak for the SWOP transform: %.1f MB (limit %d MB)", float64(tr.peak())/1e6, memoryLimit>>20)
}

// Every crafted malformed profile, one per crash class of issue 9, is refused with a reason or
// converts a picture: never a panic. A well-formed crafted profile converts.
func TestMalformedProfiles(t *testing.T) {
	tr, err := New(icctest.Good())
	testenv.Must(t, err)
	tr.Close()
	for _, c := range icctest.Malformed() {
		t.Run(c.Name, func(t *testing.T) {
			tr, err := New(c.Profile)
			if err != nil {
				t.Logf("refused: %v", err)
				return
			}
			defer tr.Close()
			t.Logf("accepted as %s %q", tr.Space, tr.Desc)
			convert(t, tr)
		})
	}
}

// convert runs a transform on a small picture of its kind, with varied colours.
func convert(t testing.TB, tr *Transform) {
	if tr.Space == CMYK {
		img := image.NewCMYK(image.Rect(0, 0, 8, 4))
		for i := range img.Pix {
			img.Pix[i] = byte(i * 37)
		}
		if _, err := tr.CMYK(img); err != nil {
			t.Error(err)
		}
		return
	}
	img := image.NewNRGBA(image.Rect(0, 0, 8, 4))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 37)
	}
	if err := tr.RGB(img); err != nil {
		t.Error(err)
	}
}

func TestCloseTwice(t *testing.T) {
	tr, err := New(icctest.Good())
	testenv.Must(t, err)
	tr.Close()
	tr.Close()
	var none *Transform
	none.Close()
}

func absDiff(a uint8, b int) float64 { return math.Abs(float64(a) - float64(b)) }

// A grey profile (gamma 1.0 here, so mid grey 128 is linear 0.5: sRGB 188) converts an RGB picture
// read from its R channel, written to R, G and B, alpha left alone.
func TestGreyProfile(t *testing.T) {
	prof := icctest.Profile("mntr", "GRAY", icctest.Tag{Sig: "desc", Data: icctest.Desc("linear grey")},
		icctest.Tag{Sig: "wtpt", Data: icctest.XYZ(0.9642, 1, 0.8249)}, icctest.Tag{Sig: "kTRC", Data: icctest.Curv(0x0100)})
	tr, err := New(prof)
	testenv.Must(t, err)
	defer tr.Close()
	if tr.Space != Grey || tr.Identity() {
		t.Fatalf("%s identity %v", tr.Space, tr.Identity())
	}
	img := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	copy(img.Pix, []byte{0, 0, 0, 255, 128, 128, 128, 9, 255, 255, 255, 255})
	testenv.Must(t, tr.RGB(img))
	want := []int{0, 0, 0, 255, 188, 188, 188, 9, 255, 255, 255, 255}
	for i, w := range want {
		if absDiff(img.Pix[i], w) > 1 {
			t.Fatalf("grey became %v, want %v", img.Pix, want)
		}
	}
}

// Every profile and transform lcms2 allocated is freed by Close, and on every refusal: the contexts'
// allocation counts come back to zero, whether the profile is used, refused or built from primaries.
func TestNoLeaks(t *testing.T) {
	profiles := [][]byte{icctest.Good(), jpegProfile(t, corpusFile(t, "image/cmyk_adobe_swop_profile.jpg"))}
	for _, c := range icctest.Malformed() {
		profiles = append(profiles, c.Profile)
	}
	before := leftover.Load()
	for _, p := range profiles {
		if tr, err := New(p); err == nil {
			convert(t, tr)
			tr.Close()
		}
	}
	tr, err := FromPrimaries("BT.2020", 0.708, 0.292, 0.170, 0.797, 0.131, 0.046)
	testenv.Must(t, err)
	tr.Close()
	l, err := LinearFromPrimaries("BT.2020", 0.708, 0.292, 0.170, 0.797, 0.131, 0.046)
	testenv.Must(t, err)
	l.Row([]float32{1, 2, 3})
	l.Close()
	if d := leftover.Load() - before; d != 0 {
		t.Errorf("lcms2 contexts still held %d bytes when deleted", d)
	}
}
