package brand

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/geom"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", "golden"), name, got, *update)
}

const sampleSRT = "1\r\n00:00:00,200 --> 00:00:02,500\r\nGrazie a tutta la crew\r\n\r\n2\r\n00:00:02,600 --> 00:00:04,000\r\n{\\i1}dietro le quinte{\\i0}\r\n"

func TestParseCaptions(t *testing.T) {
	cues, err := ParseCaptions([]byte("\xef\xbb\xbf" + sampleSRT))
	if err != nil {
		t.Fatal(err)
	}
	if len(cues) != 2 || cues[0].Start != 200*time.Millisecond || cues[1].End != 4*time.Second || cues[1].Text != "dietro le quinte" {
		t.Fatalf("srt: %+v", cues)
	}
	// The WebVTT it writes reads back the same.
	back, err := ParseCaptions(WebVTT(cues))
	if err != nil || len(back) != 2 || back[0] != cues[0] || back[1] != cues[1] {
		t.Fatalf("vtt round trip: %+v %v\n%s", back, err, WebVTT(cues))
	}
	vtt := "WEBVTT\n\nNOTE made by hand\n\n00:01.000 --> 00:02.000 line:80%\nciao\n\n01:00:00.000 --> 01:00:01.500\nlast\n"
	if cues, err := ParseCaptions([]byte(vtt)); err != nil || len(cues) != 2 || cues[1].Start != time.Hour {
		t.Fatalf("vtt: %+v %v", cues, err)
	}
	for name, bad := range map[string]string{
		"backwards": "1\n00:00:03,000 --> 00:00:01,000\nx\n",
		"garbled":   "1\n00:00:xx --> 00:00:01,000\nx\n",
		"empty":     "WEBVTT\n",
		"latin1":    "1\n00:00:01,000 --> 00:00:02,000\ncaf\xe9\n",
		"too big":   strings.Repeat("a", MaxCaptionBytes+1),
		"seconds":   "1\n00:00:75,000 --> 00:00:76,000\nx\n",
	} {
		if _, err := ParseCaptions([]byte(bad)); !errors.Is(err, ErrCaptions) {
			t.Errorf("%s: %v, want a captions error", name, err)
		}
	}
}

func TestValidate(t *testing.T) {
	c := DefaultConfig()
	c.Enabled = true
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, mut := range map[string]func(*Config){
		"colour injection": func(c *Config) { c.TextColor = "white:fontfile=/etc/passwd" },
		"font injection":   func(c *Config) { c.Captions.Font = "x,MarginV=0" },
		"hex":              func(c *Config) { c.Captions.Colour = "red" },
		"size":             func(c *Config) { c.NameSize = 0.5 },
		"font file":        func(c *Config) { c.FontFile = "/nonexistent.ttf" },
		"not a font":       func(c *Config) { c.FontFile = "/etc/hostname" },
		"font path":        func(c *Config) { c.FontFile = "/usr/share/fonts/x:fontsdir=/etc.ttf" },
		"colour name":      func(c *Config) { c.BoxColor = "notacolour@0.5" },
	} {
		c := DefaultConfig()
		c.Enabled = true
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	got, err := Parse([]byte("enabled: true\ncampaign: Dietro le quinte\naccent_color: 0x00AA55\n"))
	if err != nil || got.Campaign != "Dietro le quinte" || got.AccentColor != "0x00AA55" || got.TextColor != "white" {
		t.Fatalf("load: %+v %v", got, err)
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "configs", "campaigns", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(example); err != nil {
		t.Fatalf("the example campaign: %v", err)
	}
}

func branded(t *testing.T, dir string, out geom.Size) *ffmpeg.Stream {
	c := DefaultConfig()
	c.Enabled, c.Campaign, c.ShowFrom, c.ShowFor = true, "Dietro le quinte · #crewvisibile", 0, 10
	cues, err := ParseCaptions([]byte(sampleSRT))
	if err != nil {
		t.Fatal(err)
	}
	return overlaid(t, dir, out, c, NewTexts("Ada  Lovelace\n(live)", c), cues)
}

// overlaid is a grey picture of size out with the overlay drawn, as the pipeline does it: the script
// written in the job's directory, then drawn by the ass filter.
func overlaid(t *testing.T, dir string, out geom.Size, c Config, texts Texts, cues []Cue) *ffmpeg.Stream {
	t.Helper()
	fonts, err := systemCoverage()
	if err != nil {
		t.Fatal(err)
	}
	o := Overlay{Config: c, Layout: LayoutFor(out, out.W*16 == out.H*9, len(cues) > 0, c), Texts: texts, Cues: cues, Fonts: fonts}
	script, err := o.Script()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "overlay.ass")
	if err := os.WriteFile(file, script, 0o644); err != nil {
		t.Fatal(err)
	}
	s := ffmpeg.Input("color=c=0x808080:s="+sizeArg(out)+":d=3:r=25", ffmpeg.KwArgs{"f": "lavfi"}).Get("0")
	return s.Filter("ass", nil, AssOptions(c, file, fonts))
}

func sizeArg(s geom.Size) string { return itoa(s.W) + "x" + itoa(s.H) }
func itoa(n int) string          { return num(float64(n)) }

func TestGoldenBrandFilters(t *testing.T) {
	dir := t.TempDir()
	args := strings.Join(branded(t, dir, geom.Size{W: 1080, H: 1920}).Output("/job/crop_9x16.mp4").GetArgs(), "\n")
	golden(t, "lower_third_captions_9x16.argv.txt", []byte(strings.ReplaceAll(args, dir, "/job")+"\n"))
	script, err := os.ReadFile(filepath.Join(dir, "overlay.ass"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "lower_third_captions_9x16.ass", script)
	if !strings.Contains(string(script), "}Ada Lovelace (live)\n") {
		t.Errorf("the script does not draw the cleaned name:\n%s", script)
	}
}

// Rendered with real ffmpeg on a grey 9:16 picture: the lower-third and the captions draw something,
// and nothing is drawn in the top 14 % or the bottom 20 % where the apps put their buttons.
func TestBrandRendersInsideTheSafeZone(t *testing.T) {
	dir := t.TempDir()
	out := geom.Size{W: 540, H: 960}
	png := filepath.Join(dir, "frame.png")
	args := append([]string{"-hide_banner", "-nostdin", "-v", "error", "-y"},
		branded(t, dir, out).Output(png, ffmpeg.KwArgs{"ss": "1", "frames:v": "1", "update": "1"}).GetArgs()...)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	g := readGray(t, png)
	if g.Rect.Dx() != out.W || g.Rect.Dy() != out.H {
		t.Fatalf("frame is %v", g.Rect)
	}
	changed := func(y0, y1 int) int {
		n := 0
		for y := y0; y < y1; y++ {
			for x := 0; x < out.W; x++ {
				if d := int(g.GrayAt(x, y).Y) - 0x80; d > 12 || d < -12 {
					n++
				}
			}
		}
		return n
	}
	top, bottom := out.H*14/100, out.H*80/100
	if n := changed(0, top); n > 0 {
		t.Errorf("%d pixels drawn in the top 14 %%", n)
	}
	if n := changed(bottom, out.H); n > 0 {
		t.Errorf("%d pixels drawn in the bottom 20 %%", n)
	}
	l := LayoutFor(out, true, true, DefaultConfig())
	if n := changed(l.CaptionsTop, bottom); n < 200 {
		t.Errorf("captions: only %d pixels drawn between %d and %d", n, l.CaptionsTop, bottom)
	}
	if n := changed(top, l.CaptionsTop); n < 2000 {
		t.Errorf("lower-third: only %d pixels drawn above the captions", n)
	}
}

func readGray(t *testing.T, png string) *image.Gray {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-v", "error", "-i", png, "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1")
	b, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	p := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0:s=x", png)
	wh, err := p.Output()
	if err != nil {
		t.Fatal(err)
	}
	var w, h int
	if _, err := fmtSscanf(strings.TrimSpace(string(wh)), &w, &h); err != nil {
		t.Fatal(err)
	}
	return &image.Gray{Pix: b, Stride: w, Rect: image.Rect(0, 0, w, h)}
}

func fmtSscanf(s string, w, h *int) (int, error) { return fmt.Sscanf(s, "%dx%d", w, h) }

// Campaigns are files: the built-in ones, then a directory whose files add or replace; a bad file or
// file name stops the load with its name in the message.
func TestCatalogue(t *testing.T) {
	base := os.DirFS(filepath.Join("..", "..", "configs", "campaigns"))
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("summer-tour-2026.yaml", "enabled: true\ncampaign: Summer tour\n")
	write("example.yaml", "enabled: true\ncampaign: Replaced\n")
	write("notes.txt", "not a campaign")
	c, err := LoadCatalogue(base, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Names(); strings.Join(got, ",") != "example,spring-tour,summer-tour-2026" {
		t.Errorf("names %v", got)
	}
	if cfg, ok := c.Get("example"); !ok || cfg.Campaign != "Replaced" || cfg.TextColor != "white" {
		t.Errorf("example: %+v %v, want the directory's file over the defaults", cfg, ok)
	}
	if c.Has("nope") || (*Catalogue)(nil).Has("example") {
		t.Error("unknown campaigns exist")
	}
	for name, body := range map[string]string{
		"Bad Name.yaml": "enabled: false\n",
		"tour_b.yaml":   "enabled: false\n", // uploads could never name it (message.ValidCampaign)
		"typo.yaml":     "enabeld: true\n",
		"colour.yaml":   "text_color: 'white:x=1'\n",
	} {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadCatalogue(nil, d); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want an error naming the file", name, err)
		}
	}
	if _, err := LoadCatalogue(base, filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory was accepted")
	}
}
