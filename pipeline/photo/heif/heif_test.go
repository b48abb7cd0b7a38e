package heif

import (
	"os"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
)

func TestParseCorpus(t *testing.T) {
	open := func(rel string) *Info {
		f, err := os.Open(testenv.Corpus(t, rel))
		testenv.Must(t, err)
		defer f.Close()
		st, err := f.Stat()
		testenv.Must(t, err)
		info, err := Parse(f, st.Size())
		testenv.Must(t, err)
		return info
	}
	h := open("image/iphone13promax_irot270_exif6_gainmap.heic")
	if w, ht := h.Shown(); h.Type != "grid" || h.Width != 4032 || h.Height != 3024 || h.Rotation != 270 || w != 3024 || ht != 4032 || len(h.ICC) != 548 || h.NCLX != nil || h.Depth != 8 {
		t.Errorf("HEIC: %+v", h)
	}
	a := open("image/avif_10bit_pq_p3_444_3681x5594.avif")
	if a.Type != "av01" || a.Width != 3681 || a.Height != 5594 || a.Rotation != 0 || a.MaxCLL != 712 || a.Depth != 10 ||
		a.NCLX == nil || *a.NCLX != (NCLX{Primaries: 12, Transfer: 16, Matrix: 6, FullRange: true}) {
		t.Errorf("AVIF: %+v %+v", a, a.NCLX)
	}
	// A file with no meta box is refused, not guessed at.
	f, err := os.Open(testenv.Corpus(t, "malformed/truncated_mov_first_1024_bytes.mov"))
	testenv.Must(t, err)
	defer f.Close()
	if _, err := Parse(f, 1024); err == nil {
		t.Error("a QuickTime file parsed as HEIF")
	}
}
