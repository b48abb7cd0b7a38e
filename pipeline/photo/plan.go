package photo

import (
	"context"
	"fmt"
	"image"
	"math"
	"time"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/output"
)

// Plan lists a photo's outputs and why. It is a plain value, stored in the manifest.
type Plan struct {
	Format      string           `json:"format"`
	Stored      geom.Size        `json:"stored"` // as in the file
	Source      geom.Size        `json:"source"` // upright, as shown
	Orientation int              `json:"orientation,omitempty"`
	Frames      int              `json:"frames,omitempty"` // an animation's; left out for a still
	Images      int              `json:"images,omitempty"` // a HEIF's top-level images, when it holds more than one
	Colour      string           `json:"colour"`
	Outputs     []output.Planned `json:"outputs"`
	Why         []string         `json:"why"`
}

// Source is what PlanFor needs to know of a decoded photo.
type Source struct {
	Format      string
	Stored      geom.Size
	Shown       geom.Size // upright
	Orientation int
	Frames      int
	Duration    time.Duration
	Colour      string
	Images      int    // top-level images of a HEIF (a burst, a stereo pair); 0 or 1 for one
	Primary     string // which of them was published, when there are several
}

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

// Output sizes.
const (
	webLongSide   = 2048
	thumbLongSide = 640
	loopLongSide  = 1080
)

// Output names: each picture as JPEG under its name, and as WebP under name + "/webp" (as the video
// outputs name poster and poster/webp).
const (
	nameWeb   = "image/web"
	nameThumb = "image/thumb"
	nameLoop  = "preview/mp4"
	webpAlso  = "/webp"
)

// PlanFor builds a photo's plan: crops[i] is how aspects[i] is made from the upright picture.
func PlanFor(src Source, aspects []geom.Aspect, crops []geom.Framing, maxLoop time.Duration) *Plan {
	p := &Plan{Format: src.Format, Stored: src.Stored, Source: src.Shown, Orientation: src.Orientation, Colour: src.Colour}
	why := func(format string, a ...any) { p.Why = append(p.Why, fmt.Sprintf(format, a...)) }
	why("%s photo, stored %dx%d, shown %dx%d", src.Format, src.Stored.W, src.Stored.H, src.Shown.W, src.Shown.H)
	if src.Images > 1 {
		p.Images = src.Images
		why("the file holds %d images; the primary one (%s) is published", src.Images, src.Primary)
	}
	if src.Orientation > 1 {
		why("EXIF orientation %d applied", src.Orientation)
	}
	why("colour: %s", src.Colour)
	add := func(o output.Planned) { p.Outputs = append(p.Outputs, o) }
	pair := func(name string, from string, s geom.Size) {
		add(output.Planned{Name: name, Role: message.RoleImage, Format: "jpg", From: from, Width: s.W, Height: s.H})
		add(output.Planned{Name: name + webpAlso, Role: message.RoleImage, Format: "webp", From: name, Width: s.W, Height: s.H})
	}
	web := fitLong(src.Shown, webLongSide)
	pair(nameWeb, "source", web)
	if web == src.Shown {
		why("%s keeps %dx%d: the photo is not larger than %d (never upscaled)", nameWeb, web.W, web.H, webLongSide)
	}
	pair(nameThumb, nameWeb, fitLong(src.Shown, thumbLongSide))
	for i, a := range aspects {
		c := crops[i]
		o := output.Planned{Name: "crop/" + a.Name, Role: message.RoleCrop, Format: "jpg", From: "source", Width: c.Out.W, Height: c.Out.H, Mode: string(c.Mode), Why: c.Why}
		// Cut from the web picture when it has enough pixels there: cheaper, and the same quality.
		switch c.Mode {
		case geom.Fill:
			r := c.Rect
			o.Crop = &r
			if scaled := scaleRect(r, src.Shown, web); min(scaled.W, scaled.H) >= min(c.Out.W, c.Out.H) {
				o.From = nameWeb
			}
		case geom.Fit:
			inner := c.Inner
			o.Inner = &inner
			if web.W >= inner.W && web.H >= inner.H {
				o.From = nameWeb
			}
		}
		add(o)
		why("%s %s %dx%d: %s", o.Name, o.Mode, o.Width, o.Height, c.Why)
	}
	if src.Frames > 1 {
		p.Frames = src.Frames
		loop := geom.FitLong(src.Shown, loopLongSide) // even sides, as H.264 4:2:0 needs
		add(output.Planned{Name: nameLoop, Role: message.RolePreview, Format: "mp4", From: "source", Width: loop.W, Height: loop.H})
		why("animation of %d frames (%s): first frame as the still, H.264 loop as %s", src.Frames, src.Duration.Round(time.Millisecond), nameLoop)
		if src.Duration > maxLoop {
			why("the loop stops after %s", maxLoop)
		}
	}
	return p
}

// fitLong scales s down so that its long side is at most long, keeping odd sizes (photos need no
// even sides; only video does).
func fitLong(s geom.Size, long int) geom.Size {
	lg := max(s.W, s.H)
	if lg <= long {
		return s
	}
	f := float64(long) / float64(lg)
	return geom.Size{W: max(1, int(math.Round(float64(s.W)*f))), H: max(1, int(math.Round(float64(s.H)*f)))}
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

// scaleRect maps r from a picture of size from to one of size to.
func scaleRect(r geom.Rect, from, to geom.Size) geom.Rect {
	fx, fy := float64(to.W)/float64(from.W), float64(to.H)/float64(from.H)
	x0, y0 := int(math.Round(float64(r.X)*fx)), int(math.Round(float64(r.Y)*fy))
	x1, y1 := int(math.Round(float64(r.X+r.W)*fx)), int(math.Round(float64(r.Y+r.H)*fy))
	return geom.Rect{X: x0, Y: y0, W: max(1, min(x1, to.W)-x0), H: max(1, min(y1, to.H)-y0)}
}
