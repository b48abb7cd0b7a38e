package photo

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
)

// The fuzz targets of photo and its parsers, by directory: each has seeds under testdata/fuzz.
var fuzzTargets = map[string][]string{
	".":    {"FuzzJPEGMeta", "FuzzPNGMeta", "FuzzEXIFOrientation", "FuzzY4M"},
	"anim": {"FuzzWebP", "FuzzGIF"},
	"heif": {"FuzzParse"},
}

// TestWriteFuzzSeeds rewrites the corpus seeds of the photo fuzz targets when QUINTE_WRITE_SEEDS=1;
// otherwise it checks they are there. Seeds are the heads of corpus files (their headers and metadata,
// a few KB, never a whole large file) and small files made here by libheif; crafted hostile inputs are
// added by each target itself, and what fuzzing found is kept beside them under its hash.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("QUINTE_WRITE_SEEDS") != "1" {
		for dir, targets := range fuzzTargets {
			for _, name := range targets {
				p := filepath.Join(dir, "testdata", "fuzz", name)
				if entries, err := os.ReadDir(p); err != nil || len(entries) == 0 {
					t.Errorf("fuzz seeds missing in %s (%v): run QUINTE_WRITE_SEEDS=1 go test ./pipeline/photo -run TestWriteFuzzSeeds", p, err)
				}
			}
		}
		return
	}
	write := func(dir, target, name string, data []byte) {
		p := filepath.Join(dir, "testdata", "fuzz", target)
		testenv.Must(t, os.MkdirAll(p, 0o755))
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		testenv.Must(t, os.WriteFile(filepath.Join(p, name), []byte(body), 0o644))
	}
	head := func(rel string, n int) []byte {
		b, err := os.ReadFile(testenv.Corpus(t, rel))
		testenv.Must(t, err)
		return b[:min(n, len(b))]
	}
	write("anim", "FuzzWebP", "corpus-animated_rotating_squares", head("image/animated_rotating_squares.webp", 8<<10))
	write("anim", "FuzzWebP", "corpus-animated_rotating_squares-first-2k", head("image/animated_rotating_squares.webp", 2<<10))
	write("anim", "FuzzGIF", "corpus-animated_people-first-4k", head("image/animated_people_480x270.gif", 4<<10))
	write("anim", "FuzzGIF", "corpus-uber_40000_frames-first-2k", head("malformed/uber_40000_frames_1x1.gif", 2<<10))
	// A HEIF's boxes up to the end of its meta box: what the parser reads.
	for name, rel := range map[string]string{
		"corpus-iphone-heic-to-meta-end": "image/iphone13promax_irot270_exif6_gainmap.heic",
		"corpus-avif-to-meta-end":        "image/avif_10bit_pq_p3_444_3681x5594.avif",
	} {
		b := head(rel, 64<<10)
		end := len(b)
		for off := 0; off+8 <= len(b); {
			n := int(binary.BigEndian.Uint32(b[off:]))
			if string(b[off+4:off+8]) == "meta" || n < 8 {
				end = min(off+n, len(b))
				break
			}
			off += n
		}
		write("heif", "FuzzParse", name, b[:min(end, 8<<10)])
	}
	two, err := os.ReadFile(twoImageHEIF(t, false))
	testenv.Must(t, err)
	write("heif", "FuzzParse", "heif-enc-two-images", two)
	write(".", "FuzzJPEGMeta", "corpus-progressive_faces-first-4k", head("image/progressive_faces_840x700.jpg", 4<<10))
	write(".", "FuzzJPEGMeta", "corpus-pixel8_ultrahdr-first-4k", head("image/pixel8_ultrahdr_gainmap_gps.jpg", 4<<10))
	write(".", "FuzzJPEGMeta", "corpus-cmyk_swop-first-4k", head("image/cmyk_adobe_swop_profile.jpg", 4<<10))
	write(".", "FuzzJPEGMeta", "corpus-lottapixel", head("malformed/lottapixel_64250x64250.jpg", 8<<10))
	write(".", "FuzzPNGMeta", "corpus-rgba_transparent-first-2k", head("image/rgba_transparent_black_strokes.png", 2<<10))
	write(".", "FuzzPNGMeta", "corpus-png_pixel_flood-first-1k", head("malformed/png_65536x65536_pixel_flood.png", 1<<10))
	j := head("image/pixel8_ultrahdr_gainmap_gps.jpg", 64<<10)
	i := bytes.Index(j, []byte("Exif\x00\x00"))
	if i < 2 {
		t.Fatal("no EXIF in the Pixel 8 JPEG")
	}
	n := int(binary.BigEndian.Uint16(j[i-2:])) - 8
	write(".", "FuzzEXIFOrientation", "corpus-pixel8-exif-first-2k", j[i+6:i+6+min(n, 2<<10)])
	// libheif's own Y4M, as decodeHEIF reads it.
	y4m := filepath.Join(t.TempDir(), "red.y4m")
	run(t, "heif-convert", "--quiet", twoImageHEIF(t, false), y4m)
	outs, _ := filepath.Glob(filepath.Join(filepath.Dir(y4m), "red-1.y4m"))
	if len(outs) != 1 {
		t.Fatalf("heif-convert wrote %v", outs)
	}
	b, err := os.ReadFile(outs[0])
	testenv.Must(t, err)
	write(".", "FuzzY4M", "heif-convert-64x48", b)
}
