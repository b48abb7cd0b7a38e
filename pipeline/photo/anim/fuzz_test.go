package anim

import (
	"bytes"
	"testing"

	"github.com/quinte-media/quinte/internal/craft"
)

// fuzzPixels is the readers' pixel limit under fuzzing: small, so that a frame the limit lets through
// costs little and an allocation beyond it shows.
const fuzzPixels = 1 << 16

// fuzzFrames is how many frames an input is read for.
const fuzzFrames = 8

// allocBound is what reading an input may allocate in all: per frame a few copies of a frame at the
// limit (the decoder's planes and Huffman tables, the converted picture, the canvas), plus a few times
// the input itself (chunks are read as they arrive).
func allocBound(input int) uint64 {
	return fuzzFrames*64*fuzzPixels + 8*uint64(input) + 4<<20
}

// readFrames reads up to fuzzFrames frames and checks each is the canvas the scan reported.
func readFrames(t *testing.T, r Reader, scanned Info, scanErr error) {
	for range fuzzFrames {
		m, _, err := r.Next()
		if err != nil {
			return // io.EOF, or a damaged frame: either ends the animation
		}
		if scanErr == nil && (m.Bounds().Dx() != scanned.Width || m.Bounds().Dy() != scanned.Height) {
			t.Fatalf("the reader gave a %v frame; the scan said %dx%d", m.Bounds(), scanned.Width, scanned.Height)
		}
		if b := m.Bounds(); int64(b.Dx())*int64(b.Dy()) > fuzzPixels {
			t.Fatalf("a %v frame past the limit of %d pixels", b, fuzzPixels)
		}
	}
}

func FuzzWebP(f *testing.F) {
	small := craft.ANMF(0, 0, 16, 16, craft.VP8L(16, 16))
	f.Add(craft.WebP(craft.VP8X(1<<24, 1<<24, true), craft.ANIM(), small, craft.VP8X(16, 16, true)))
	f.Add(craft.WebP(craft.VP8X(16, 16, true), craft.ANIM(), craft.ANMF(0, 0, 16384, 16384, craft.VP8L(16384, 16384))))
	f.Add(craft.WebP(craft.VP8X(16, 16, false), craft.ChunkClaiming("ICCP", 0xFFFFFFF0, []byte("short")), craft.VP8L(16, 16)))
	f.Fuzz(func(t *testing.T, b []byte) {
		alloc := craft.Allocated(func() {
			info, err := ScanWebP(bytes.NewReader(b))
			r, rerr := NewWebP(bytes.NewReader(b), fuzzPixels)
			if rerr == nil {
				readFrames(t, r, info.Info, err)
			}
		})
		if alloc > allocBound(len(b)) {
			t.Fatalf("allocated %d bytes for a %d-byte WebP (bound %d)", alloc, len(b), allocBound(len(b)))
		}
	})
}

func FuzzGIF(f *testing.F) {
	f.Add(craft.GIF(16, 16, craft.GIFFrame{W: 65535, H: 65535}, craft.GIFFrame{W: 16, H: 16}))
	f.Add(craft.GIF(32, 32, craft.GIFFrame{X: 8, Y: 8, W: 40, H: 40}))
	f.Fuzz(func(t *testing.T, b []byte) {
		alloc := craft.Allocated(func() {
			info, err := ScanGIF(bytes.NewReader(b))
			r, rerr := NewGIF(bytes.NewReader(b), fuzzPixels)
			if rerr == nil {
				readFrames(t, r, info, err)
			}
		})
		if alloc > allocBound(len(b)) {
			t.Fatalf("allocated %d bytes for a %d-byte GIF (bound %d)", alloc, len(b), allocBound(len(b)))
		}
	})
}
