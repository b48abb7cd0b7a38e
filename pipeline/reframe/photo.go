package reframe

import (
	"math"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// photoDeadZone is a photo's dead zone: the face may sit anywhere in the middle half of the crop's
// width, so that the crop can stay near the photographer's framing (see planPath on stills).
const photoDeadZone = 0.25

// PhotoCrops plans every aspect of a photo of the given size from its track, with the video's rules.
func PhotoCrops(tr *Track, size geom.Size, aspects []geom.Aspect, cfg Config) []geom.Framing {
	f := Frame{Work: size, Source: size, Photo: true}
	cfg.DeadZone = math.Max(cfg.DeadZone, photoDeadZone)
	var out []geom.Framing
	for _, cp := range PlanCrops(tr, f, aspects, cfg) {
		p := geom.Framing{Aspect: cp.Aspect, Mode: cp.Mode, Why: cp.Why, Out: cp.Out, Inner: cp.Inner, Small: cp.Small}
		if cp.Mode == geom.Fill {
			p.Rect = geom.Rect{X: int(math.Round(cp.Path[0].X)), Y: int(math.Round(cp.Path[0].Y)), W: cp.Crop.W, H: cp.Crop.H}
		}
		out = append(out, p)
	}
	return out
}
