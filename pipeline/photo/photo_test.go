package photo

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/geom"
)

// All eight EXIF orientations, mirrored ones included, must come out looking like orientation 1.
func TestEXIFOrientationsLookTheSame(t *testing.T) {
	one := process(t, "image/exif-orientation/Landscape_1.jpg")
	ref := load(t, one.file(t, "image/web").Path)
	refCrop := load(t, one.file(t, "crop/1x1").Path)
	// The metric must see a wrong orientation: a mirror of the reference is far from it.
	if d := meanAbsDiff(t, ref, imaging.FlipH(ref)); d < 15 {
		t.Fatalf("a mirrored picture differs by only %.1f levels: the comparison cannot catch mistakes", d)
	}
	for o := 2; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			r := process(t, fmt.Sprintf("image/exif-orientation/Landscape_%d.jpg", o))
			web := r.file(t, "image/web")
			if web.Width != 1800 || web.Height != 1200 {
				t.Errorf("image/web is %dx%d, want 1800x1200", web.Width, web.Height)
			}
			for _, name := range []string{"image/web", "image/web/webp", "image/thumb", "crop/1x1"} {
				img := load(t, r.file(t, name).Path)
				want := ref
				if name == "crop/1x1" {
					want = refCrop
				}
				if d := meanAbsDiff(t, want, img); d > 3 {
					t.Errorf("%s differs from orientation 1 by %.1f levels", name, d)
				}
			}
		})
	}
}

// The iPhone HEIC carries irot 270 and EXIF orientation 6: libheif applies irot; the EXIF must not
// turn it again.
func TestHEICRotatedOnce(t *testing.T) {
	r := process(t, "image/iphone13promax_irot270_exif6_gainmap.heic")
	web := r.file(t, "image/web")
	if web.Width != 1536 || web.Height != 2048 || r.plan.Source != (Size{W: 3024, H: 4032}) {
		t.Fatalf("image/web %dx%d from %v, want 1536x2048 from a 3024x4032 portrait", web.Width, web.Height, r.plan.Source)
	}
	// libheif's own rendering (irot applied, EXIF ignored) is upright: the output must match it, and
	// must not match it turned once more by the EXIF orientation.
	ref := filepath.Join(t.TempDir(), "ref.jpg")
	run(t, "heif-convert", "--quiet", testenv.Corpus(t, "image/iphone13promax_irot270_exif6_gainmap.heic"), ref)
	want := imaging.Resize(load(t, ref), 1536, 2048, imaging.Box)
	got := load(t, web.Path)
	if d := meanAbsDiff(t, want, got); d > 6 {
		t.Errorf("image/web differs from libheif's upright picture by %.1f levels", d)
	}
	twice := imaging.Resize(imaging.Rotate270(load(t, ref)), 1536, 2048, imaging.Box)
	if d := meanAbsDiff(t, twice, got); d < 15 {
		t.Errorf("image/web is as close (%.1f) to the twice-rotated picture as to the upright one", d)
	}
}

// The CMYK JPEG goes through its SWOP profile: mean colours match libvips/lcms on the same profile,
// and differ clearly from the naive formula (too saturated green).
func TestCMYKThroughItsProfile(t *testing.T) {
	r := process(t, "image/cmyk_adobe_swop_profile.jpg")
	web := r.file(t, "image/web")
	if web.Width != 500 || web.Height != 333 {
		t.Errorf("image/web %dx%d, want 500x333 (odd height kept)", web.Width, web.Height)
	}
	ref := filepath.Join(t.TempDir(), "ref.png")
	src := testenv.Corpus(t, "image/cmyk_adobe_swop_profile.jpg")
	run(t, "vips", "icc_transform", src, ref, "srgb", "--embedded", "--intent", "perceptual")
	want := means(load(t, ref))
	naive := means(load(t, src)) // image/jpeg's CMYK, converted by color.CMYK's formula
	for _, name := range []string{"image/web", "image/web/webp"} {
		got := means(load(t, r.file(t, name).Path))
		for c := range 3 {
			if math.Abs(got[c]-want[c]) > 3 {
				t.Errorf("%s channel %d mean %.1f, libvips %.1f", name, c, got[c], want[c])
			}
		}
	}
	if d := max(math.Abs(naive[0]-want[0]), math.Abs(naive[1]-want[1]), math.Abs(naive[2]-want[2])); d < 6 {
		t.Errorf("the naive conversion is within %.1f of the profile's: this test proves nothing", d)
	}
}

// The PNG is transparent with black strokes: the JPEG shows them black on white, as compositing the
// source onto white independently does.
func TestTransparencyOntoWhite(t *testing.T) {
	r := process(t, "image/rgba_transparent_black_strokes.png")
	f, err := os.Open(testenv.Corpus(t, "image/rgba_transparent_black_strokes.png"))
	testenv.Must(t, err)
	src, err := png.Decode(f)
	f.Close()
	testenv.Must(t, err)
	want := image.NewRGBA(src.Bounds())
	draw.Draw(want, want.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(want, want.Bounds(), src, src.Bounds().Min, draw.Over)
	dark := func(img image.Image) int {
		n := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 100 {
					n++
				}
			}
		}
		return n
	}
	wantDark := dark(want)
	for _, name := range []string{"image/web", "image/web/webp"} {
		got := load(t, r.file(t, name).Path)
		if d := meanAbsDiff(t, want, got); d > 2 {
			t.Errorf("%s differs from the source composited onto white by %.1f levels", name, d)
		}
		if c := color.GrayModel.Convert(got.At(5, 5)).(color.Gray).Y; c < 250 {
			t.Errorf("%s background is %d, want white", name, c)
		}
		if n := dark(got); n < wantDark*8/10 || n > wantDark*12/10 || wantDark < 1000 {
			t.Errorf("%s has %d dark stroke pixels, the composited source %d", name, n, wantDark)
		}
	}
}

// The 10-bit PQ AVIF is tone-mapped like the reference ffmpeg chain (zscale + tonemap=hable, the
// picture's MaxCLL as peak): mean luma and saturation close to it, and far from the washed-out
// picture that showing PQ values as SDR gives.
func TestHDRAVIFToneMapped(t *testing.T) {
	r := process(t, "image/avif_10bit_pq_p3_444_3681x5594.avif")
	web := r.file(t, "image/web")
	if web.Width != 1348 || web.Height != 2048 || r.plan.Source != (Size{W: 3681, H: 5594}) {
		t.Fatalf("image/web %dx%d from %v, want 1348x2048 from 3681x5594", web.Width, web.Height, r.plan.Source)
	}
	thumb := r.file(t, "image/thumb")
	src := testenv.Corpus(t, "image/avif_10bit_pq_p3_444_3681x5594.avif")
	dir := t.TempDir()
	ref, flat := filepath.Join(dir, "ref.png"), filepath.Join(dir, "flat.png")
	run(t, "ffmpeg", "-v", "error", "-i", src, "-frames:v", "1", "-vf",
		fmt.Sprintf("zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0:peak=%g,zscale=t=iec61966-2-1:m=bt709:r=pc,format=rgb24,scale=%d:%d", 712.0/100, thumb.Width, thumb.Height), ref)
	run(t, "ffmpeg", "-v", "error", "-i", src, "-frames:v", "1", "-vf", fmt.Sprintf("scale=%d:%d,format=rgb24", thumb.Width, thumb.Height), flat)
	lumaSat := func(img image.Image) (float64, float64) {
		b := img.Bounds()
		var l, s float64
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				r, g, bl := float64(c.R), float64(c.G), float64(c.B)
				l += 0.2126*r + 0.7152*g + 0.0722*bl
				if mx := max(r, g, bl); mx > 0 {
					s += (mx - min(r, g, bl)) / mx
				}
			}
		}
		n := float64(b.Dx() * b.Dy())
		return l / n, s / n
	}
	gotL, gotS := lumaSat(load(t, thumb.Path))
	refL, refS := lumaSat(load(t, ref))
	flatL, flatS := lumaSat(load(t, flat))
	t.Logf("mean luma/saturation: quinte %.1f/%.3f, ffmpeg tonemap %.1f/%.3f, untouched PQ %.1f/%.3f", gotL, gotS, refL, refS, flatL, flatS)
	if math.Abs(gotL-refL) > 0.06*refL || math.Abs(gotS-refS) > 0.05 {
		t.Errorf("tone mapping is off the reference: luma %.1f vs %.1f, saturation %.3f vs %.3f", gotL, refL, gotS, refS)
	}
	if math.Abs(flatS-refS) < 0.1 {
		t.Errorf("the untouched PQ picture is as saturated as the tone-mapped one: this test proves nothing")
	}
}

// Animated GIF and WebP: the still is the first frame (on white), and preview/mp4 is an H.264
// yuv420p loop of even size, as long as the animation, with its index before the media data.
func TestAnimations(t *testing.T) {
	for _, c := range []struct {
		rel      string
		frames   int
		duration float64
	}{
		{"image/animated_people_480x270.gif", 23, 1.91},
		{"image/animated_rotating_squares.webp", 9, 0.9},
	} {
		t.Run(filepath.Base(c.rel), func(t *testing.T) {
			r := process(t, c.rel)
			if r.plan.Frames != c.frames {
				t.Errorf("plan frames %d, want %d", r.plan.Frames, c.frames)
			}
			dir := t.TempDir()
			ref := filepath.Join(dir, "first.png")
			src := testenv.Corpus(t, c.rel)
			if filepath.Ext(c.rel) == ".gif" {
				run(t, "ffmpeg", "-v", "error", "-i", src, "-frames:v", "1", "-pix_fmt", "rgb24", ref)
			} else { // ffmpeg 5.1 cannot decode animated WebP: libvips (libwebp) gives the reference
				run(t, "vips", "webpload", src, filepath.Join(dir, "first.v"), "--page", "0")
				run(t, "vips", "flatten", filepath.Join(dir, "first.v"), ref, "--background", "255")
			}
			if d := meanAbsDiff(t, load(t, ref), load(t, r.file(t, "image/web").Path)); d > 3 {
				t.Errorf("the still differs from the first frame by %.1f levels", d)
			}
			loop := r.file(t, "preview/mp4")
			p := testenv.Probe(t, loop.Path)
			v := p.Streams[p.Stream("video")]
			if v.CodecName != "h264" || v.Profile != "High" || v.PixFmt != "yuv420p" || v.Width%2 != 0 || v.Height%2 != 0 || len(p.Streams) != 1 {
				t.Errorf("loop: %s %s %s %dx%d, %d streams", v.CodecName, v.Profile, v.PixFmt, v.Width, v.Height, len(p.Streams))
			}
			if math.Abs(p.Duration()-c.duration) > 0.1 || math.Abs(loop.Duration-c.duration) > 0.1 {
				t.Errorf("loop lasts %.3f s (manifest %.3f), the animation %.2f s", p.Duration(), loop.Duration, c.duration)
			}
			b, err := os.ReadFile(loop.Path)
			testenv.Must(t, err)
			if m, d := indexOf(b, "moov"), indexOf(b, "mdat"); m < 0 || d < 0 || m > d {
				t.Errorf("moov at %d, mdat at %d: not faststart", m, d)
			}
		})
	}
}

func indexOf(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// A framer plugged in through Config decides how crops are made: here 1:1 is the left square of the
// picture (fill) and 9:16 the whole picture over its blurred self (fit).
func TestFramerIsReplaceable(t *testing.T) {
	aspects := []geom.Aspect{{Name: "1x1", W: 1, H: 1, Out: sz(1080, 1080)}, {Name: "9x16", W: 9, H: 16, Out: sz(1080, 1920)}}
	left := framerFunc(func(img image.Image, aspects []geom.Aspect) []geom.Framing {
		b := img.Bounds()
		return []geom.Framing{
			{Aspect: aspects[0], Mode: geom.Fill, Rect: Rect{X: 0, Y: 0, W: b.Dy(), H: b.Dy()}, Out: Size{W: 1080, H: 1080}, Why: "left"},
			{Aspect: aspects[1], Mode: geom.Fit, Inner: Size{W: 1080, H: 720}, Out: Size{W: 1080, H: 1920}, Why: "whole"},
		}
	})
	src := testenv.Corpus(t, "image/exif-orientation/Landscape_6.jpg")
	plan, files, err := Process(t.Context(), Config{Framer: left, Aspects: aspects}, src, t.TempDir())
	testenv.Must(t, err)
	for _, o := range plan.Outputs {
		if o.Name == "crop/1x1" && (o.Crop == nil || *o.Crop != (Rect{X: 0, Y: 0, W: 1200, H: 1200}) || o.Mode != string(geom.Fill)) {
			t.Errorf("crop/1x1 %s region %+v, want the framer's fill of 0,0 1200x1200", o.Mode, o.Crop)
		}
		if o.Name == "crop/9x16" && (o.Inner == nil || o.Mode != string(geom.Fit) || o.Width != 1080 || o.Height != 1920) {
			t.Errorf("crop/9x16: %+v, want the framer's fit", o)
		}
	}
	web := load(t, pathOf(t, files, "image/web"))
	crop := load(t, pathOf(t, files, "crop/1x1"))
	want := imaging.Resize(imaging.Crop(web, image.Rect(0, 0, 1200, 1200)), 1080, 1080, imaging.Lanczos)
	if d := meanAbsDiff(t, want, crop); d > 3 {
		t.Errorf("crop/1x1 differs from the left square of the picture by %.1f levels", d)
	}
	// The fit: the whole picture in the middle band, a darker blur of it above and below.
	fit := load(t, pathOf(t, files, "crop/9x16"))
	if b := fit.Bounds(); b.Dx() != 1080 || b.Dy() != 1920 {
		t.Fatalf("crop/9x16 is %v", b)
	}
	middle := imaging.Crop(fit, image.Rect(0, 600, 1080, 1320))
	if d := meanAbsDiff(t, imaging.Resize(web, 1080, 720, imaging.Lanczos), middle); d > 3 {
		t.Errorf("the middle of the fit differs from the picture by %.1f levels", d)
	}
	// Above it, the same part of the picture filling 9:16, blurred and darkened to 55 %.
	top := meanLevel(imaging.Crop(fit, image.Rect(0, 0, 1080, 600)))
	ref := meanLevel(imaging.Crop(imaging.Fill(web, 1080, 1920, imaging.Center, imaging.Box), image.Rect(0, 0, 1080, 600)))
	if math.Abs(top/ref-0.55) > 0.08 {
		t.Errorf("the fit's background has mean %.0f; the picture there %.0f: want it darkened to 55 %%", top, ref)
	}
}

func meanLevel(img image.Image) float64 {
	b := img.Bounds()
	var sum float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum += float64(r+g+bl) / 3 / 257
		}
	}
	return sum / float64(b.Dx()*b.Dy())
}

type framerFunc func(image.Image, []geom.Aspect) []geom.Framing

func (f framerFunc) Frame(_ context.Context, img image.Image, a []geom.Aspect) ([]geom.Framing, error) {
	return f(img, a), nil
}

func pathOf(t *testing.T, files []File, name string) string {
	for _, f := range files {
		if f.Name == name {
			return f.Path
		}
	}
	t.Fatalf("no output %s", name)
	return ""
}
