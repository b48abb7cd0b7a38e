package brand

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// Layout is where a branch's overlays go, in output pixels.
type Layout struct {
	Out         geom.Size
	BottomSafe  int // pixels at the bottom that the apps cover (20 % on 9:16, a small margin elsewhere)
	CaptionsTop int // captions are drawn below this line (0: no captions)
}

// LayoutFor places the overlays of an output: on 9:16 (safe) everything stays above the bottom 20 %;
// captions sit at the bottom of what is left and the lower-third above them.
func LayoutFor(out geom.Size, nine16 bool, captions bool, c Config) Layout {
	l := Layout{Out: out, BottomSafe: int(math.Round(0.05 * float64(out.H)))}
	if nine16 {
		l.BottomSafe = int(math.Round(0.20 * float64(out.H)))
	}
	if captions {
		// Two lines of captions with their outline and spacing.
		l.CaptionsTop = out.H - l.BottomSafe - int(math.Round(2.6*c.Captions.Size*float64(out.H)))
	}
	return l
}

// maxNameRunes bounds what is drawn of a name or campaign line: a lower-third is not a paragraph.
const maxNameRunes = 48

// Texts are a lower-third's two lines, cleaned.
type Texts struct {
	Name string `json:"name,omitempty"` // the artist's name
	Line string `json:"line,omitempty"` // the campaign line
}

// NewTexts cleans the artist's name and c's campaign line.
func NewTexts(artist string, c Config) Texts {
	return Texts{Name: clean(artist), Line: clean(c.Campaign)}
}

// Empty reports texts with nothing to draw.
func (t Texts) Empty() bool { return t.Name == "" && t.Line == "" }

// geometry is where a lower-third's parts go, in output pixels: text heights, the box padding, the
// text's left edge and the tops of its two lines, and the accent bar.
type geometry struct {
	nameSize, lineSize, pad float64
	textX, yName, yLine     float64
	left, bar, top, bottom  float64
}

// place lays the lower-third out low in the safe zone, above the captions when there are some.
func place(c Config, l Layout, t Texts) geometry {
	W, H := float64(l.Out.W), float64(l.Out.H)
	var g geometry
	g.left = math.Round(0.06 * W)
	g.bar = math.Max(4, math.Round(0.012*W))
	g.textX = g.left + g.bar + math.Round(0.02*W)
	room := W - g.textX - 0.06*W
	g.nameSize = fitSize(c.NameSize*H, room, t.Name)
	g.lineSize = fitSize(c.LineSize*H, room, t.Line)
	g.pad = math.Round(0.3 * g.lineSize)
	bottom := H - float64(l.BottomSafe)
	if l.CaptionsTop > 0 {
		bottom = float64(l.CaptionsTop)
	}
	bottom -= g.pad + math.Round(0.01*H)
	g.yLine = bottom - g.lineSize
	g.yName = g.yLine - 2*g.pad - g.nameSize
	if t.Line == "" {
		g.yName = bottom - g.nameSize
	}
	if t.Name == "" {
		g.yName = g.yLine
	}
	g.top, g.bottom = g.yName-g.pad, bottom+g.pad
	return g
}

// lowerThird writes the lower-third's events: the artist's name and the campaign line, each on its own
// translucent box, with an accent bar on their left, for the configured seconds.
func lowerThird(b *strings.Builder, c Config, g geometry, t Texts, text func(string) string) {
	start, end := c.ShowFrom, c.ShowFrom+c.ShowFor
	if c.ShowFor <= 0 {
		end = forever
	}
	fmt.Fprintf(b, "Dialogue: 0,%s,%s,Bar,,0,0,0,,{\\an7\\pos(0,0)\\p1}m %s %s l %s %s %s %s %s %s\n", assTime(start), assTime(end),
		num(g.left), num(g.top), num(g.left+g.bar), num(g.top), num(g.left+g.bar), num(g.bottom), num(g.left), num(g.bottom))
	for _, e := range []struct {
		style, text string
		y           float64
	}{{"Name", t.Name, g.yName}, {"Line", t.Line, g.yLine}} {
		if e.text != "" {
			fmt.Fprintf(b, "Dialogue: 1,%s,%s,%s,,0,0,0,,{\\an7\\pos(%s,%s)}%s\n", assTime(start), assTime(end), e.style, num(g.textX), num(e.y), text(e.text))
		}
	}
}

// fitSize shrinks a text height so that the text fits room pixels. Widths are estimated per character
// as shares of the text height (libass's size is the font's line height): about 0.55 for Latin, Greek,
// Cyrillic and most scripts in DejaVu Sans Bold or Noto, 0.75 for the wide CJK characters, nothing for
// combining marks.
func fitSize(size, room float64, text string) float64 {
	w := 0.0
	for _, r := range text {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me) || invisible(r):
		case wide(r):
			w += 0.75
		default:
			w += 0.55
		}
	}
	if w > 0 && size*w > room {
		size = room / w
	}
	return math.Max(8, math.Round(size))
}

// wide reports the characters drawn a full em wide: Han, kana, Hangul, fullwidth forms, emoji.
func wide(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0xFF00 && r <= 0xFF60) || (r >= 0x3000 && r <= 0x303F) || r >= 0x1F000
}

// clean keeps one line of printable text, at most maxNameRunes long.
func clean(s string) string {
	s = oneLine(s)
	if r := []rune(s); len(r) > maxNameRunes {
		s = strings.TrimSpace(string(r[:maxNameRunes-1])) + "…"
	}
	return s
}

// oneLine is s with every run of spaces and control characters made one space.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !isPrintable(r) }), " ")
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
