package pipeline

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// TestPhotoLoopTakesTheEncodeSettings: an animated photo's MP4 loop is encoded with the x264 preset
// and CRF of the service's configuration (QUINTE_X264_PRESET, QUINTE_X264_CRF), as every video
// encode is: x264 writes the settings it ran with into the stream (ultrafast: no CABAC, no B-frames).
func TestPhotoLoopTakesTheEncodeSettings(t *testing.T) {
	src := testenv.Corpus(t, "image/animated_rotating_squares.webp")
	for _, c := range []struct {
		preset string
		crf    int
		want   [][]byte
	}{
		{"ultrafast", 37, [][]byte{[]byte("crf=37.0"), []byte("cabac=0"), []byte("bframes=0")}},
		{"veryfast", 23, [][]byte{[]byte("crf=23.0"), []byte("cabac=1"), []byte("bframes=3")}},
	} {
		p := New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: c.preset, CRF: c.crf, MaxPhotoPixels: 50_000_000}, testParts(), nil)
		res, err := p.Process(context.Background(), Input{ID: "t", Path: src, Kind: message.KindImage, WorkDir: t.TempDir()})
		testenv.Must(t, err)
		found := false
		for _, f := range res.Files {
			if f.Name != "preview/mp4" {
				continue
			}
			found = true
			b, err := os.ReadFile(f.Path)
			testenv.Must(t, err)
			for _, w := range c.want {
				if !bytes.Contains(b, w) {
					t.Errorf("%s crf %d: the loop's x264 settings lack %q", c.preset, c.crf, w)
				}
			}
		}
		if !found {
			t.Fatalf("no preview/mp4 loop for an animated WebP")
		}
	}
}
