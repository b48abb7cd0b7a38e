package main

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSafeFileName: whatever name a server gives an output or a kit, the file the CLI writes stays in
// the folder it was told: one plain, visible name, never a path.
func FuzzSafeFileName(f *testing.F) {
	for _, s := range []string{"crop/9x16.mp4", "../../etc/passwd", "..", ".", "", "/", `a\b`, "C:evil", ".hidden", "x\x00y", "\xff\xfe", strings.Repeat("é", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := safeFileName(name, "fallback")
		dir := filepath.Join("out", "dir")
		if p := filepath.Join(dir, got); filepath.Dir(p) != dir || filepath.Base(p) != got {
			t.Fatalf("safeFileName(%q) = %q leaves the folder (%s)", name, got, p)
		}
		if got == "" || strings.HasPrefix(got, ".") || strings.ContainsAny(got, "/\\:\x00") || !utf8.ValidString(got) || len(got) > 200 {
			t.Fatalf("safeFileName(%q) = %q", name, got)
		}
	})
}
