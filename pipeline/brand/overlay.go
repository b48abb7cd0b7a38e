package brand

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"golang.org/x/image/colornames"
)

// The lower-third and the captions of an output are one ASS script drawn by libass (ffmpeg's ass
// filter) with HarfBuzz shaping: libass falls back through fontconfig to a font that has each
// character, HarfBuzz joins Arabic and orders Devanagari's vowel signs, FriBidi puts right-to-left
// text in its order (each line's direction is its first strong character's). ffmpeg 5.1's drawtext
// draws with one font file and does neither, and its subtitles filter shapes "simple" (FriBidi only),
// which breaks Indic scripts: both are avoided.

// Overlay is everything drawn on one output.
type Overlay struct {
	Config Config
	Layout Layout
	Texts  Texts     // drawn when Config.Enabled
	Cues   []Cue     // burned in when there are some
	Fonts  *Coverage // what the installed fonts draw (package fontconfig reads it)
}

// forever ends a lower-third shown for the whole clip (ASS times need an end).
const forever = 99 * 3600.0

// Script is the overlay as an ASS script whose coordinates are the output's pixels. User text is
// escaped so that it can only ever be text: libass reads no override tag, line break or drawing
// from it.
func (o Overlay) Script() ([]byte, error) {
	c, l := o.Config, o.Layout
	W, H := l.Out.W, l.Out.H
	var b strings.Builder
	fmt.Fprintf(&b, "[Script Info]\nScriptType: v4.00+\nPlayResX: %d\nPlayResY: %d\nWrapStyle: 0\nScaledBorderAndShadow: yes\nYCbCr Matrix: None\n\n", W, H)
	b.WriteString("[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n")
	cov := o.Fonts
	if cov == nil {
		return nil, errors.New("overlay: the fonts' coverage is missing")
	}
	var err error
	lower := c.Enabled && !o.Texts.Empty()
	var f face
	if lower {
		f, err = fontFace(c.FontFile)
		if err != nil {
			return nil, fmt.Errorf("lower-third: font_file: %w", err)
		}
		text, err1 := assColour(c.TextColor)
		box, err2 := assColour(c.BoxColor)
		accent, err3 := assColour(c.AccentColor)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("lower-third: %w", errors.Join(err1, err2, err3))
		}
		g := place(c, l, o.Texts)
		// BorderStyle 4 (libass): one box in BackColour around each line, Outline pixels wider
		// than the text; Encoding -1: the line's direction is its first strong character's.
		for _, s := range []struct {
			name string
			size float64
		}{{"Name", g.nameSize}, {"Line", g.lineSize}} {
			fmt.Fprintf(&b, "Style: %s,%s,%s,%s,%s,&HFF000000,%s,%s,%s,0,0,100,100,0,0,4,%s,0,7,0,0,0,-1\n",
				s.name, f.Family, num(s.size), text, text, box, assBool(f.Bold), assBool(f.Italic), num(g.pad))
		}
		fmt.Fprintf(&b, "Style: Bar,%s,20,%s,%s,&HFF000000,&HFF000000,0,0,0,0,100,100,0,0,1,0,0,7,0,0,0,1\n", f.Family, accent, accent)
	}
	if len(o.Cues) > 0 {
		cc := c.Captions
		colour, err1 := assColour(cc.Colour)
		outline, err2 := assColour(cc.Outline)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("captions: %w", errors.Join(err1, err2))
		}
		// Sizes as they were under ffmpeg's 288-line SRT script: an outline of 1.2 lines of 288. The
		// outline is drawn around the text, so the margin keeps it out of the bottom band too.
		side := int(math.Round(0.06 * float64(W)))
		border := math.Round(1.2*float64(H)/288*10) / 10
		fmt.Fprintf(&b, "Style: Caption,%s,%d,%s,%s,%s,&H00000000,0,0,0,0,100,100,0,0,1,%s,0,2,%d,%d,%d,-1\n",
			cc.Font, int(math.Round(cc.Size*float64(H))), colour, colour, outline, num(border), side, side, l.BottomSafe+int(math.Ceil(border)))
	}
	b.WriteString("\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")
	if lower {
		primary := cov.files[c.FontFile]
		lowerThird(&b, c, place(c, l, o.Texts), o.Texts, func(s string) string { return cov.fontText(f.Family, primary, s) })
	}
	captionFont := cov.families[strings.ToLower(c.Captions.Font)]
	for _, cue := range o.Cues {
		var lines []string
		for _, line := range strings.Split(cue.Text, "\n") {
			if line = oneLine(line); line != "" {
				lines = append(lines, cov.fontText(c.Captions.Font, captionFont, line))
			}
		}
		if len(lines) > 0 {
			fmt.Fprintf(&b, "Dialogue: 2,%s,%s,Caption,,0,0,0,,%s\n", assTime(cue.Start.Seconds()), assTime(cue.End.Seconds()), strings.Join(lines, `\N`))
		}
	}
	return []byte(b.String()), nil
}

// AssOptions are the options of the ass filter that draws the overlay script at file on a branch
// (package ffcmd adds the filter), with complex (HarfBuzz) shaping. A campaign font that fontconfig
// does not know (or fonts nil: its coverage could not be read) is handed to libass by its directory.
func AssOptions(c Config, file string, fonts *Coverage) map[string]any {
	k := map[string]any{"filename": file, "shaping": "complex"}
	if c.Enabled && c.FontFile != "" && (fonts == nil || !fonts.Known(c.FontFile)) {
		k["fontsdir"] = filepath.Dir(c.FontFile)
	}
	return k
}

// assText makes user text literal for libass: a backslash cannot start an escape (\N, \h) once a word
// joiner follows it, and braces, which open override blocks, are escaped.
func assText(s string) string {
	s = strings.ReplaceAll(s, `\`, "\\\u2060")
	s = strings.ReplaceAll(s, "{", `\{`)
	return strings.ReplaceAll(s, "}", `\}`)
}

// assTime is H:MM:SS.cc.
func assTime(sec float64) string {
	cs := int64(math.Round(sec * 100))
	d := time.Duration(cs) * 10 * time.Millisecond
	return fmt.Sprintf("%d:%02d:%02d.%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60, cs%100)
}

func assBool(b bool) string {
	if b {
		return "-1"
	}
	return "0"
}

// assColour turns an ffmpeg colour (a name, or 0xRRGGBB, optionally @opacity) into ASS's &HAABBGGRR,
// whose alpha is a transparency.
func assColour(v string) (string, error) {
	if !colourRe.MatchString(v) {
		return "", fmt.Errorf("%q is not a colour", v)
	}
	name, alpha, _ := strings.Cut(v, "@")
	opacity := 1.0
	if alpha != "" {
		if _, err := fmt.Sscanf(alpha, "%g", &opacity); err != nil {
			return "", fmt.Errorf("%q: bad opacity", v)
		}
	}
	var r, g, b uint8
	if strings.HasPrefix(name, "0x") {
		if _, err := fmt.Sscanf(name[2:], "%02x%02x%02x", &r, &g, &b); err != nil {
			return "", fmt.Errorf("%q is not 0xRRGGBB", v)
		}
	} else {
		c, ok := colornames.Map[strings.ToLower(name)]
		if !ok {
			return "", fmt.Errorf("%q is not a colour name (CSS names such as white, black, crimson)", name)
		}
		r, g, b = c.R, c.G, c.B
	}
	a := uint8(math.Round((1 - opacity) * 255))
	return fmt.Sprintf("&H%02X%02X%02X%02X", a, b, g, r), nil
}

// isPrintable keeps what a lower-third or a caption line can show.
func isPrintable(r rune) bool { return unicode.IsPrint(r) || invisible(r) }
