package brand

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font/sfnt"
)

// Text is drawn by libass (the ass filter), which asks fontconfig for another font whenever the
// campaign's font has no glyph for a character: DejaVu draws Latin, Greek and Cyrillic, and the Noto
// families (fonts-noto-core, fonts-noto-cjk) and Symbola (fonts-symbola, monochrome emoji) installed
// by scripts/deps.sh and the Dockerfile draw the rest. A character that no installed font has would
// come out as the missing-glyph box: Coverage finds those before anything is drawn, so that they are
// left out with a warning instead.

// Coverage is the set of characters some installed outline font can draw: what libass's fallback
// chooses from (it asks fontconfig for outline fonts only; colour bitmap fonts draw nothing through
// libass, so they do not count).
type Coverage struct {
	ranges    []runeRange // sorted, merged
	files     map[string]charset
	families  map[string]charset // by lower-case family: the first file fontconfig lists of it
	fallbacks []fallback         // fontconfig's order for sans-serif
}

// charset is the characters of one font, sorted and merged.
type charset []runeRange

func (cs charset) has(r rune) bool {
	i := sort.Search(len(cs), func(i int) bool { return cs[i].hi >= r })
	return i < len(cs) && cs[i].lo <= r
}

// fallback is a font that draws what the campaign's font cannot.
type fallback struct {
	family string
	cs     charset
}

type runeRange struct{ lo, hi rune }

// FontconfigQueries are the two fontconfig runs ParseFontconfig reads, as argv slices: every outline
// font (fc-list), and the fonts fontconfig falls back to for sans-serif, in its order (fc-match).
// Package fontconfig runs them, once per process.
func FontconfigQueries() (all, sorted []string) {
	const format = "%{color}\t%{file}\t%{family[0]}\t%{charset}\n"
	return []string{"fc-list", "--format", format, ":outline=true"}, []string{"fc-match", "-s", "--format", format, "sans-serif:outline=true"}
}

// ParseFontconfig reads fc-list's fonts and fc-match's sorted fallbacks, as lines of
// "color<TAB>file<TAB>family<TAB>charset" where charset is fontconfig's list of hex code points and
// ranges ("20-7e a0-17f 2013").
func ParseFontconfig(all, sorted []byte) (*Coverage, error) {
	c := &Coverage{files: map[string]charset{}, families: map[string]charset{}}
	var union []runeRange
	err := eachFont(all, func(colour bool, file, family string, cs charset) {
		c.files[file] = cs
		if _, ok := c.families[strings.ToLower(family)]; !ok {
			c.families[strings.ToLower(family)] = cs
		}
		if !colour {
			union = append(union, cs...)
		}
	})
	if err != nil {
		return nil, err
	}
	if len(union) == 0 {
		return nil, errors.New("fonts: fontconfig knows no outline font (install fonts-dejavu-core and the Noto fonts: scripts/deps.sh)")
	}
	c.ranges = merge(union)
	err = eachFont(sorted, func(colour bool, _, family string, cs charset) {
		// A family that cannot be named in a script is skipped (its characters come from the next).
		if !colour && fontRe.MatchString(family) {
			c.fallbacks = append(c.fallbacks, fallback{family, cs})
		}
	})
	return c, err
}

func eachFont(out []byte, f func(colour bool, file, family string, cs charset)) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), "\t", 4)
		if len(fields) != 4 {
			continue
		}
		var cs charset
		for _, tok := range strings.Fields(fields[3]) {
			lo, hi, ok := strings.Cut(tok, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.ParseUint(lo, 16, 32)
			b, err2 := strconv.ParseUint(hi, 16, 32)
			if err1 != nil || err2 != nil || b < a {
				return fmt.Errorf("fonts: fontconfig charset %q is not hex ranges", tok)
			}
			cs = append(cs, runeRange{rune(a), rune(b)})
		}
		f(strings.EqualFold(fields[0], "true"), fields[1], fields[2], merge(cs))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("fonts: reading fontconfig's list: %w", err)
	}
	return nil
}

func merge(rs []runeRange) charset {
	if len(rs) == 0 {
		return nil
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].lo < rs[j].lo })
	merged := []runeRange{rs[0]}
	for _, r := range rs[1:] {
		if last := &merged[len(merged)-1]; r.lo <= last.hi+1 {
			last.hi = max(last.hi, r.hi)
		} else {
			merged = append(merged, r)
		}
	}
	return merged
}

// Has reports whether some font draws r.
func (c *Coverage) Has(r rune) bool { return charset(c.ranges).has(r) }

// Known reports whether fontconfig knows the font file at path (libass then finds it by its family
// name; a file it does not know must be handed to libass through its directory).
func (c *Coverage) Known(path string) bool { _, ok := c.files[path]; return ok }

// run is text drawn in one font: family, or the style's own font when family is "".
type run struct{ family, text string }

// runs splits text into runs of one font each: the primary font (primary: its characters) where it
// has the character, else the first of fontconfig's fallbacks for sans-serif that has it (libass's
// own order). Naming each run's font in the script, instead of letting libass fall back, keeps it
// clear of libass's limit of about ten fallback fonts per style: a caption file in many scripts
// would draw boxes past it. Spaces, combining marks and invisible characters stay in the run before
// them, so that a cluster is shaped in one font.
func (c *Coverage) runs(primary charset, text string) []run {
	var out []run
	for _, r := range text {
		family := ""
		switch {
		case len(out) > 0 && (unicode.IsSpace(r) || invisible(r) || unicode.In(r, unicode.Mn, unicode.Me)):
			family = out[len(out)-1].family
		case primary == nil || primary.has(r) || unicode.IsSpace(r) || invisible(r):
		default:
			for _, f := range c.fallbacks {
				if f.cs.has(r) {
					family = f.family
					break
				}
			}
		}
		if n := len(out); n > 0 && out[n-1].family == family {
			out[n-1].text += string(r)
		} else {
			out = append(out, run{family, string(r)})
		}
	}
	return out
}

// fontText is text for a style whose font is family with charset primary: each run escaped
// (assText) and, where the font changes, a \fn override naming it.
func (c *Coverage) fontText(family string, primary charset, text string) string {
	var b strings.Builder
	current := ""
	for _, r := range c.runs(primary, text) {
		if r.family != current {
			fmt.Fprintf(&b, "{\\fn%s}", cmpOr(r.family, family))
			current = r.family
		}
		b.WriteString(assText(r.text))
	}
	return b.String()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// invisible are the characters HarfBuzz shapes but never draws (joiners, variation selectors, bidi
// marks): an emoji's U+FE0F or a Persian name's zero-width non-joiner needs no glyph.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r)
}

// Drawable is s without the characters no installed font draws, and those characters (each once, in
// order).
func (c *Coverage) Drawable(s string) (string, []rune) {
	var b strings.Builder
	var missing []rune
	for _, r := range s {
		if unicode.IsSpace(r) || invisible(r) || c.Has(r) {
			b.WriteRune(r)
			continue
		}
		if !containsRune(missing, r) {
			missing = append(missing, r)
		}
	}
	if missing == nil {
		return s, nil
	}
	return strings.Join(strings.Fields(b.String()), " "), missing
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// DescribeRunes names characters for a warning: `🥹 (U+1F979)`.
func DescribeRunes(rs []rune) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%c (U+%04X)", r, r))
	}
	return strings.Join(parts, ", ")
}

// face is how libass names a font file: its family, bold and italic.
type face struct {
	Family       string
	Bold, Italic bool
}

var faces sync.Map // path → face

// fontFace reads the family and style of a TrueType/OpenType font (or the first font of a
// collection) from its name table.
func fontFace(path string) (face, error) {
	if f, ok := faces.Load(path); ok {
		return f.(face), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return face{}, err
	}
	var f *sfnt.Font
	if coll, cerr := sfnt.ParseCollection(b); cerr == nil {
		f, err = coll.Font(0)
	} else {
		f, err = sfnt.Parse(b)
	}
	if err != nil {
		return face{}, fmt.Errorf("%s is not a TrueType or OpenType font: %w", filepath.Base(path), err)
	}
	family, err := f.Name(nil, sfnt.NameIDFamily)
	if err != nil || !fontRe.MatchString(family) {
		return face{}, fmt.Errorf("%s: its family name %q cannot be used (letters, digits, spaces, dots, dashes)", filepath.Base(path), family)
	}
	sub, _ := f.Name(nil, sfnt.NameIDSubfamily)
	sub = strings.ToLower(sub)
	fc := face{Family: family, Bold: strings.Contains(sub, "bold"), Italic: strings.Contains(sub, "italic") || strings.Contains(sub, "oblique")}
	faces.Store(path, fc)
	return fc, nil
}
