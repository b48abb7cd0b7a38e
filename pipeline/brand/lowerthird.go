package brand

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	ffmpeg "github.com/u2takey/ffmpeg-go"

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

// Texts are a lower-third's two lines, cleaned, and the files drawtext reads them from: user text is
// never put in a filter string.
type Texts struct {
	Name     string `json:"name,omitempty"` // the artist's name
	Line     string `json:"line,omitempty"` // the campaign line
	NameFile string `json:"-"`
	LineFile string `json:"-"`
}

// NewTexts cleans the artist's name and c's campaign line and names their files in jobDir (Write writes
// them).
func NewTexts(artist string, c Config, jobDir string) Texts {
	return Texts{Name: clean(artist), Line: clean(c.Campaign),
		NameFile: filepath.Join(jobDir, "brand_name.txt"), LineFile: filepath.Join(jobDir, "brand_line.txt")}
}

// Empty reports texts with nothing to draw.
func (t Texts) Empty() bool { return t.Name == "" && t.Line == "" }

// Write writes the texts' files (before the pass whose graph LowerThird built runs).
func (t Texts) Write() error {
	for _, f := range []struct{ text, path string }{{t.Name, t.NameFile}, {t.Line, t.LineFile}} {
		if f.text == "" {
			continue
		}
		if err := os.WriteFile(f.path, []byte(f.text), 0o644); err != nil {
			return fmt.Errorf("lower-third: %w", err)
		}
	}
	return nil
}

// LowerThird draws the artist's name and the campaign line, each on its own translucent box with an
// accent bar on the left, low in the safe zone, for the configured seconds. drawtext reads the texts
// from their files with expansion off; it only builds the graph (Texts.Write writes the files).
func LowerThird(s *ffmpeg.Stream, c Config, l Layout, t Texts) *ffmpeg.Stream {
	if !c.Enabled || t.Empty() {
		return s
	}
	name, line := t.Name, t.Line
	W, H := float64(l.Out.W), float64(l.Out.H)
	left := math.Round(0.06 * W)
	bar := math.Max(4, math.Round(0.012*W))
	textX := left + bar + math.Round(0.02*W)
	room := W - textX - 0.06*W
	nameSize := fitSize(c.NameSize*H, room, name)
	lineSize := fitSize(c.LineSize*H, room, line)
	pad := math.Round(0.3 * lineSize)
	bottom := H - float64(l.BottomSafe)
	if l.CaptionsTop > 0 {
		bottom = float64(l.CaptionsTop)
	}
	bottom -= pad + math.Round(0.01*H)
	yLine := bottom - lineSize
	yName := yLine - 2*pad - nameSize
	if line == "" {
		yName = bottom - nameSize
	}
	if name == "" {
		yName = yLine
	}
	enable := ""
	if c.ShowFor > 0 {
		enable = fmt.Sprintf("between(t,%s,%s)", num(c.ShowFrom), num(c.ShowFrom+c.ShowFor))
	}
	s = s.Filter("drawbox", nil, withEnable(ffmpeg.KwArgs{
		"x": num(left), "y": num(yName - pad), "w": num(bar), "h": num(bottom + pad - (yName - pad)),
		"color": c.AccentColor, "t": "fill",
	}, enable))
	draw := func(s *ffmpeg.Stream, text, file string, size, y float64) *ffmpeg.Stream {
		if text == "" {
			return s
		}
		return s.Filter("drawtext", nil, withEnable(ffmpeg.KwArgs{
			"fontfile": c.FontFile, "textfile": file, "expansion": "none", "fontsize": num(size),
			"fontcolor": c.TextColor, "x": num(textX), "y": num(y), "box": "1", "boxcolor": c.BoxColor,
			"boxborderw": num(pad),
		}, enable))
	}
	return draw(draw(s, name, t.NameFile, nameSize, yName), line, t.LineFile, lineSize, yLine)
}

func withEnable(k ffmpeg.KwArgs, enable string) ffmpeg.KwArgs {
	if enable != "" {
		k["enable"] = enable
	}
	return k
}

// fitSize shrinks a font size so that text of this many characters fits room pixels (DejaVu Sans Bold
// averages about 0.62 em per character).
func fitSize(size, room float64, text string) float64 {
	n := float64(len([]rune(text)))
	if n > 0 && size*0.62*n > room {
		size = room / (0.62 * n)
	}
	return math.Max(8, math.Round(size))
}

// clean keeps one line of printable text, at most maxNameRunes long.
func clean(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }), " ")
	if r := []rune(s); len(r) > maxNameRunes {
		s = strings.TrimSpace(string(r[:maxNameRunes-1])) + "…"
	}
	return s
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
