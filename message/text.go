package message

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextLimits are the longest texts a message may carry, in characters (Unicode code points, so an
// accented or non-Latin name counts as many as it shows, not as its UTF-8 bytes).
var TextLimits = map[string]int{"artist": 200, "title": 500, "consent": 500}

// CleanText keeps a client-supplied text as harmless data for the API, meta.json and the burned-in
// lower-third: invalid UTF-8 is dropped, every control character (a newline, a tab, C1 controls)
// becomes a space, so "Ada\nLovelace" stays two words, runs of spaces become one, and the ends are
// trimmed.
func CleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || unicode.IsSpace(r) }), " ")
}

// TextTooLong is the error of a text field over its limit.
type TextTooLong struct {
	Field      string
	Len, Limit int
}

func (e *TextTooLong) Error() string {
	return fmt.Sprintf("%s is %d characters long; the limit is %d", e.Field, e.Len, e.Limit)
}

// CheckText cleans the text of field (one of TextLimits) and refuses it when over the limit.
func CheckText(field, s string) (string, error) {
	s = CleanText(s)
	if limit, ok := TextLimits[field]; ok {
		if n := utf8.RuneCountInString(s); n > limit {
			return "", &TextTooLong{Field: field, Len: n, Limit: limit}
		}
	}
	return s, nil
}
