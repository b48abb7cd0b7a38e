package ffcmd

import (
	"fmt"
	"os"
	"strings"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/pipeline/brand/fontconfig"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
)

// overlayFile is the ASS script drawn on the output called name, in the job's directory.
func overlayFile(dir, name string) string {
	return JobFile(dir, "brand_"+strings.ReplaceAll(name, "/", "_")+".ass")
}

// overlay is what the branding draws on an output of size out (nine16: away from the bottom 20 % the
// apps cover, as on every 9:16).
func overlay(b *plan.Branding, out geom.Size, nine16 bool) brand.Overlay {
	return brand.Overlay{Config: b.Style, Layout: brand.LayoutFor(out, nine16, len(b.Cues) > 0, b.Style),
		Texts: brand.Texts{Name: b.Name, Line: b.Line}, Cues: b.DrawnCues()}
}

// writeOverlay writes the script drawn on the output called name (before the pass that draws it).
func writeOverlay(b *plan.Branding, dir, name string, out geom.Size, nine16 bool) error {
	fonts, err := fontconfig.Coverage()
	if err != nil {
		return err
	}
	o := overlay(b, out, nine16)
	o.Fonts = fonts
	script, err := o.Script()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return os.WriteFile(overlayFile(dir, name), script, 0o644)
}

// drawOverlay draws the script of the output called name on a branch of it.
func drawOverlay(b *plan.Branding, s *ffmpeg.Stream, dir, name string) *ffmpeg.Stream {
	fonts, _ := fontconfig.Coverage() // none: the campaign's font goes by its directory
	return s.Filter("ass", nil, brand.AssOptions(b.Style, overlayFile(dir, name), fonts))
}

// writeCropOverlays writes the overlay of every social crop of a video plan whose message has a
// campaign or captions.
func writeCropOverlays(vp *plan.VideoPlan, dir string) error {
	if !vp.Brand.Overlays() {
		return nil
	}
	for _, c := range vp.Crops {
		if err := writeOverlay(vp.Brand, dir, c.Name, c.Out, c.Aspect.SafeBand()); err != nil {
			return err
		}
	}
	return nil
}
