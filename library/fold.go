package library

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// fold is s as the list's search compares it: accents dropped (é is e), Unicode case folding (ß is
// ss, Σ is σ), so that "jose" finds "José" and "STRASSE" finds "Straße".
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), cases.Fold(), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return strings.ToLower(s)
	}
	return out
}

// slug is s as a file name: ASCII letters and digits in lower case, accents dropped (é is e, ß is ss),
// every other run of characters one dash, at most max bytes, never empty of meaning: "" when nothing is
// left (the caller falls back to the id).
func slug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range fold(s) {
		ascii, ok := transliterate[r]
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			ascii, ok = string(r), true
		case !ok:
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteString(ascii)
		if b.Len() >= max {
			break
		}
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
	}
	return strings.Trim(out, "-")
}

// transliterate spells the letters that folding leaves as themselves.
var transliterate = map[rune]string{'æ': "ae", 'ø': "o", 'œ': "oe", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i"}
