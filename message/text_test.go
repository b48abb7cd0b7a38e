package message

import (
	"errors"
	"strings"
	"testing"
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
