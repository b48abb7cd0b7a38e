// Package brand draws a campaign's look on social crops in the same ffmpeg pass: a lower-third with
// the artist's name and the campaign line, and captions burned in from a .srt/.vtt the artist or team
// supplies (also converted to WebVTT for publishing as caption/vtt). Everything stays inside the
// safe zone of the apps (on 9:16, away from the top 14 % and the bottom 20 %).
//
// It owns the overlay script and the caption file formats; user text never enters a filter string: it
// is written, escaped, into an ASS script in the job directory that libass draws (overlay.go, fonts.go).
// It runs nothing, so that the plan may carry its types: package fontconfig reads which characters the
// installed fonts draw, and package ffcmd adds the ass filter (AssOptions) to the pass.
package brand

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"

	"gopkg.in/yaml.v3"
)

// Config is one campaign's look. The zero value draws nothing; DefaultConfig is a sober style to
// start a campaign file from (configs/campaigns/*.yaml).
type Config struct {
	Enabled     bool     `yaml:"enabled" json:"enabled"`           // draw the lower-third at all
	Campaign    string   `yaml:"campaign" json:"campaign"`         // the second line, under the artist's name
	FontFile    string   `yaml:"font_file" json:"font_file"`       // a TrueType/OpenType font (fonts-dejavu-core's by default); other scripts fall back to the Noto fonts
	TextColor   string   `yaml:"text_color" json:"text_color"`     // a CSS colour name or 0xRRGGBB, optionally @opacity
	BoxColor    string   `yaml:"box_color" json:"box_color"`       // behind the text
	AccentColor string   `yaml:"accent_color" json:"accent_color"` // the bar left of the text
	NameSize    float64  `yaml:"name_size" json:"name_size"`       // text height as a share of the output's height
	LineSize    float64  `yaml:"line_size" json:"line_size"`
	ShowFrom    float64  `yaml:"show_from" json:"show_from"` // seconds: when the lower-third appears...
	ShowFor     float64  `yaml:"show_for" json:"show_for"`   // ...and for how long (0: the whole clip)
	Captions    Captions `yaml:"captions" json:"captions"`
}

// Captions is how burned-in captions look.
type Captions struct {
	Font    string  `yaml:"font" json:"font"`       // a font family fontconfig knows
	Size    float64 `yaml:"size" json:"size"`       // text height as a share of the output's height
	Colour  string  `yaml:"colour" json:"colour"`   // 0xRRGGBB
	Outline string  `yaml:"outline" json:"outline"` // 0xRRGGBB
}

// DefaultFont is Debian's DejaVu Sans Bold (fonts-dejavu-core, installed by scripts/deps.sh and the
// Dockerfile).
const DefaultFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

// DefaultConfig is the starting point of a campaign file: white on a dark translucent box, a red
// accent, shown from 0.5 s for 6 s.
func DefaultConfig() Config {
	return Config{
		FontFile: DefaultFont, TextColor: "white", BoxColor: "black@0.6", AccentColor: "0xE4003A",
		NameSize: 0.045, LineSize: 0.03, ShowFrom: 0.5, ShowFor: 6,
		Captions: Captions{Font: "DejaVu Sans", Size: 0.045, Colour: "0xFFFFFF", Outline: "0x000000"},
	}
}

// Parse reads a campaign file's bytes over DefaultConfig and validates them. Unknown keys are refused:
// a misspelt key would otherwise be ignored without a word.
func Parse(b []byte) (Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, err
	}
	return c, c.Validate()
}

var (
	colourRe = regexp.MustCompile(`^([a-zA-Z]+|0x[0-9a-fA-F]{6})(@(0(\.[0-9]+)?|1(\.0+)?))?$`)
	hexRe    = regexp.MustCompile(`^0x[0-9a-fA-F]{6}$`)
	fontRe   = regexp.MustCompile(`^[A-Za-z0-9 ._-]{1,64}$`)
	// A font file's directory may go into the filter (fontsdir): nothing a filter string would read.
	fontPathRe = regexp.MustCompile(`^/[A-Za-z0-9/._ -]{1,250}$`)
)

// Validate checks that every value is safe to put in a filter string and makes sense.
func (c Config) Validate() error {
	var errs []error
	for name, v := range map[string]string{"text_color": c.TextColor, "box_color": c.BoxColor, "accent_color": c.AccentColor} {
		if _, err := assColour(v); err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not a colour (a name such as white, or 0xRRGGBB, optionally @0.5)", name, v))
		}
	}
	for name, v := range map[string]string{"captions.colour": c.Captions.Colour, "captions.outline": c.Captions.Outline} {
		if !hexRe.MatchString(v) {
			errs = append(errs, fmt.Errorf("%s %q must be 0xRRGGBB", name, v))
		}
	}
	if !fontRe.MatchString(c.Captions.Font) {
		errs = append(errs, fmt.Errorf("captions.font %q: letters, digits, spaces, dots, dashes only", c.Captions.Font))
	}
	if c.NameSize <= 0 || c.NameSize > 0.15 || c.LineSize <= 0 || c.LineSize > 0.15 || c.Captions.Size <= 0 || c.Captions.Size > 0.15 {
		errs = append(errs, errors.New("name_size, line_size and captions.size must be in (0, 0.15]"))
	}
	if c.ShowFrom < 0 || c.ShowFor < 0 {
		errs = append(errs, errors.New("show_from and show_for must not be negative"))
	}
	if c.Enabled {
		if !fontPathRe.MatchString(c.FontFile) {
			errs = append(errs, fmt.Errorf("font_file %q: an absolute path of letters, digits, slashes, dots, dashes, underscores", c.FontFile))
		} else if _, err := fontFace(c.FontFile); err != nil {
			errs = append(errs, fmt.Errorf("font_file: %w (install fonts-dejavu-core or name another TrueType font)", err))
		}
	}
	return errors.Join(errs...)
}
