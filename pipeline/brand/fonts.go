package brand

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
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
	ranges []runeRange // sorted, merged
	files  map[string]bool
}

type runeRange struct{ lo, hi rune }

// fcTimeout bounds the one fc-list a process runs (it reads fontconfig's cache: milliseconds).
const fcTimeout = 30 * time.Second

var systemCoverage = sync.OnceValues(func() (*Coverage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), fcTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "fc-list", "--format", "%{color}\t%{file}\t%{charset}\n", ":outline=true").Output()
	if err != nil {
		return nil, fmt.Errorf("fonts: fc-list (Debian package fontconfig, installed by scripts/deps.sh): %w", err)
	}
	return parseFcList(out)
})

// SystemCoverage is the coverage of this machine's fonts, read once per process with fc-list.
func SystemCoverage() (*Coverage, error) { return systemCoverage() }

// parseFcList reads lines of "color<TAB>file<TAB>charset" where charset is fontconfig's list of hex
// code points and ranges ("20-7e a0-17f 2013").
func parseFcList(out []byte) (*Coverage, error) {
	c := &Coverage{files: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 3)
		if len(f) != 3 {
			continue
		}
		c.files[f[1]] = true
		if strings.EqualFold(f[0], "true") {
			continue
		}
		for _, tok := range strings.Fields(f[2]) {
			lo, hi, ok := strings.Cut(tok, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.ParseUint(lo, 16, 32)
			b, err2 := strconv.ParseUint(hi, 16, 32)
			if err1 != nil || err2 != nil || b < a {
				return nil, fmt.Errorf("fonts: fc-list charset %q is not hex ranges", tok)
			}
			c.ranges = append(c.ranges, runeRange{rune(a), rune(b)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fonts: reading fc-list: %w", err)
	}
	if len(c.ranges) == 0 {
		return nil, errors.New("fonts: fontconfig knows no outline font (install fonts-dejavu-core and the Noto fonts: scripts/deps.sh)")
	}
	sort.Slice(c.ranges, func(i, j int) bool { return c.ranges[i].lo < c.ranges[j].lo })
	merged := c.ranges[:1]
	for _, r := range c.ranges[1:] {
		if last := &merged[len(merged)-1]; r.lo <= last.hi+1 {
			last.hi = max(last.hi, r.hi)
		} else {
			merged = append(merged, r)
		}
	}
	c.ranges = merged
	return c, nil
}

// Has reports whether some font draws r.
func (c *Coverage) Has(r rune) bool {
	i := sort.Search(len(c.ranges), func(i int) bool { return c.ranges[i].hi >= r })
	return i < len(c.ranges) && c.ranges[i].lo <= r
}

// Known reports whether fontconfig knows the font file at path (libass then finds it by its family
// name; a file it does not know must be handed to libass through its directory).
func (c *Coverage) Known(path string) bool { return c.files[path] }

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
