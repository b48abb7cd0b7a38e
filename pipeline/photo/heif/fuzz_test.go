package heif

import (
	"bytes"
	"testing"

	"github.com/quinte-media/quinte/internal/craft"
)

// Parse never panics, allocates about the size of its input, and what it returns points inside it.
func FuzzParse(f *testing.F) {
	f.Add(craft.HEIF(0xFFFFFFFF, 0xFFFFFFFF))
	f.Add(craft.HEIF(64, 48))
	f.Fuzz(func(t *testing.T, b []byte) {
		var info *Info
		var err error
		alloc := craft.Allocated(func() { info, err = Parse(bytes.NewReader(b), int64(len(b))) })
		if alloc > 1<<20+16*uint64(len(b)) {
			t.Fatalf("allocated %d bytes for a %d-byte file", alloc, len(b))
		}
		if err != nil {
			return
		}
		if info.Width <= 0 || info.Height <= 0 || info.Images < 1 {
			t.Fatalf("parsed without a size or an image: %+v", info)
		}
		for _, off := range info.Hide {
			if off < 0 || off >= int64(len(b)) {
				t.Fatalf("hidden flag at %d, outside the %d-byte file", off, len(b))
			}
		}
	})
}
