package pipeline

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/pipeline/brand/fontconfig"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
	"github.com/quinte-media/quinte/pipeline/reframe/subject"
	"github.com/quinte-media/quinte/pipeline/run"
)

// branding reads what the message asks of its social outputs before anything is decoded: a campaign
// that does not exist or captions that do not parse fail the message at once.
func (p *Pipeline) branding(in Input, warn *[]string) (*plan.Branding, error) {
	if in.Campaign == "" && in.Captions == "" {
		return nil, nil
	}
	// Without a campaign, captions take the default style and no lower-third is drawn.
	b := &plan.Branding{Campaign: in.Campaign, Style: brand.DefaultConfig()}
	if in.Campaign != "" {
		style, ok := p.campaigns.Get(in.Campaign)
		if !ok {
			return nil, Reject("unknown_campaign", "the campaign %q does not exist (campaigns: %s): upload again without it or with one of those", in.Campaign, listOrNone(p.campaigns.Names()))
		}
		b.Style = style
		if t := brand.NewTexts(in.Artist, style); style.Enabled {
			b.Name, b.Line = t.Name, t.Line
		}
	}
	if in.Captions != "" {
		raw, err := os.ReadFile(in.Captions)
		if err != nil {
			return nil, fmt.Errorf("captions: %w", err)
		}
		cues, err := brand.ParseCaptions(raw)
		if err != nil {
			return nil, &InputError{Code: "bad_captions", Message: "the captions file cannot be used", Err: err}
		}
		b.Cues, b.Captions = cues, len(cues)
	}
	if err := fitFonts(b, warn); err != nil {
		return nil, err
	}
	if in.Kind == message.KindImage && b.Overlays() {
		*warn = append(*warn, "the campaign's lower-third and captions are drawn on video crops and audiograms only: the photo's crops have none")
	}
	return b, nil
}

// fitFonts leaves out of the texts to draw the characters that no installed font has (an emoji newer
// than the fonts, a private-use character), with a warning: libass would draw each as a box.
func fitFonts(b *plan.Branding, warn *[]string) error {
	if b.Name == "" && b.Line == "" && len(b.Cues) == 0 {
		return nil
	}
	cov, err := fontconfig.Coverage()
	if err != nil {
		return err // the machine's fonts, not the message: retried
	}
	fit := func(what, where, s string) string {
		kept, missing := cov.Drawable(s)
		if len(missing) > 0 {
			*warn = append(*warn, fmt.Sprintf("%s: no installed font draws %s: left out of the %s", what, brand.DescribeRunes(missing), where))
		}
		return kept
	}
	b.Name = fit("the artist's name", "lower-third", b.Name)
	b.Line = fit("the campaign line", "lower-third", b.Line)
	if len(b.Cues) > 0 {
		var all strings.Builder
		for _, c := range b.Cues {
			all.WriteString(c.Text)
		}
		if _, missing := cov.Drawable(all.String()); len(missing) > 0 {
			fit("the captions", "burned-in captions (caption/vtt keeps them)", string(missing))
			burned := make([]brand.Cue, len(b.Cues))
			for i, c := range b.Cues {
				burned[i] = c
				var lines []string
				for _, l := range strings.Split(c.Text, "\n") {
					kept, _ := cov.Drawable(l)
					lines = append(lines, kept)
				}
				burned[i].Text = strings.Join(lines, "\n")
			}
			b.Burned = burned
		}
	}
	return nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// subjectStep finds where the subject is over the whole video (a second, low-resolution decode with
// face search), so that the main pass can follow it, and gives what planning takes besides the
// analysed probe; seen (when not nil) measures each analysed frame for the poster. It fails only
// when the job is cancelled: without a track the crops are centred, and the plan says why.
func (p *Pipeline) subjectStep(ctx context.Context, in Input, m *probe.Media, b *plan.Branding, seen *analysisFrames, progress *run.Progress) (plan.Extras, error) {
	x := plan.Extras{Brand: b}
	if m.Kind != message.KindVideo || m.Video == nil {
		return x, nil
	}
	if p.subjects == nil {
		x.Untracked = "no subject analysis on this worker"
		return x, nil
	}
	v := m.Video
	ri := subject.Input{
		FFmpeg: p.cfg.FFmpeg, InputArgs: probe.SourceArgs(), Path: in.Path, VideoStream: v.Stream,
		Display: geom.Size{W: v.DisplayWidth, H: v.DisplayHeight}, Duration: m.Duration, WorkDir: in.WorkDir, Stall: p.cfg.StallTimeout,
		Progress: progress.Done,
	}
	if seen != nil {
		ri.Frame = seen.see
	}
	tr, err := p.subjects.Analyze(ctx, ri)
	if err != nil {
		if ctx.Err() != nil {
			return x, ctx.Err()
		}
		p.logger(ctx, in.ID).WarnContext(ctx, "subject analysis failed; the social crops are centred", "err", err)
		x.Untracked = "the subject analysis failed (" + probe.CleanTail(err.Error()) + ")"
		return x, nil
	}
	x.Track = tr
	return x, nil
}
