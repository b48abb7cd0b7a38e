package photo

import (
	"context"
	"image"
	"math"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// Framer decides, for each aspect, how its crop is made from the upright picture: framings[i] is
// aspects[i]'s. The service's framings come from package reframe (the subject found by the video's
// detector and rules); CentreFramer is the package's default.
type Framer interface {
	Frame(ctx context.Context, img image.Image, aspects []geom.Aspect) ([]geom.Framing, error)
}

// CentreFramer keeps the largest centred region of each aspect.
type CentreFramer struct{}

// Frame implements Framer.
func (CentreFramer) Frame(_ context.Context, img image.Image, aspects []geom.Aspect) ([]geom.Framing, error) {
	b := img.Bounds()
	out := make([]geom.Framing, len(aspects))
	for i, a := range aspects {
		r := geom.AspectRectUnit(geom.Size{W: b.Dx(), H: b.Dy()}, a.W, a.H, 1) // a photo's sides need not be even
		out[i] = geom.Framing{Aspect: a, Mode: geom.Fill, Rect: r, Out: cropSize(a, r), Why: "the centre of the picture"}
	}
	return out, nil
}

// cropSize is the output size of an aspect's crop region r: exactly the aspect's shape, the short
// side of a.Out or fewer pixels when r is smaller (never upscaled).
func cropSize(a geom.Aspect, r geom.Rect) geom.Size {
	short := min(a.Out.W, a.Out.H, r.W, r.H)
	if a.W <= a.H {
		return geom.Size{W: short, H: max(1, int(math.Round(float64(short)*float64(a.H)/float64(a.W))))}
	}
	return geom.Size{W: max(1, int(math.Round(float64(short)*float64(a.W)/float64(a.H)))), H: short}
}
