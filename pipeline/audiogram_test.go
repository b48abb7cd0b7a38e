package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// processWith processes src as a message of this kind by artist, with a campaign and captions ("": none).
func processWith(t *testing.T, src string, kind message.Kind, artist, campaign, captions string) *Result {
	t.Helper()
	res, err := testPipeline().Process(context.Background(), Input{ID: "brand", Path: src, Kind: kind, WorkDir: t.TempDir(),
		Artist: artist, Campaign: campaign, Captions: captions})
	testenv.Must(t, err)
	return res
}

// filesByName are a result's files by output name.
func filesByName(res *Result) map[string]File {
	m := map[string]File{}
	for _, f := range res.Files {
		m[f.Name] = f
	}
	return m
}

// A voice note with a campaign and captions (corpus files, over the cover art and over the branded
// still): both audiograms carry the lower-third and the captions, in the video crops' safe zones (the
// band above the bottom 20 % on 9:16, above the bottom 5 % on 1:1, differs from the same audiogram of
// the same note without them; the top does not), rendition/audio is the same, and the captions are
// published as caption/vtt. The name is written in three scripts and an emoji.
func TestCampaignAndCaptionsOnTheAudiograms(t *testing.T) {
	srt := filepath.Join(t.TempDir(), "captions.srt")
	testenv.Must(t, os.WriteFile(srt, []byte("1\n00:00:00,200 --> 00:00:02,400\nGrazie a tutta la crew\n"), 0o644))
	for _, f := range []string{"audio/opus_stereo.opus", "audio/mp3_with_cover_art.mp3"} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src := testenv.Corpus(t, f)
			name := "坂本龍一 🎸 Niccolò"
			plain, branded := processWith(t, src, message.KindAudio, name, "", ""), processWith(t, src, message.KindAudio, name, "example", srt)
			if len(branded.Warnings) != 0 {
				t.Errorf("warnings: %q", branded.Warnings)
			}
			pf, bf := filesByName(plain), filesByName(branded)
			for _, name := range []string{"audiogram/9x16", "audiogram/1x1"} {
				a, b := pf[name], bf[name]
				if a.Width == 0 || a.Width != b.Width || a.Height != b.Height {
					t.Fatalf("%s: %dx%d without the campaign, %dx%d with it", name, a.Width, a.Height, b.Width, b.Height)
				}
				// At 1 s the lower-third (from 0.5 s) and the caption (0.2 to 2.4 s) are both shown.
				ga, gb := frameAt(t, a.Path, 1, a.Width, a.Height), frameAt(t, b.Path, 1, b.Width, b.Height)
				bottom, top := 0.95, 0.33
				if name == "audiogram/9x16" {
					bottom, top = 0.80, 0.14
				}
				// The waveform reaches into the 9:16's bottom band: the same sound draws the same
				// waveform, but its thin lines are encoded a little differently when the picture above
				// changes, so there only a share of edge pixels may differ; below it, none.
				var g plan.Audiogram
				for _, x := range branded.Plan.Audio.Audiograms {
					if x.Name == name {
						g = x
					}
				}
				waveEnd := max(bottom, float64(g.Wave.Y+g.Wave.H)/float64(a.Height))
				if wave := changed(ga, gb, a.Width, bottom, waveEnd); wave > 0.01 {
					t.Errorf("%s: %.2f%% of the waveform in the bottom band changed", name, 100*wave)
				}
				band, above, below := changed(ga, gb, a.Width, 0.5, bottom), changed(ga, gb, a.Width, 0, top), changed(ga, gb, a.Width, waveEnd, 1)
				t.Logf("%s: %.1f%% of the lower band changed, %.2f%% of the top, %.2f%% of the bottom", name, 100*band, 100*above, 100*below)
				if band < 0.03 {
					t.Errorf("%s: only %.1f%% of the lower band changed: no lower-third or captions drawn", name, 100*band)
				}
				if above > 0.001 || below > 0.001 {
					t.Errorf("%s: %.2f%% of the top and %.2f%% of the bottom changed: something is drawn outside the safe zone", name, 100*above, 100*below)
				}
				// The captions alone: the band where they sit (below the lower-third) changes too.
				bb := branded.Plan.Audio.Brand
				l := brand.LayoutFor(geom.Size{W: a.Width, H: a.Height}, name == "audiogram/9x16", len(bb.Cues) > 0, bb.Style)
				if c := changed(ga, gb, a.Width, float64(l.CaptionsTop)/float64(a.Height), float64(a.Height-l.BottomSafe)/float64(a.Height)); c < 0.01 {
					t.Errorf("%s: %.2f%% of the captions' band changed: no captions drawn", name, 100*c)
				}
			}
			if a, b := pf["rendition/audio"], bf["rendition/audio"]; a.Size != b.Size {
				t.Errorf("rendition/audio: %d bytes without the campaign, %d with it", a.Size, b.Size)
			}
			if vtt, ok := bf[plan.CaptionName]; !ok || vtt.ContentType != "text/vtt" {
				t.Errorf("caption/vtt: %+v", vtt)
			}
			ap := branded.Plan.Audio
			if ap.Brand == nil || ap.Brand.Name != "坂本龍一 🎸 Niccolò" || ap.Brand.Captions != 1 {
				t.Errorf("the plan's branding: %+v", ap.Brand)
			}
			if why := strings.Join(branded.Plan.Why, "\n"); !strings.Contains(why, "lower-third") || !strings.Contains(why, "burned into every audiogram") {
				t.Errorf("the plan does not say what it draws:\n%s", why)
			}
		})
	}
}

// The plan and the argv of a voice note with a campaign and captions, and the script drawn on its 9:16
// audiogram, are pinned, and the plan's JSON rebuilds them.
func TestGoldenBrandedVoiceNote(t *testing.T) {
	dir := t.TempDir()
	srt := filepath.Join(dir, "captions.srt")
	testenv.Must(t, os.WriteFile(srt, []byte("1\n00:00:00,200 --> 00:00:02,400\nGrazie a tutta la crew\n"), 0o644))
	p := New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23}, testParts(), nil)
	j := planned(t, p, Input{ID: "golden", Path: testenv.Corpus(t, "audio/opus_stereo.opus"), Kind: message.KindAudio, WorkDir: dir,
		Artist: "坂本龍一 🎸 Niccolò", Campaign: "example", Captions: srt})
	b, err := json.MarshalIndent(struct {
		Media *probe.Media `json:"media"`
		Plan  *plan.Plan   `json:"plan"`
	}{j.Media, j.Plan}, "", "  ")
	testenv.Must(t, err)
	golden(t, "opus_stereo_campaign_captions.plan.json", append(b, '\n'))
	argv, files := goldenArgv(t, j.Plan, t.TempDir())
	golden(t, "opus_stereo_campaign_captions.argv.txt", []byte(argv))
	golden(t, "opus_stereo_campaign_captions_9x16.ass", []byte(files["brand_audiogram_9x16.ass"]))
	if !strings.Contains(argv, "ass=filename=/job/brand_audiogram_9x16.ass") {
		t.Errorf("the 9:16 audiogram does not draw its overlay:\n%s", argv)
	}
	rebuildsFromJSON(t, j.Plan)
}

// A character no installed font has (an emoji newer than Symbola) is left out of the lower-third and
// the burned-in captions with a warning naming it; caption/vtt keeps the captions as supplied.
func TestCharactersWithoutAFontAreLeftOut(t *testing.T) {
	dir := t.TempDir()
	srt := filepath.Join(dir, "captions.srt")
	testenv.Must(t, os.WriteFile(srt, []byte("1\n00:00:00,200 --> 00:00:02,400\ngrazie 🥹\nà tutti\n"), 0o644))
	var warn []string
	b, err := testPipeline().branding(Input{ID: "fonts", Kind: message.KindAudio, WorkDir: dir, Artist: "Ada 🥹 Lovelace", Campaign: "example", Captions: srt}, &warn)
	testenv.Must(t, err)
	if b.Name != "Ada Lovelace" {
		t.Errorf("name drawn %q", b.Name)
	}
	if got := b.DrawnCues(); len(got) != 1 || got[0].Text != "grazie\nà tutti" || b.Cues[0].Text != "grazie 🥹\nà tutti" {
		t.Errorf("captions drawn %+v, published %+v", got, b.Cues)
	}
	w := strings.Join(warn, "\n")
	if !strings.Contains(w, "the artist's name: no installed font draws 🥹 (U+1F979)") || !strings.Contains(w, "the captions: no installed font draws 🥹 (U+1F979)") {
		t.Errorf("warnings:\n%s", w)
	}
}
