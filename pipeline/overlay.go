package pipeline

import (
	"fmt"
	"os"
	"strings"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/pipeline/brand"
)

// overlayFile is the ASS script drawn on the output called name, in the job's directory.
func overlayFile(dir, name string) string {
	return jobFile(dir, "brand_"+strings.ReplaceAll(name, "/", "_")+".ass")
}

// overlay is what the branding draws on an output of size out (nine16: away from the bottom 20 % the
// apps cover, as on every 9:16).
func (b *Branding) overlay(out Size, nine16 bool) brand.Overlay {
	return brand.Overlay{Config: b.Style, Layout: brand.LayoutFor(out, nine16, len(b.Cues) > 0, b.Style),
		Texts: brand.Texts{Name: b.Name, Line: b.Line}, Cues: b.drawnCues()}
}

// drawnCues are the captions as burned in.
func (b *Branding) drawnCues() []brand.Cue {
	if len(b.Burned) > 0 {
		return b.Burned
	}
	return b.Cues
}

// writeOverlay writes the script drawn on the output called name (before the pass that draws it).
func (b *Branding) writeOverlay(dir, name string, out Size, nine16 bool) error {
	script, err := b.overlay(out, nine16).Script()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return os.WriteFile(overlayFile(dir, name), script, 0o644)
}

// drawOverlay draws the script of the output called name on a branch of it.
func (b *Branding) drawOverlay(s *ffmpeg.Stream, dir, name string) *ffmpeg.Stream {
	return brand.Draw(s, b.Style, overlayFile(dir, name))
}

// writeCropOverlays writes the overlay of every social crop of a video plan whose message has a
// campaign or captions.
func writeCropOverlays(vp *VideoPlan, dir string) error {
	if !vp.Brand.overlays() {
		return nil
	}
	for _, c := range vp.Crops {
		if err := vp.Brand.writeOverlay(dir, c.Name, c.Out, c.Aspect.SafeBand()); err != nil {
			return err
		}
	}
	return nil
}
