package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

func photoPipeline() *Pipeline {
	return New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23, MaxPhotoPixels: 50_000_000}, testParts(), nil)
}

// Every photo of the corpus goes through the pipeline; every output is checked by ffprobe (format,
// size as the manifest says, upright shape) and by reading its bytes for metadata.
func TestPhotoCorpus(t *testing.T) {
	cases := []struct {
		rel   string
		shown geom.Size // upright
		loop  bool
	}{
		{"image/iphone13promax_irot270_exif6_gainmap.heic", geom.Size{W: 3024, H: 4032}, false},
		{"image/avif_10bit_pq_p3_444_3681x5594.avif", geom.Size{W: 3681, H: 5594}, false},
		{"image/cmyk_adobe_swop_profile.jpg", geom.Size{W: 500, H: 333}, false},
		{"image/progressive_faces_840x700.jpg", geom.Size{W: 840, H: 700}, false},
		{"image/pixel8_ultrahdr_gainmap_gps.jpg", geom.Size{W: 3072, H: 4080}, false},
		{"image/rgba_transparent_black_strokes.png", geom.Size{W: 2048, H: 1536}, false},
		{"image/animated_people_480x270.gif", geom.Size{W: 480, H: 270}, true},
		{"image/animated_rotating_squares.webp", geom.Size{W: 80, H: 80}, true},
	}
	for o := 1; o <= 8; o++ {
		cases = append(cases, struct {
			rel   string
			shown geom.Size
			loop  bool
		}{filepath.Join("image/exif-orientation", "Landscape_"+string(rune('0'+o))+".jpg"), geom.Size{W: 1800, H: 1200}, false})
	}
	p := photoPipeline()
	for _, c := range cases {
		t.Run(filepath.Base(c.rel), func(t *testing.T) {
			src := testenv.Corpus(t, c.rel)
			res, err := p.Process(context.Background(), Input{ID: "t", Path: src, Kind: message.KindImage, WorkDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if res.Kind != message.KindImage || res.Plan == nil || res.Plan.Photo == nil || res.Plan.Photo.Source != c.shown {
				t.Fatalf("kind %s, plan %+v: want an image shown %v", res.Kind, res.Plan, c.shown)
			}
			want := map[string]string{"image/web": "mjpeg", "image/web/webp": "webp", "image/thumb": "mjpeg", "image/thumb/webp": "webp",
				"crop/9x16": "mjpeg", "crop/1x1": "mjpeg", "crop/4x5": "mjpeg", "crop/16x9": "mjpeg"}
			if c.loop {
				want["preview/mp4"] = "h264"
			}
			for _, f := range res.Files {
				codec, ok := want[f.Name]
				if !ok {
					t.Errorf("unexpected output %s", f.Name)
					continue
				}
				delete(want, f.Name)
				pr := testenv.Probe(t, f.Path)
				v := pr.Streams[pr.Stream("video")]
				if v.CodecName != codec || v.Width != f.Width || v.Height != f.Height || f.Size <= 0 {
					t.Errorf("%s: %s %dx%d, manifest says %s %dx%d", f.Name, v.CodecName, v.Width, v.Height, codec, f.Width, f.Height)
				}
				if strings.HasPrefix(f.Name, "image/") {
					got, wantRatio := float64(f.Width)/float64(f.Height), float64(c.shown.W)/float64(c.shown.H)
					if math.Abs(got/wantRatio-1) > 0.01 || max(f.Width, f.Height) > 2048 {
						t.Errorf("%s: %dx%d is not the %dx%d picture upright, at most 2048", f.Name, f.Width, f.Height, c.shown.W, c.shown.H)
					}
				}
				if f.Role == message.RoleCrop {
					checkPhotoCrop(t, f, c.shown, res.Plan.Why)
				}
				checkNoMetadata(t, f.Name, f.Path, pr)
			}
			if len(want) > 0 {
				t.Errorf("missing outputs: %v", want)
			}
		})
	}
}

// checkPhotoCrop: a social crop of a photo has a mode and a reason, the aspect's shape, and its
// published size unless the photo has not the pixels (worked out here from the photo's size).
func checkPhotoCrop(t *testing.T, f File, shown geom.Size, why []string) {
	t.Helper()
	var a geom.Aspect
	for _, x := range reframe.SocialAspects() {
		if "crop/"+x.Name == f.Name {
			a = x
		}
	}
	if !slices.ContainsFunc(why, func(w string) bool { return strings.HasPrefix(w, f.Name+" "+f.Mode+" ") }) {
		t.Errorf("%s: no reason for its mode %q in %q", f.Name, f.Mode, why)
	}
	if math.Abs(float64(f.Width)-float64(f.Height)*a.Ratio()) > 2 && math.Abs(float64(f.Height)-float64(f.Width)/a.Ratio()) > 2 {
		t.Errorf("%s is %dx%d, not %d:%d", f.Name, f.Width, f.Height, a.W, a.H)
	}
	want, ok := wantCrop(a, f.Mode, shown)
	if !ok {
		t.Errorf("%s: mode %q", f.Name, f.Mode)
	}
	if abs(f.Width-want.W) > 2 || abs(f.Height-want.H) > 2 {
		t.Errorf("%s %s is %dx%d; from a %v photo it should be %v", f.Name, f.Mode, f.Width, f.Height, shown, want)
	}
}

// checkNoMetadata reads an output's structure: a JPEG has no APPn or COM segment (no JFIF, EXIF,
// GPS, XMP or ICC), a WebP has only bitstream chunks, an MP4 has no tags beyond its brands, its stream
// handler and the codec library's name.
func checkNoMetadata(t *testing.T, name, path string, pr *testenv.Probed) {
	t.Helper()
	b, err := os.ReadFile(path)
	testenv.Must(t, err)
	for _, s := range []string{"Exif\x00\x00", "ICC_PROFILE", "http://ns.adobe.com/xap", "ISO6709"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s contains %q", name, s)
		}
	}
	switch filepath.Ext(path) {
	case ".jpg":
		for i := 2; i+4 <= len(b); {
			if b[i] != 0xFF {
				t.Errorf("%s: no marker at %d", name, i)
				return
			}
			m := b[i+1]
			if m >= 0xE0 && m <= 0xEF || m == 0xFE {
				t.Errorf("%s has a metadata segment 0xFF%02X", name, m)
			}
			if m == 0xDA { // the scan: nothing but entropy-coded data and EOI follows
				return
			}
			i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
		}
	case ".webp":
		for i := 12; i+8 <= len(b); {
			id, n := string(b[i:i+4]), int(binary.LittleEndian.Uint32(b[i+4:]))
			if id != "VP8 " && id != "VP8L" && id != "ALPH" && id != "VP8X" || id == "VP8X" && b[i+8]&0x2C != 0 {
				t.Errorf("%s has chunk %q", name, id)
			}
			i += 8 + n + n&1
		}
	case ".mp4":
		allowed := map[string]bool{"major_brand": true, "minor_version": true, "compatible_brands": true, "language": true, "handler_name": true, "vendor_id": true}
		tags := pr.Format.Tags
		for _, s := range pr.Streams {
			for k, v := range s.Tags {
				tags[k] = v
			}
		}
		for k, v := range tags {
			// ffmpeg's CLI always names the codec library in the stream; -fflags +bitexact drops its version.
			if !allowed[k] && !(k == "encoder" && v == "Lavc libx264") {
				t.Errorf("%s has tag %s=%s", name, k, v)
			}
		}
	}
}

// The GPS photo really carries GPS: the check above would see it if it leaked.
func TestPhotoCorpusHasMetadataToStrip(t *testing.T) {
	b, err := os.ReadFile(testenv.Corpus(t, "image/pixel8_ultrahdr_gainmap_gps.jpg"))
	testenv.Must(t, err)
	i := bytes.Index(b, []byte("Exif\x00\x00"))
	if i < 0 || !bytes.Contains(b[i:min(len(b), i+64<<10)], []byte("GPS")) && !bytes.Contains(b[i:min(len(b), i+64<<10)], []byte{0x88, 0x25}) && !bytes.Contains(b[i:min(len(b), i+64<<10)], []byte{0x25, 0x88}) {
		t.Fatal("the Pixel 8 photo has no EXIF GPS to strip")
	}
}

// Every image of corpus/malformed ends as an InputError with its own code, before any decoding
// that its header would make expensive.
func TestPhotoMalformed(t *testing.T) {
	p := photoPipeline()
	for rel, code := range map[string]string{
		"malformed/lottapixel_64250x64250.jpg":      "photo_too_large",
		"malformed/png_65536x65536_pixel_flood.png": "photo_too_large",
		"malformed/giant_20000x14000_gray.jpg":      "photo_too_large",
		"malformed/truncated_first_10000_bytes.jpg": "truncated_photo",
		"malformed/uber_40000_frames_1x1.gif":       "too_many_frames",
	} {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			_, err := p.Process(context.Background(), Input{ID: "t", Path: testenv.Corpus(t, rel), Kind: message.KindImage, WorkDir: t.TempDir()})
			var ie *InputError
			if !errors.As(err, &ie) || ie.Code != code || ie.Message == "" {
				t.Fatalf("got %v, want an InputError %s", err, code)
			}
			t.Logf("%s: %s", ie.Code, ie.Message)
		})
	}
}
