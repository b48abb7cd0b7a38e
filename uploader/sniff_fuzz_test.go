package uploader

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"

	"github.com/quinte-media/quinte/message"
)

// FuzzSniff: whatever the bytes, Sniff and its helpers neither panic nor read out of bounds, say the
// same thing twice, and never accept something that starts like a script, a page or a program.
// Seeds: testdata/fuzz/FuzzSniff (made files and the hostile set) and the heads of the corpus files.
func FuzzSniff(f *testing.F) {
	_ = filepath.WalkDir(testenv.Corpus(f, "."), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b[:min(len(b), sniffLen)])
			}
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		h := data[:min(len(data), sniffLen)]
		kind, ctype, ok := Sniff(h)
		k2, c2, ok2 := Sniff(bytes.Clone(h))
		if kind != k2 || ctype != c2 || ok != ok2 {
			t.Fatalf("Sniff is not deterministic: %v %v", []any{kind, ctype, ok}, []any{k2, c2, ok2})
		}
		_ = PolyglotTail(data)
		why := Refusal(h)
		if !ok {
			if kind != "" || ctype != "" || why == "" {
				t.Fatalf("refused with kind %q type %q reason %q", kind, ctype, why)
			}
			return
		}
		if kind != message.KindVideo && kind != message.KindImage && kind != message.KindAudio || ctype == "" {
			t.Fatalf("accepted as %q %q", kind, ctype)
		}
		for _, p := range []string{"<", "#!", "MZ", "\x7fELF", "%PDF", "PK\x03\x04", "#EXTM3U", "ffconcat"} {
			if bytes.HasPrefix(h, []byte(p)) {
				t.Fatalf("accepted a file starting %q as %s", p, ctype)
			}
		}
		if hiddenFormat(h) != "" {
			t.Fatalf("accepted with %s in its head", hiddenFormat(h))
		}
	})
}
