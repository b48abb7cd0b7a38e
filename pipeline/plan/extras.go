package plan

import (
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

// Branding is what a campaign and the supplied captions add to a video's social crops and a voice
// note's audiograms (never to renditions): a lower-third with the artist's name and the campaign line,
// and captions burned in; the captions are also published as caption/vtt.
type Branding struct {
	Campaign string `json:"campaign,omitempty"`
	Name     string `json:"name,omitempty"`     // the lower-third's first line, as drawn
	Line     string `json:"line,omitempty"`     // its second line
	Captions int    `json:"captions,omitempty"` // cues burned in and published

	// What the commands and the scripts they draw are built from: the plan carries it so that, with the
	// probe, it rebuilds every command (a stored plan is the whole truth of what ran).
	Style  brand.Config `json:"style"`
	Cues   []brand.Cue  `json:"cues,omitempty"`   // as supplied: published as caption/vtt
	Burned []brand.Cue  `json:"burned,omitempty"` // as drawn: without the characters no installed font has (none: Cues)
}

// LowerThird reports whether the campaign draws a lower-third.
func (b *Branding) LowerThird() bool {
	return b != nil && b.Style.Enabled && (b.Name != "" || b.Line != "")
}

// Overlays reports whether anything is drawn on the social crops and audiograms.
func (b *Branding) Overlays() bool { return b != nil && (b.LowerThird() || len(b.Cues) > 0) }

// Caption output: the supplied captions as WebVTT.
const CaptionName = "caption/vtt"

// DrawnCues are the captions as burned in.
func (b *Branding) DrawnCues() []brand.Cue {
	if len(b.Burned) > 0 {
		return b.Burned
	}
	return b.Cues
}
