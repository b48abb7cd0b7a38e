package library

import (
	"strings"
	"unicode"
	"unicode/utf8"

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

// slug is s as a file name: letters and digits in lower case, every other run of characters one dash,
// at most max bytes (never a cut character), "" when nothing is left (the caller falls back to the id).
// Latin letters become ASCII (é is e, ß is ss); the letters of other scripts stay as they are written,
// marks included (坂本, فيروز, नमस्ते), so a name in any script still names its files.
func slug(s string, max int) string {
	var b strings.Builder
	dash, latin := false, false // latin: the last character written was ASCII
	write := func(part string) bool {
		if dash && b.Len() > 0 {
			part = "-" + part
		}
		if b.Len()+len(part) > max {
			return false
		}
		dash = false
		b.WriteString(part)
		return true
	}
	for _, r := range norm.NFC.String(s) {
		var part string
		isLatin := r < utf8.RuneSelf || unicode.Is(unicode.Latin, r)
		switch {
		case isLatin:
			for _, f := range fold(string(r)) {
				if ascii, ok := transliterate[f]; ok {
					part += ascii
				} else if f >= 'a' && f <= 'z' || f >= '0' && f <= '9' {
					part += string(f)
				}
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			part = string(unicode.ToLower(r))
		case unicode.IsMark(r) && b.Len() > 0 && !dash && !latin: // a vowel sign, a virama
			part = string(r)
		}
		if part == "" {
			if unicode.IsMark(r) && latin && !dash {
				continue // an accent no letter of its own composed with: dropped, as folding drops it
			}
			dash = true
			continue
		}
		if !write(part) {
			break
		}
		latin = isLatin
	}
	return strings.Trim(b.String(), "-")
}

// transliterate spells the letters that folding leaves as themselves.
var transliterate = map[rune]string{'æ': "ae", 'ø': "o", 'œ': "oe", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i"}
