package message

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Ada\nLovelace", "Ada Lovelace"},
		{"Ada\r\nLovelace", "Ada Lovelace"},
		{"\tAda\x00Lovelace\x7f", "Ada Lovelace"},
		{"Ada\u0085Lovelace", "Ada Lovelace"}, // C1 next line
		{"坂本龍一 🎸 Niccolò", "坂本龍一 🎸 Niccolò"},
		{"bad \xff utf-8", "bad utf-8"},
		{"  many   spaces  ", "many spaces"},
	} {
		if got := CleanText(c.in); got != c.want {
			t.Errorf("CleanText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCheckTextCountsCharacters(t *testing.T) {
	accented := strings.Repeat("è", 500) // 1000 bytes, 500 characters: within the limit
	if got, err := CheckText("title", accented); err != nil || got != accented {
		t.Errorf("500 accented letters: %v", err)
	}
	_, err := CheckText("title", accented+"è")
	var tl *TextTooLong
	if !errors.As(err, &tl) || tl.Field != "title" || tl.Len != 501 || tl.Limit != 500 {
		t.Errorf("501 characters: %v", err)
	}
	if _, err := CheckText("artist", strings.Repeat("a", 201)); err == nil || !strings.Contains(err.Error(), "artist") {
		t.Errorf("a 201-character artist: %v", err)
	}
}

// FuzzCleanText: whatever a client sends, the text kept is valid UTF-8 with no control character,
// no leading, trailing or double space, and cleaning it again changes nothing.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"Ada\nLovelace", "坂本龍一 🎸 Niccolò", "\xff\xfe", "a\u0085b\u2028c", "  x  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CleanText(s)
		if !utf8.ValidString(got) || strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("CleanText(%q) = %q", s, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) {
				t.Fatalf("CleanText(%q) kept control %U", s, r)
			}
		}
		if again := CleanText(got); again != got {
			t.Fatalf("not idempotent: %q then %q", got, again)
		}
	})
}
