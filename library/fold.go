package library

import (
	"strings"
	"unicode"

	"github.com/mozillazg/go-unidecode"

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

// slug is s as a file name: ASCII letters and digits in lower case, every other run of characters one
// dash, at most max bytes, "" when nothing is left (the caller falls back to the id). Every script is
// spelled in ASCII first, by the Unidecode tables (é is e, ß is ss, Алла is alla, ありがとう is
// arigatou, 李雷 is li-lei, فيروز is fyrwz), so a name in any script still names its files, and no name
// holds a character an older zip tool or file system would mangle.
func slug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(unidecode.Unidecode(norm.NFC.String(s))) {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			dash = true
			continue
		}
		n := 1 // the letter, and the dash before it when a run of other characters came first
		if dash && b.Len() > 0 {
			n = 2
		}
		if b.Len()+n > max {
			break
		}
		if n == 2 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
		dash = false
	}
	return b.String()
}
