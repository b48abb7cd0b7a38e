package photo

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/photo/heif"
)

// twoImageHEIF writes, with libheif's heif-enc, a HEIF holding two top-level images: a 64x48 red one
// (item 2, which heif-enc makes primary) and a 96x64 one, green above and blue below (item 3). With
// primaryLast, pitm is rewritten to name the second.
func twoImageHEIF(t *testing.T, primaryLast bool) string {
	t.Helper()
	dir := t.TempDir()
	red := filepath.Join(dir, "red.png")
	split := filepath.Join(dir, "split.png")
	writePNG(t, red, 64, 48, func(x, y int) color.NRGBA { return color.NRGBA{R: 220, G: 30, B: 30, A: 255} })
	writePNG(t, split, 96, 64, func(x, y int) color.NRGBA {
		if y < 32 {
			return color.NRGBA{R: 30, G: 200, B: 40, A: 255}
		}
		return color.NRGBA{R: 30, G: 40, B: 210, A: 255}
	})
	out := filepath.Join(dir, "two.heic")
	run(t, "heif-enc", "-q", "90", "-o", out, red, split)
	if primaryLast {
		b, err := os.ReadFile(out)
		testenv.Must(t, err)
		// pitm, version 0: size, "pitm", version and flags, then the 16-bit item ID.
		i := bytes.Index(b, []byte("pitm"))
		if i < 4 || binary.BigEndian.Uint16(b[i+8:]) != 2 {
			t.Fatalf("heif-enc wrote no pitm naming item 2")
		}
		binary.BigEndian.PutUint16(b[i+8:], 3)
		testenv.Must(t, os.WriteFile(out, b, 0o644))
	}
	return out
}

func writePNG(t *testing.T, path string, w, h int, at func(x, y int) color.NRGBA) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, at(x, y))
		}
	}
	var b bytes.Buffer
	testenv.Must(t, png.Encode(&b, img))
	testenv.Must(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// A HEIF with several top-level images publishes the one pitm names, whichever it is, upright and in
// its colours, and the plan says how many the file held.
func TestHEIFSeveralImagesPrimaryPublished(t *testing.T) {
	for _, c := range []struct {
		name        string
		primaryLast bool
		w, h        int
		top, bottom [3]float64
	}{
		{"first is primary", false, 64, 48, [3]float64{220, 30, 30}, [3]float64{220, 30, 30}},
		{"second is primary", true, 96, 64, [3]float64{30, 200, 40}, [3]float64{30, 40, 210}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := twoImageHEIF(t, c.primaryLast)
			plan, files, err := Process(context.Background(), Config{}, path, t.TempDir())
			if err != nil {
				t.Fatalf("two-image HEIF: %v", err)
			}
			if plan.Images != 2 || !strings.Contains(strings.Join(plan.Why, "\n"), "holds 2 images; the primary one") {
				t.Errorf("the plan does not say the file held 2 images: images=%d, why=%q", plan.Images, plan.Why)
			}
			if plan.Source != (Size{W: c.w, H: c.h}) {
				t.Errorf("published %v, want the primary's %dx%d", plan.Source, c.w, c.h)
			}
			var web string
			for _, f := range files {
				if f.Name == "image/web" {
					web = f.Path
					if f.Width != c.w || f.Height != c.h {
						t.Errorf("image/web is %dx%d, want %dx%d", f.Width, f.Height, c.w, c.h)
					}
				}
			}
			if web == "" {
				t.Fatal("no image/web")
			}
			img := load(t, web)
			b := img.Bounds()
			// Away from the edge between the halves, where chroma subsampling blurs.
			top := means(subImage(img, image.Rect(b.Min.X, b.Min.Y, b.Max.X, b.Min.Y+b.Dy()/3)))
			bottom := means(subImage(img, image.Rect(b.Min.X, b.Max.Y-b.Dy()/3, b.Max.X, b.Max.Y)))
			for i := range 3 {
				if d := top[i] - c.top[i]; d > 12 || d < -12 {
					t.Errorf("top third %v, want about %v", top, c.top)
					break
				}
				if d := bottom[i] - c.bottom[i]; d > 12 || d < -12 {
					t.Errorf("bottom third %v, want about %v", bottom, c.bottom)
					break
				}
			}
		})
	}
}

// The parser counts the corpus iPhone HEIC (a grid of 48 hidden tiles, a thumbnail, a gain map) as one
// image, so it is decoded as it always was.
func TestHEIFCountsTopLevelImages(t *testing.T) {
	for _, c := range []struct {
		path   string
		images int
	}{
		{testenv.Corpus(t, "image/iphone13promax_irot270_exif6_gainmap.heic"), 1},
		{testenv.Corpus(t, "image/avif_10bit_pq_p3_444_3681x5594.avif"), 1},
		{twoImageHEIF(t, false), 2},
	} {
		f, err := os.Open(c.path)
		testenv.Must(t, err)
		st, err := f.Stat()
		testenv.Must(t, err)
		info, err := heif.Parse(f, st.Size())
		f.Close()
		testenv.Must(t, err)
		if info.Images != c.images {
			t.Errorf("%s: %d images, want %d", filepath.Base(c.path), info.Images, c.images)
		}
	}
}

func subImage(img image.Image, r image.Rectangle) image.Image {
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
}
