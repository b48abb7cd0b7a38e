package photo

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/photo/icc/icctest"
)

// ---- CIEDE2000 ----

type lab struct{ L, a, b float64 }

// deltaE2000 is the CIEDE2000 colour difference (kL = kC = kH = 1), after Sharma, Wu and Dalal,
// "The CIEDE2000 Color-Difference Formula: Implementation Notes" (2005).
func deltaE2000(x, y lab) float64 {
	rad := math.Pi / 180
	c1, c2 := math.Hypot(x.a, x.b), math.Hypot(y.a, y.b)
	cm := (c1 + c2) / 2
	cm7 := math.Pow(cm, 7)
	g := 0.5 * (1 - math.Sqrt(cm7/(cm7+math.Pow(25, 7))))
	a1, a2 := (1+g)*x.a, (1+g)*y.a
	c1p, c2p := math.Hypot(a1, x.b), math.Hypot(a2, y.b)
	hue := func(b, a float64) float64 {
		if a == 0 && b == 0 {
			return 0
		}
		h := math.Atan2(b, a) / rad
		if h < 0 {
			h += 360
		}
		return h
	}
	h1, h2 := hue(x.b, a1), hue(y.b, a2)
	dL, dC := y.L-x.L, c2p-c1p
	var dh float64
	switch {
	case c1p*c2p == 0:
		dh = 0
	case math.Abs(h2-h1) <= 180:
		dh = h2 - h1
	case h2-h1 > 180:
		dh = h2 - h1 - 360
	default:
		dh = h2 - h1 + 360
	}
	dH := 2 * math.Sqrt(c1p*c2p) * math.Sin(dh/2*rad)
	lm, cmp := (x.L+y.L)/2, (c1p+c2p)/2
	var hm float64
	switch {
	case c1p*c2p == 0:
		hm = h1 + h2
	case math.Abs(h1-h2) <= 180:
		hm = (h1 + h2) / 2
	case h1+h2 < 360:
		hm = (h1 + h2 + 360) / 2
	default:
		hm = (h1 + h2 - 360) / 2
	}
	t := 1 - 0.17*math.Cos((hm-30)*rad) + 0.24*math.Cos(2*hm*rad) + 0.32*math.Cos((3*hm+6)*rad) - 0.20*math.Cos((4*hm-63)*rad)
	dTheta := 30 * math.Exp(-math.Pow((hm-275)/25, 2))
	cmp7 := math.Pow(cmp, 7)
	rc := 2 * math.Sqrt(cmp7/(cmp7+math.Pow(25, 7)))
	l50 := (lm - 50) * (lm - 50)
	sl := 1 + 0.015*l50/math.Sqrt(20+l50)
	sc := 1 + 0.045*cmp
	sh := 1 + 0.015*cmp*t
	rt := -math.Sin(2*dTheta*rad) * rc
	return math.Sqrt(math.Pow(dL/sl, 2) + math.Pow(dC/sc, 2) + math.Pow(dH/sh, 2) + rt*(dC/sc)*(dH/sh))
}

// Sharma, Wu and Dalal's published test pairs (Table 1 of the paper's supplementary data).
func TestDeltaE2000SharmaPairs(t *testing.T) {
	for i, c := range []struct {
		x, y lab
		want float64
	}{
		{lab{50, 2.6772, -79.7751}, lab{50, 0, -82.7485}, 2.0425},
		{lab{50, 3.1571, -77.2803}, lab{50, 0, -82.7485}, 2.8615},
		{lab{50, 2.8361, -74.0200}, lab{50, 0, -82.7485}, 3.4412},
		{lab{50, -1.3802, -84.2814}, lab{50, 0, -82.7485}, 1.0000},
		{lab{50, -1.1848, -84.8006}, lab{50, 0, -82.7485}, 1.0000},
		{lab{50, -0.9009, -85.5211}, lab{50, 0, -82.7485}, 1.0000},
		{lab{50, 0, 0}, lab{50, -1, 2}, 2.3669},
		{lab{50, -1, 2}, lab{50, 0, 0}, 2.3669},
		{lab{50, 2.4900, -0.0010}, lab{50, -2.4900, 0.0009}, 7.1792},
		{lab{50, 2.4900, -0.0010}, lab{50, -2.4900, 0.0011}, 7.2195},
		{lab{50, 2.5, 0}, lab{50, 0, -2.5}, 4.3065},
		{lab{50, 2.5, 0}, lab{73, 25, -18}, 27.1492},
		{lab{50, 2.5, 0}, lab{61, -5, 29}, 22.8977},
		{lab{50, 2.5, 0}, lab{56, -27, -3}, 31.9030},
		{lab{50, 2.5, 0}, lab{58, 24, 15}, 19.4535},
		{lab{50, 2.5, 0}, lab{50, 3.1736, 0.5854}, 1.0000},
		{lab{50, 2.5, 0}, lab{50, 3.2972, 0}, 1.0000},
		{lab{50, 2.5, 0}, lab{50, 1.8634, 0.5757}, 1.0000},
		{lab{50, 2.5, 0}, lab{50, 3.2592, 0.3350}, 1.0000},
		{lab{60.2574, -34.0099, 36.2677}, lab{60.4626, -34.1751, 39.4387}, 1.2644},
		{lab{63.0109, -31.0961, -5.8663}, lab{62.8187, -29.7946, -4.0864}, 1.2630},
		{lab{61.2901, 3.7196, -5.3901}, lab{61.4292, 2.2480, -4.9620}, 1.8731},
		{lab{35.0831, -44.1164, 3.7933}, lab{35.0232, -40.0716, 1.5901}, 1.8645},
		{lab{22.7233, 20.0904, -46.6940}, lab{23.0331, 14.9730, -42.5619}, 2.0373},
		{lab{36.4612, 47.8580, 18.3852}, lab{36.2715, 50.5065, 21.2231}, 1.4146},
		{lab{90.8027, -2.0831, 1.4410}, lab{91.1528, -1.6435, 0.0447}, 1.4441},
		{lab{90.9257, -0.5406, -0.9208}, lab{88.6381, -0.8985, -0.7239}, 1.5381},
		{lab{6.7747, -0.2908, -2.4247}, lab{5.8714, -0.0985, -2.2286}, 0.6377},
		{lab{2.0776, 0.0795, -1.1350}, lab{0.9033, -0.0636, -0.5514}, 0.9082},
	} {
		if got := deltaE2000(c.x, c.y); math.Abs(got-c.want) > 5e-5 {
			t.Errorf("pair %d: ΔE00 %v %v = %.4f, published %.4f", i+1, c.x, c.y, got, c.want)
		}
		if a, b := deltaE2000(c.x, c.y), deltaE2000(c.y, c.x); math.Abs(a-b) > 1e-9 {
			t.Errorf("pair %d: not symmetric (%.6f, %.6f)", i+1, a, b)
		}
	}
}

// srgbLab is CIELAB (D65 white) of an 8-bit sRGB colour.
func srgbLab(r, g, b uint8) lab {
	lin := func(v uint8) float64 {
		c := float64(v) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	R, G, B := lin(r), lin(g), lin(b)
	x := (0.4124564*R + 0.3575761*G + 0.1804375*B) / 0.95047
	y := 0.2126729*R + 0.7151522*G + 0.0721750*B
	z := (0.0193339*R + 0.1191920*G + 0.9503041*B) / 1.08883
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return (24389.0/27*t + 16) / 116
	}
	fx, fy, fz := f(x), f(y), f(z)
	return lab{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

// meanDeltaE is the mean CIEDE2000 difference of two sRGB pictures of the same size, pixel by pixel.
func meanDeltaE(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes differ: %v and %v", a.Bounds(), b.Bounds())
	}
	ba, bb := a.Bounds(), b.Bounds()
	var sum float64
	n := 0
	for y := 0; y < ba.Dy(); y++ {
		for x := 0; x < ba.Dx(); x++ {
			p := color.NRGBAModel.Convert(a.At(ba.Min.X+x, ba.Min.Y+y)).(color.NRGBA)
			q := color.NRGBAModel.Convert(b.At(bb.Min.X+x, bb.Min.Y+y)).(color.NRGBA)
			sum += deltaE2000(srgbLab(p.R, p.G, p.B), srgbLab(q.R, q.G, q.B))
			n++
		}
	}
	return sum / float64(n)
}

// ---- lcms2 against libvips ----

// corpusProfile is the profile of a corpus JPEG (APP2) or of the iPhone HEIC (colr).
func corpusProfile(t *testing.T, rel string) []byte {
	b, err := os.ReadFile(testenv.Corpus(t, rel))
	testenv.Must(t, err)
	prof := icctest.JPEGProfile(b)
	if len(prof) == 0 {
		prof = icctest.HEICProfile(b)
	}
	if len(prof) == 0 {
		t.Fatalf("%s: no profile", rel)
	}
	return prof
}

// reduced writes a quarter-size PNG of a picture (without a profile) for libvips to read the same
// pixels the pipeline converts, and returns the picture read back.
func reduced(t *testing.T, img image.Image, path string) *image.NRGBA {
	small := imaging.Resize(img, img.Bounds().Dx()/4, 0, imaging.Box)
	f, err := os.Create(path)
	testenv.Must(t, err)
	testenv.Must(t, png.Encode(f, small))
	testenv.Must(t, f.Close())
	return small
}

// Each corpus photo that carries a colour description goes to sRGB as libvips' icc_transform
// (lcms2 too, with its own sRGB profile) takes it, perceptual intent both sides: mean ΔE2000 ≤ 1.
//   - the CMYK JPEG through its SWOP profile: vips decodes and converts the file itself;
//   - the iPhone HEIC through its Display P3 profile, on libheif's RGB (a quarter-size copy);
//   - the PQ AVIF has no profile but an nclx box (Display P3 primaries): the profile the pipeline
//     builds from those primaries, on the AVIF's own colours (libheif's RGB, quarter size), against
//     vips with Apple's Display P3 profile. The tone mapping that comes before it in the pipeline is
//     compared with ffmpeg's in TestHDRAVIFToneMapped.
func TestColourMatchesLibvips(t *testing.T) {
	dir := t.TempDir()
	p3 := filepath.Join(dir, "p3.icc")
	testenv.Must(t, os.WriteFile(p3, corpusProfile(t, "image/iphone13promax_irot270_exif6_gainmap.heic"), 0o644))

	t.Run("CMYK JPEG", func(t *testing.T) {
		rel := "image/cmyk_adobe_swop_profile.jpg"
		src := testenv.Corpus(t, rel)
		b, err := os.ReadFile(src)
		testenv.Must(t, err)
		img, err := jpeg.Decode(bytes.NewReader(b))
		testenv.Must(t, err)
		pic, err := toSRGB(img, corpusProfile(t, rel))
		testenv.Must(t, err)
		if !strings.Contains(pic.colour, "SWOP") {
			t.Fatalf("colour %q", pic.colour)
		}
		ref := filepath.Join(dir, "cmyk.png")
		run(t, "vips", "icc_transform", src, ref, "srgb", "--embedded", "--intent", "perceptual")
		naive, err := jpeg.Decode(bytes.NewReader(b)) // converted in place above: decode again
		testenv.Must(t, err)
		report(t, pic.img, load(t, ref), naive) // image/jpeg's CMYK as color.CMYK's formula shows it
	})
	t.Run("Display P3 HEIC", func(t *testing.T) {
		dec := filepath.Join(dir, "heic.jpg")
		run(t, "heif-convert", "--quiet", "-q", "100", testenv.Corpus(t, "image/iphone13promax_irot270_exif6_gainmap.heic"), dec)
		in := filepath.Join(dir, "heic-small.png")
		small := reduced(t, load(t, dec), in)
		pic, err := toSRGB(imaging.Clone(small), corpusProfile(t, "image/iphone13promax_irot270_exif6_gainmap.heic"))
		testenv.Must(t, err)
		if !strings.Contains(pic.colour, "Display P3") {
			t.Fatalf("colour %q", pic.colour)
		}
		ref := filepath.Join(dir, "heic-ref.png")
		run(t, "vips", "icc_transform", in, ref, "srgb", "--input-profile", p3, "--intent", "perceptual")
		report(t, pic.img, load(t, ref), small)
	})
	t.Run("PQ AVIF primaries", func(t *testing.T) {
		dec := filepath.Join(dir, "avif.jpg")
		run(t, "heif-convert", "--quiet", "-q", "100", testenv.Corpus(t, "image/avif_10bit_pq_p3_444_3681x5594.avif"), dec)
		in := filepath.Join(dir, "avif-small.png")
		small := reduced(t, load(t, dec), in)
		tr, name, ok := primariesToSRGB(12) // the AVIF's nclx colour_primaries (smpte432)
		if !ok || name != "Display P3" {
			t.Fatalf("no transform for Display P3 primaries")
		}
		got := imaging.Clone(small)
		convertPrimaries(got, tr)
		ref := filepath.Join(dir, "avif-ref.png")
		run(t, "vips", "icc_transform", in, ref, "srgb", "--input-profile", p3, "--intent", "perceptual")
		report(t, got, load(t, ref), small)
	})
}

// report checks the mean ΔE2000 against libvips, and that the picture left unconverted is clearly
// further from it (or the comparison would prove nothing).
func report(t *testing.T, got, want, unconverted image.Image) {
	t.Helper()
	d, u := meanDeltaE(t, got, want), meanDeltaE(t, unconverted, want)
	t.Logf("mean ΔE2000 against libvips: %.3f (unconverted: %.3f)", d, u)
	if d > 1 {
		t.Errorf("mean ΔE2000 %.2f against libvips, want at most 1", d)
	}
	if u < 2*max(d, 0.5) {
		t.Errorf("the unconverted picture is within %.2f of libvips': this comparison proves nothing", u)
	}
}

// ---- crafted profiles in each container ----

// withJPEGProfile puts prof into a JPEG as APP2 ICC_PROFILE segments right after SOI, dropping the
// profile it had.
func withJPEGProfile(t *testing.T, j, prof []byte) []byte {
	out := []byte{0xFF, 0xD8}
	const chunk = 65519 - 14
	n := (len(prof) + chunk - 1) / chunk
	for i := range n {
		part := prof[i*chunk : min(len(prof), (i+1)*chunk)]
		seg := append([]byte("ICC_PROFILE\x00"), byte(i+1), byte(n))
		seg = append(seg, part...)
		out = append(out, 0xFF, 0xE2, byte((len(seg)+2)>>8), byte(len(seg)+2))
		out = append(out, seg...)
	}
	// Copy the rest, leaving out old APP2 ICC segments (markers before the first scan only).
	for p := 2; p+4 <= len(j); {
		if j[p] != 0xFF {
			t.Fatalf("JPEG marker expected at %d", p)
		}
		m := j[p+1]
		if m == 0xDA {
			return append(out, j[p:]...)
		}
		n := int(j[p+2])<<8 | int(j[p+3])
		if !(m == 0xE2 && bytes.HasPrefix(j[p+4:], []byte("ICC_PROFILE\x00"))) {
			out = append(out, j[p:p+2+n]...)
		}
		p += 2 + n
	}
	t.Fatal("JPEG without a scan")
	return nil
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(append(b, typ...), data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// withPNGProfile puts prof into a PNG as an iCCP chunk after IHDR.
func withPNGProfile(t *testing.T, p, prof []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, err := zw.Write(prof)
	testenv.Must(t, err)
	testenv.Must(t, zw.Close())
	const ihdrEnd = 8 + 8 + 13 + 4
	out := append([]byte(nil), p[:ihdrEnd]...)
	out = append(out, pngChunk("iCCP", append([]byte("crafted\x00\x00"), z.Bytes()...))...)
	return append(out, p[ihdrEnd:]...)
}

// withWebPProfile turns a simple lossy WebP into an extended one carrying prof in an ICCP chunk.
func withWebPProfile(t *testing.T, w []byte, width, height int, prof []byte) []byte {
	if string(w[12:16]) != "VP8 " {
		t.Fatalf("ffmpeg wrote a %q WebP, want a simple lossy one", w[12:16])
	}
	chunk := func(id string, data []byte) []byte {
		b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		b = append(b, data...)
		if len(data)%2 == 1 {
			b = append(b, 0)
		}
		return b
	}
	x := make([]byte, 10)
	x[0] = 0x20 // ICC profile present
	x[4], x[5], x[6] = byte(width-1), byte((width-1)>>8), byte((width-1)>>16)
	x[7], x[8], x[9] = byte(height-1), byte((height-1)>>8), byte((height-1)>>16)
	body := append([]byte("WEBP"), chunk("VP8X", x)...)
	body = append(body, chunk("ICCP", prof)...)
	body = append(body, w[12:]...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// A JPEG (APP2), a PNG (iCCP), a WebP (ICCP) and the CMYK JPEG, each carrying every crafted
// malformed profile (one per crash class of issue 9), go through Process: each ends with its outputs
// and a colour note saying what became of the profile (ignored and why, or applied), or a clear
// refusal; never a panic, which would end this test binary. The well-formed crafted profile is applied.
func TestCraftedProfilesInEachContainer(t *testing.T) {
	dir := t.TempDir()
	const w, h = 96, 64
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) * 2), 255})
		}
	}
	var jb, pb bytes.Buffer
	testenv.Must(t, jpeg.Encode(&jb, img, nil))
	testenv.Must(t, png.Encode(&pb, img))
	pngIn := filepath.Join(dir, "in.png")
	testenv.Must(t, os.WriteFile(pngIn, pb.Bytes(), 0o644))
	webpIn := filepath.Join(dir, "in.webp")
	run(t, "ffmpeg", "-v", "error", "-i", pngIn, "-c:v", "libwebp", "-lossless", "0", "-frames:v", "1", webpIn)
	wb, err := os.ReadFile(webpIn)
	testenv.Must(t, err)
	cmyk, err := os.ReadFile(testenv.Corpus(t, "image/cmyk_adobe_swop_profile.jpg"))
	testenv.Must(t, err)

	containers := []struct {
		name, ext string
		wrap      func([]byte) []byte
	}{
		{"JPEG APP2", "jpg", func(p []byte) []byte { return withJPEGProfile(t, jb.Bytes(), p) }},
		{"PNG iCCP", "png", func(p []byte) []byte { return withPNGProfile(t, pb.Bytes(), p) }},
		{"WebP ICCP", "webp", func(p []byte) []byte { return withWebPProfile(t, wb, w, h, p) }},
		{"CMYK JPEG APP2", "jpg", func(p []byte) []byte { return withJPEGProfile(t, cmyk, p) }},
	}
	cases := append([]icctest.Case{{Name: "well-formed", Profile: icctest.Good()}}, icctest.Malformed()...)
	for _, c := range containers {
		t.Run(c.name, func(t *testing.T) {
			for i, pc := range cases {
				path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+"-"+string(rune('a'+i))+"."+c.ext)
				testenv.Must(t, os.WriteFile(path, c.wrap(pc.Profile), 0o644))
				out := filepath.Join(dir, "out", filepath.Base(path))
				testenv.Must(t, os.MkdirAll(out, 0o755))
				plan, files, err := Process(context.Background(), Config{}, path, out)
				var refused *Error
				switch {
				case errors.As(err, &refused):
					t.Logf("%s: refused %s: %s", pc.Name, refused.Code, refused.Message)
				case err != nil:
					t.Errorf("%s: %v, want outputs or a refusal with a code", pc.Name, err)
				case len(files) == 0 || !strings.Contains(plan.Colour, "profile"):
					t.Errorf("%s: %d files, colour %q", pc.Name, len(files), plan.Colour)
				default:
					t.Logf("%s: %s", pc.Name, plan.Colour)
				}
				if pc.Name == "well-formed" && c.name != "CMYK JPEG APP2" && (err != nil || !strings.HasPrefix(plan.Colour, "converted from its profile")) {
					t.Errorf("the well-formed profile was not applied: %v", err)
				}
			}
		})
	}
}
