package photo

import (
	"bytes"
	"testing"

	"github.com/quinte-media/quinte/internal/craft"
)

// The metadata readers allocate about what the input holds, whatever its length fields claim (and at
// most the profile limit once inflated).
func metaBound(input int) uint64 { return maxProfile + 1<<20 + 16*uint64(input) }

func FuzzJPEGMeta(f *testing.F) {
	f.Add([]byte("\xff\xd8\xff\xe2\xff\xffICC_PROFILE\x00\x01\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var icc []byte
		alloc := craft.Allocated(func() { _, icc, _ = jpegMeta(bytes.NewReader(b)) })
		if alloc > metaBound(len(b)) || len(icc) > len(b) {
			t.Fatalf("allocated %d bytes, profile of %d, for a %d-byte JPEG", alloc, len(icc), len(b))
		}
	})
}

func FuzzPNGMeta(f *testing.F) {
	f.Add(pngClaiming("iCCP", 8<<20))
	f.Add(pngClaiming("eXIf", 1<<20))
	f.Fuzz(func(t *testing.T, b []byte) {
		var icc []byte
		alloc := craft.Allocated(func() { _, icc, _ = pngMeta(bytes.NewReader(b)) })
		if alloc > metaBound(len(b)) || len(icc) > maxProfile {
			t.Fatalf("allocated %d bytes, profile of %d, for a %d-byte PNG", alloc, len(icc), len(b))
		}
	})
}

func FuzzEXIFOrientation(f *testing.F) {
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00"))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if o := exifOrientation(b); o < 0 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

// The Y4M reader (libheif's output) allocates no more than the photo's size allows.
func FuzzY4M(f *testing.F) {
	f.Add([]byte("YUV4MPEG2 W16 H16 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + string(make([]byte, 384))))
	f.Add([]byte("YUV4MPEG2 W4294967296 H4294967296 C444\nFRAME\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		const w, h = 256, 256
		alloc := craft.Allocated(func() {
			if m, err := decodeY4M(bytes.NewReader(b), w, h); err == nil {
				if r := m.Rect; r.Dx()*r.Dy() > w*h {
					t.Fatalf("a %v picture for a %dx%d photo", r, w, h)
				}
			}
		})
		if alloc > 4*w*h+64<<10 {
			t.Fatalf("allocated %d bytes", alloc)
		}
	})
}
