package brand

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// names are what crews and artists write their names in, one per script the README promises.
var names = []struct{ script, text string }{
	{"Latin", "Niccolò Ñúñez Łukasz Žižek Ørsted Şahin Ðorđe Nguyễn Thủy Åsa Ævar Œuvre"},
	{"Greek", "Γιώργος Σεφέρης"},
	{"Cyrillic", "Анна Ахматова Їжак Ђорђе"},
	{"Armenian", "Արամ Խաչատրյան"},
	{"Georgian", "ნინო ქათამაძე"},
	{"Arabic", "محمد عبد الوهاب"},
	{"Persian", "شجریان می‌خواند"},
	{"Hebrew", "דוד בן־גוריון"},
	{"Devanagari", "अमिताभ बच्चन क्षमा"},
	{"Bengali", "রবীন্দ্রনাথ ঠাকুর"},
	{"Gurmukhi", "ਗੁਰੂ ਨਾਨਕ"},
	{"Gujarati", "ગાંધી"},
	{"Tamil", "இளையராஜா"},
	{"Telugu", "చిరంజీవి"},
	{"Kannada", "ರಾಜ್‌ಕುಮಾರ್"},
	{"Malayalam", "മോഹൻലാൽ"},
	{"Sinhala", "සිංහල"},
	{"Thai", "ธงไชย แมคอินไตย์"},
	{"Ethiopic", "ኃይሌ ገብረሥላሴ"},
	{"Chinese", "王菲 周杰倫"},
	{"Japanese", "坂本龍一 宇多田ヒカル きゃりーぱみゅぱみゅ"},
	{"Korean", "방탄소년단 김정은"},
	{"Emoji", "🎸 🎤 ❤️ 👩‍🎤 🥁"},
}

// The issue's example, whole.
const issueName = "坂本龍一 🎸 Niccolò"

// Every character of every script is in a font fontconfig knows (asked once per character, with
// fc-list, apart from the Coverage the pipeline uses), and Coverage agrees; an emoji newer than the

// systemCoverage is this machine's coverage as the service reads it (package fontconfig, which this
// package's tests cannot import): the same queries, run once.
var systemCoverage = sync.OnceValues(func() (*Coverage, error) {
	all, sorted := FontconfigQueries()
	listed, err := exec.Command(all[0], all[1:]...).Output()
	if err != nil {
		return nil, err
	}
	fallbacks, err := exec.Command(sorted[0], sorted[1:]...).Output()
	if err != nil {
		return nil, err
	}
	return ParseFontconfig(listed, fallbacks)
})

// fonts and an unassigned code point are missing from both.
func TestFontconfigCoversEveryScript(t *testing.T) {
	cov, err := systemCoverage()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[rune]bool{}
	for _, n := range append(names, struct{ script, text string }{"issue", issueName}) {
		for _, r := range n.text {
			if seen[r] || unicode.IsSpace(r) || invisible(r) {
				continue
			}
			seen[r] = true
			fonts := fcFonts(t, r)
			if fonts == "" {
				t.Errorf("%s: no installed font has %c (U+%04X)", n.script, r, r)
			}
			if !cov.Has(r) {
				t.Errorf("%s: Coverage misses %c (U+%04X), which %s has", n.script, r, r, fonts)
			}
		}
		if kept, missing := cov.Drawable(n.text); kept != n.text || missing != nil {
			t.Errorf("%s: Drawable(%q) = %q, %q", n.script, n.text, kept, missing)
		}
	}
	for _, r := range []rune{0x1F979, 0x0378, 0xE000} {
		if cov.Has(r) || fcFonts(t, r) != "" {
			t.Errorf("U+%04X: a font has it; the negative control needs a character no font has", r)
		}
	}
	kept, missing := cov.Drawable("Ada 🥹 Lovelace\u0378")
	if kept != "Ada Lovelace" || len(missing) != 2 || DescribeRunes(missing) != "🥹 (U+1F979), \u0378 (U+0378)" {
		t.Errorf("Drawable: %q %q", kept, DescribeRunes(missing))
	}
	t.Logf("%d characters checked", len(seen))
}

func fcFonts(t *testing.T, r rune) string {
	t.Helper()
	out, err := exec.Command("fc-list", fmt.Sprintf(":outline=true:charset=%x", r), "family").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// Each name drawn as a lower-third and as a caption, by the pipeline's own script and filter: libass
// reports no character for which it found no font (it logs "failed to find any fallback" when it
// draws the missing-glyph box: the control with an emoji no font has shows that it does).
func TestLibassFindsAFontForEveryScript(t *testing.T) {
	c := DefaultConfig()
	c.Enabled, c.ShowFrom, c.ShowFor = true, 0, 10
	render := func(t *testing.T, text string) string {
		dir := t.TempDir()
		c := c
		c.Campaign = text
		cues := []Cue{{Start: 0, End: 5e9, Text: text}}
		s := overlaid(t, dir, geom.Size{W: 1080, H: 1920}, c, NewTexts(text, c), cues)
		args := append([]string{"-hide_banner", "-nostdin", "-v", "verbose", "-y"}, s.Output(filepath.Join(dir, "f.png"), ffmpeg.KwArgs{"frames:v": "1", "update": "1"}).GetArgs()...)
		b, err := exec.Command("ffmpeg", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, b)
		}
		return string(b)
	}
	missed := regexp.MustCompile(`failed to find any fallback with glyph 0x([0-9A-F]+)|Glyph 0x([0-9A-F]+) not found in font`)
	every := ""
	for _, n := range names {
		every += n.text + " "
	}
	// Every script in one caption: past about ten fallback fonts per style libass would draw boxes.
	for _, n := range append(names, struct{ script, text string }{"issue", issueName}, struct{ script, text string }{"every script in one caption", every}) {
		t.Run(n.script, func(t *testing.T) {
			t.Parallel()
			log := render(t, n.text)
			if m := missed.FindAllString(log, -1); m != nil {
				t.Errorf("%q: libass draws boxes: %v", n.text, m)
			}
			if !strings.Contains(log, "fontselect:") {
				t.Errorf("libass logged no font choice: is the log level wrong?\n%s", log)
			}
		})
	}
	t.Run("control", func(t *testing.T) {
		t.Parallel()
		if m := missed.FindAllStringSubmatch(render(t, "Ada 🥹"), -1); len(m) == 0 || m[0][1] != "1F979" {
			t.Errorf("an emoji no font has was not reported: %v", m)
		}
	})
}

// cellW×cellH is one drawing of the glyph grid; glyphs are drawn white, 64 lines high, on black.
const (
	cellW, cellH, cols = 320, 128, 6
	glyphSize          = 64
)

// renderCells draws each text in its own cell of one frame, through the ass filter with the given
// shaping, in the campaign's bold font with the fallbacks the overlay names, and returns each cell's
// pixels.
func renderCells(t *testing.T, texts []string, shaping string) []*image.Gray {
	t.Helper()
	dir := t.TempDir()
	rows := (len(texts) + cols - 1) / cols
	W, H := cols*cellW, rows*cellH
	var b strings.Builder
	fmt.Fprintf(&b, "[Script Info]\nScriptType: v4.00+\nPlayResX: %d\nPlayResY: %d\nWrapStyle: 2\nYCbCr Matrix: None\n\n", W, H)
	b.WriteString("[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n")
	fmt.Fprintf(&b, "Style: G,DejaVu Sans,%d,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,-1,0,0,0,100,100,0,0,1,0,0,7,0,0,0,-1\n\n", glyphSize)
	b.WriteString("[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")
	cov, err := systemCoverage()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		// As the overlay writes text: each run in the font that has it.
		text := cov.fontText("DejaVu Sans", cov.files[DefaultFont], s)
		fmt.Fprintf(&b, "Dialogue: 0,0:00:00.00,0:00:05.00,G,,0,0,0,,{\\pos(%d,%d)}%s\n", i%cols*cellW+16, i/cols*cellH+24, text)
	}
	script := filepath.Join(dir, "cells.ass")
	if err := os.WriteFile(script, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "cells.png")
	s := ffmpeg.Input(fmt.Sprintf("color=c=black:s=%dx%d:d=1:r=1", W, H), ffmpeg.KwArgs{"f": "lavfi"}).Get("0").
		Filter("ass", nil, ffmpeg.KwArgs{"filename": script, "shaping": shaping})
	args := append([]string{"-hide_banner", "-nostdin", "-v", "error", "-y"}, s.Output(png, ffmpeg.KwArgs{"frames:v": "1", "update": "1"}).GetArgs()...)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	g := readGray(t, png)
	cells := make([]*image.Gray, len(texts))
	for i := range texts {
		r := image.Rect(i%cols*cellW, i/cols*cellH, i%cols*cellW+cellW, i/cols*cellH+cellH)
		cells[i] = g.SubImage(r).(*image.Gray)
	}
	return cells
}

// ink is the bounding box of a cell's drawn pixels, relative to the cell, and how many there are.
func ink(g *image.Gray) (image.Rectangle, int) {
	box, n := image.Rectangle{}, 0
	for y := g.Rect.Min.Y; y < g.Rect.Max.Y; y++ {
		for x := g.Rect.Min.X; x < g.Rect.Max.X; x++ {
			if g.GrayAt(x, y).Y > 128 {
				p := image.Pt(x-g.Rect.Min.X, y-g.Rect.Min.Y)
				box = box.Union(image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))})
				n++
			}
		}
	}
	return box, n
}

// sameDrawing is the share of drawn pixels two cells have in common (1: the same drawing).
func sameDrawing(a, b *image.Gray) float64 {
	both, either := 0, 0
	for y := 0; y < cellH; y++ {
		for x := 0; x < cellW; x++ {
			pa := a.GrayAt(a.Rect.Min.X+x, a.Rect.Min.Y+y).Y > 128
			pb := b.GrayAt(b.Rect.Min.X+x, b.Rect.Min.Y+y).Y > 128
			if pa && pb {
				both++
			}
			if pa || pb {
				either++
			}
		}
	}
	if either == 0 {
		return 1
	}
	return float64(both) / float64(either)
}

// Rendered: every character of every name, drawn alone (a combining mark on a dotted circle), is
// some drawing and not the missing-glyph box, which the controls (an unassigned code point, an emoji
// no font has, a private-use character) are. One frame per script, and one frame of every script at
// once: libass itself keeps only about ten fallback fonts per style (past them it drew boxes), which
// the overlay avoids by naming each run's font.
func TestNoCharacterIsDrawnAsABox(t *testing.T) {
	controls := []string{"\u0378", "🥹", "\uE000"}
	every := ""
	for _, n := range names {
		every += n.text
	}
	for _, n := range append(names, struct{ script, text string }{"issue", issueName}, struct{ script, text string }{"every script in one frame", every}) {
		t.Run(n.script, func(t *testing.T) {
			t.Parallel()
			var texts []string
			seen := map[rune]bool{}
			for _, r := range n.text {
				if seen[r] || unicode.IsSpace(r) || invisible(r) {
					continue
				}
				seen[r] = true
				s := string(r)
				if unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) {
					s = "\u25cc" + s
				}
				texts = append(texts, s)
			}
			cells := renderCells(t, append(controls, texts...), "complex")
			tofu := cells[0]
			if _, n := ink(tofu); n < 100 {
				t.Fatalf("the missing-glyph box draws %d pixels", n)
			}
			for i := 1; i < len(controls); i++ {
				if s := sameDrawing(tofu, cells[i]); s < 0.95 {
					t.Fatalf("control %q is not drawn as the box (%.2f alike): the check cannot see boxes", controls[i], s)
				}
			}
			worst := 0.0
			for i, s := range texts {
				c := cells[len(controls)+i]
				r := []rune(s)[len([]rune(s))-1]
				if _, n := ink(c); n < 20 {
					t.Errorf("%q (U+%04X) draws nothing (%d pixels)", s, r, n)
					continue
				}
				alike := sameDrawing(tofu, c)
				worst = max(worst, alike)
				if alike > 0.8 {
					t.Errorf("%q (U+%04X) is drawn as the missing-glyph box (%.2f alike)", s, r, alike)
				}
			}
			t.Logf("%d characters drawn; the most box-like is %.2f alike", len(texts), worst)
		})
	}
}

// Rendered: shaping and direction. Devanagari's क्ष is one conjunct under HarfBuzz (narrower than
// the three glyphs FriBidi-only shaping draws, which is what ffmpeg's subtitles filter does);
// Arabic letters join (four medial behs are narrower than four isolated ones); Hebrew runs right to
// left (in של the lamed, whose stroke rises highest, is on the left).
func TestShapedAndInTheirDirection(t *testing.T) {
	texts := []string{"क्ष", "بببب", "ب", "של"}
	complexCells := renderCells(t, texts, "complex")
	simple := renderCells(t, texts[:1], "simple")
	width := func(g *image.Gray) int { b, _ := ink(g); return b.Dx() }
	if wc, ws := width(complexCells[0]), width(simple[0]); wc*10 > ws*8 {
		t.Errorf("क्ष is %d px wide shaped, %d px with FriBidi only: not a conjunct", wc, ws)
	} else {
		t.Logf("क्ष: %d px shaped, %d px unshaped", wc, ws)
	}
	if joined, alone := width(complexCells[1]), width(complexCells[2]); joined*4 > alone*4*3 {
		t.Errorf("four behs are %d px wide, one alone %d px: the letters do not join", joined, alone)
	} else {
		t.Logf("بببب: %d px; ب alone: %d px", joined, alone)
	}
	g := complexCells[3]
	box, _ := ink(g)
	top := -1
	for y := box.Min.Y; y < box.Max.Y && top < 0; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			if g.GrayAt(g.Rect.Min.X+x, g.Rect.Min.Y+y).Y > 128 {
				top = x
				break
			}
		}
	}
	if mid := (box.Min.X + box.Max.X) / 2; top >= mid {
		t.Errorf("של: the highest stroke is at x=%d, right of the middle %d: drawn left to right", top, mid)
	}
}

// Runs: each script in the font that has it, the campaign's font where it has the character, and
// spaces, combining marks and joiners kept in the run before them.
func TestRuns(t *testing.T) {
	cov, err := systemCoverage()
	if err != nil {
		t.Fatal(err)
	}
	dejavu := cov.files[DefaultFont]
	for _, tc := range []struct{ text, want string }{
		{issueName, "{\\fnNoto Sans CJK JP}坂本龍一 {\\fnSymbola}🎸 {\\fnDejaVu Sans}Niccolò"},
		{"Nicco\u0300lo", "Nicco\u0300lo"},
		{`a{b}\N`, "a\\{b\\}\\\u2060N"},
	} {
		if got := cov.fontText("DejaVu Sans", dejavu, tc.text); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.text, got, tc.want)
		}
	}
	// A Persian word with its zero-width non-joiner (DejaVu has Arabic letters) and Devanagari with its
	// vowel signs and virama (DejaVu has none): one run each, never split inside the word.
	for _, text := range []string{"می\u200cخواند", "अमिताभ क्षमा"} {
		got := cov.fontText("DejaVu Sans", dejavu, text)
		if strings.Count(got, "{\\fn") > 1 || !strings.HasSuffix(got, text) || strings.Contains(got, "{\\fnDejaVu") {
			t.Errorf("%q: %q, want one run in a font of its script", text, got)
		}
	}
}
