package pipeline

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// Extras is what planning takes besides the probe and the analysis: where the subject is, and what the
// message's campaign and captions add to its social outputs.
type Extras struct {
	Track     *reframe.Track // the subject track of the video; nil: the crops are centred
	Untracked string         // why there is no track, said in the plan
	Brand     *Branding      // nil: no campaign and no captions
}

// Branding is what a campaign and the supplied captions add to a video's social crops (never to its
// renditions): a lower-third with the artist's name and the campaign line, and captions burned in; the
// captions are also published as caption/vtt.
type Branding struct {
	Campaign string `json:"campaign,omitempty"`
	Name     string `json:"name,omitempty"`     // the lower-third's first line, as drawn
	Line     string `json:"line,omitempty"`     // its second line
	Captions int    `json:"captions,omitempty"` // cues burned in and published

	style  brand.Config
	artist string
	cues   []brand.Cue
}

// lowerThird reports whether the campaign draws a lower-third.
func (b *Branding) lowerThird() bool {
	return b != nil && b.style.Enabled && (b.Name != "" || b.Line != "")
}

// overlays reports whether anything is drawn on the social crops.
func (b *Branding) overlays() bool { return b != nil && (b.lowerThird() || len(b.cues) > 0) }

// texts are the lower-third's texts and the files in dir drawtext reads them from.
func (b *Branding) texts(dir string) brand.Texts { return brand.NewTexts(b.artist, b.style, dir) }

// captionsFile is the SRT the subtitles filter burns in, written into the job's directory.
func captionsFile(dir string) string { return jobFile(dir, "captions.srt") }

// Caption output: the supplied captions as WebVTT.
const captionName = "caption/vtt"

// branding reads what the message asks of its social outputs before anything is decoded: a campaign
// that does not exist or captions that do not parse fail the message at once.
func (p *Pipeline) branding(_ context.Context, j *job) error {
	in := j.in
	if in.Campaign == "" && in.Captions == "" {
		return nil
	}
	// Without a campaign, captions take the default style and no lower-third is drawn.
	b := &Branding{Campaign: in.Campaign, artist: in.Artist, style: brand.DefaultConfig()}
	if in.Campaign != "" {
		style, ok := p.campaigns.Get(in.Campaign)
		if !ok {
			return Reject("unknown_campaign", "the campaign %q does not exist (campaigns: %s): upload again without it or with one of those", in.Campaign, listOrNone(p.campaigns.Names()))
		}
		b.style = style
		if t := b.texts(in.WorkDir); style.Enabled {
			b.Name, b.Line = t.Name, t.Line
		}
	}
	if in.Captions != "" {
		raw, err := os.ReadFile(in.Captions)
		if err != nil {
			return fmt.Errorf("captions: %w", err)
		}
		cues, err := brand.ParseCaptions(raw)
		if err != nil {
			return &InputError{Code: "bad_captions", Message: "the captions file cannot be used", Err: err}
		}
		b.cues, b.Captions = cues, len(cues)
	}
	j.extra.Brand = b
	if in.Kind == message.KindImage && b.overlays() {
		j.res.Warnings = append(j.res.Warnings, "the campaign's lower-third and captions are drawn on video crops only: the photo's crops have none")
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
// face search), so that the main pass can follow it. It cannot fail a message: without a track the
// crops are centred, and the plan says why.
func (p *Pipeline) subjectStep(ctx context.Context, j *job) error {
	m := j.res.Media
	if m.Kind != message.KindVideo || m.Video == nil {
		return nil
	}
	if p.subjects == nil {
		j.extra.Untracked = "no subject analysis on this worker"
		return nil
	}
	v := m.Video
	tr, err := p.subjects.Analyze(ctx, reframe.Input{
		FFmpeg: p.cfg.FFmpeg, InputArgs: sourceArgs(), Path: j.in.Path, VideoStream: v.Stream,
		Display: Size{W: v.DisplayWidth, H: v.DisplayHeight}, Duration: m.Duration, WorkDir: j.in.WorkDir, Stall: p.cfg.StallTimeout,
		Progress: j.progress.done,
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.log.WarnContext(ctx, "subject analysis failed; the social crops are centred", "message_id", j.in.ID, "err", err)
		j.extra.Untracked = "the subject analysis failed (" + cleanTail(err.Error()) + ")"
		return nil
	}
	j.extra.Track = tr
	return nil
}
