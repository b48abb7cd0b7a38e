package brand

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// Names and captions are the uploader's text, written into an ASS script: whatever they hold, each
// stays one event of plain text (no override block, no line break or hard space escape, no second
// event) and the script is built without error.
func FuzzOverlayScript(f *testing.F) {
	for _, s := range []string{"Ada Lovelace", issueName, `{\fs900\p1}m 0 0 l 9999 0`, "a\\Nb\\hc\\n", "x}\ny{", "\\{\\}", "محمد 2026", "\x00\r\n\u2028"} {
		f.Add(s, s)
	}
	c := DefaultConfig()
	c.Enabled = true
	fontOverride := regexp.MustCompile(`\{\\fn[A-Za-z0-9 ._-]+\}`)
	events := regexp.MustCompile(`(?m)^Dialogue: \d,[^,]*,[^,]*,(Name|Line|Caption|Bar),,0,0,0,,(.*)$`)
	fonts, err := systemCoverage()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, caption string) {
		texts := NewTexts(name, c)
		cues := []Cue{{Start: 0, End: time.Second, Text: caption}}
		o := Overlay{Config: c, Layout: LayoutFor(geom.Size{W: 1080, H: 1920}, true, true, c), Texts: texts, Cues: cues, Fonts: fonts}
		script, err := o.Script()
		if err != nil {
			t.Fatal(err)
		}
		body := string(script[strings.Index(string(script), "[Events]"):])
		lines := strings.Split(strings.TrimSpace(body), "\n")[2:]
		for _, l := range lines {
			m := events.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("not one of our events: %q", l)
			}
			text := m[2]
			if m[1] == "Bar" {
				continue
			}
			if m[1] != "Caption" {
				// Ours: the position block first.
				text = text[strings.Index(text, "}")+1:]
			}
			if m[1] == "Caption" {
				text = strings.ReplaceAll(text, `\N`, "") // ours, between the caption's lines
			}
			text = fontOverride.ReplaceAllString(text, "") // ours: the font of each run
			plain := strings.NewReplacer(`\{`, "", `\}`, "", "\\\u2060", "").Replace(text)
			if strings.ContainsAny(plain, `{}\`) {
				t.Fatalf("user text can reach libass as markup: %q", text)
			}
		}
	})
}
