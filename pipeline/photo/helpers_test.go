package photo

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/photo/anim"
	"github.com/quinte-media/quinte/pipeline/plan"
)

// result is one photo processed into a temporary directory.
type result struct {
	plan  *plan.PhotoPlan
	files map[string]File
}

func process(t *testing.T, rel string) result {
	t.Helper()
	pl, files, err := Process(context.Background(), Config{}, testenv.Corpus(t, rel), t.TempDir())
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	r := result{plan: pl, files: map[string]File{}}
	for _, f := range files {
		r.files[f.Name] = f
	}
	return r
}

func (r result) file(t *testing.T, name string) File {
	t.Helper()
	f, ok := r.files[name]
	if !ok {
		t.Fatalf("no output %s (have %v)", name, r.files)
	}
	return f
}

// load decodes a JPEG, PNG or WebP output file (WebP with libwebp's range, as browsers show it).
func load(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var img image.Image
	switch filepath.Ext(path) {
	case ".jpg":
		img, err = jpeg.Decode(f)
	case ".png":
		img, err = png.Decode(f)
	case ".webp":
		var r anim.Reader
		if r, err = anim.NewWebP(f, 1<<30); err == nil {
			img, _, err = r.Next()
		}
	}
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

// meanAbsDiff is the mean absolute difference of two pictures, in 8-bit levels, on small grey versions.
func meanAbsDiff(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	ga, gb := grey64(a), grey64(b)
	if ga.Bounds() != gb.Bounds() {
		t.Fatalf("shapes differ: %v and %v", a.Bounds(), b.Bounds())
	}
	var sum float64
	for i := range ga.Pix {
		sum += math.Abs(float64(ga.Pix[i]) - float64(gb.Pix[i]))
	}
	return sum / float64(len(ga.Pix))
}

func grey64(img image.Image) *image.Gray {
	b := img.Bounds()
	h := max(1, int(math.Round(64*float64(b.Dy())/float64(b.Dx()))))
	r := imaging.Resize(img, 64, h, imaging.Box)
	g := image.NewGray(r.Bounds())
	for y := range h {
		for x := range 64 {
			g.Set(x, y, color.GrayModel.Convert(r.At(x, y)))
		}
	}
	return g
}

// means is the mean of R, G and B.
func means(img image.Image) [3]float64 {
	b := img.Bounds()
	var s [3]float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			s[0], s[1], s[2] = s[0]+float64(c.R), s[1]+float64(c.G), s[2]+float64(c.B)
		}
	}
	n := float64(b.Dx() * b.Dy())
	return [3]float64{s[0] / n, s[1] / n, s[2] / n}
}

// run runs a reference tool and fails the test if it fails.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed for this test (scripts/deps.sh test installs it): %v", name, err)
	}
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, bytes.TrimSpace(out))
	}
}

// Size and Rect keep the tests short.
type (
	Size = geom.Size
	Rect = geom.Rect
)

// blank is a picture of size s, for framers.
func blank(s Size) image.Image { return image.NewGray(image.Rect(0, 0, s.W, s.H)) }

func sz(w, h int) Size { return Size{W: w, H: h} }
