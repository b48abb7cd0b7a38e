package plan

import (
	"fmt"
	"math"
	"time"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/output"
)

// PhotoPlan lists a photo's outputs and why. It is a plain value, stored in the manifest.
type PhotoPlan struct {
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

// PhotoSource is what NewPhoto needs to know of a decoded photo.
type PhotoSource struct {
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

// Output sizes.
const (
	photoWebLong   = 2048
	photoThumbLong = 640
	photoLoopLong  = 1080
)

// Output names: each picture as JPEG under its name, and as WebP under name + "/webp" (as the video
// outputs name poster and poster/webp).
const (
	photoWebName   = "image/web"
	photoThumbName = "image/thumb"
	photoLoopName  = "preview/mp4"
)

// NewPhoto builds a photo's plan: crops[i] is how aspects[i] is made from the upright picture.
func NewPhoto(src PhotoSource, aspects []geom.Aspect, crops []geom.Framing, maxLoop time.Duration) *PhotoPlan {
	p := &PhotoPlan{Format: src.Format, Stored: src.Stored, Source: src.Shown, Orientation: src.Orientation, Colour: src.Colour}
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
		add(output.Planned{Name: name + WebPAlso, Role: message.RoleImage, Format: "webp", From: name, Width: s.W, Height: s.H})
	}
	web := photoFitLong(src.Shown, photoWebLong)
	pair(photoWebName, "source", web)
	if web == src.Shown {
		why("%s keeps %dx%d: the photo is not larger than %d (never upscaled)", photoWebName, web.W, web.H, photoWebLong)
	}
	pair(photoThumbName, photoWebName, photoFitLong(src.Shown, photoThumbLong))
	for i, a := range aspects {
		c := crops[i]
		o := output.Planned{Name: "crop/" + a.Name, Role: message.RoleCrop, Format: "jpg", From: "source", Width: c.Out.W, Height: c.Out.H, Mode: string(c.Mode), Why: c.Why}
		// Cut from the web picture when it has enough pixels there: cheaper, and the same quality.
		switch c.Mode {
		case geom.Fill:
			r := c.Rect
			o.Crop = &r
			if scaled := geom.ScaleRect(r, src.Shown, web); min(scaled.W, scaled.H) >= min(c.Out.W, c.Out.H) {
				o.From = photoWebName
			}
		case geom.Fit:
			inner := c.Inner
			o.Inner = &inner
			if web.W >= inner.W && web.H >= inner.H {
				o.From = photoWebName
			}
		}
		add(o)
		why("%s %s %dx%d: %s", o.Name, o.Mode, o.Width, o.Height, c.Why)
	}
	if src.Frames > 1 {
		p.Frames = src.Frames
		loop := geom.FitLong(src.Shown, photoLoopLong) // even sides, as H.264 4:2:0 needs
		add(output.Planned{Name: photoLoopName, Role: message.RolePreview, Format: "mp4", From: "source", Width: loop.W, Height: loop.H})
		why("animation of %d frames (%s): first frame as the still, H.264 loop as %s", src.Frames, src.Duration.Round(time.Millisecond), photoLoopName)
		if src.Duration > maxLoop {
			why("the loop stops after %s", maxLoop)
		}
	}
	return p
}

// photoFitLong scales s down so that its long side is at most long, keeping odd sizes (photos need no
// even sides; only video does).
func photoFitLong(s geom.Size, long int) geom.Size {
	lg := max(s.W, s.H)
	if lg <= long {
		return s
	}
	f := float64(long) / float64(lg)
	return geom.Size{W: max(1, int(math.Round(float64(s.W)*f))), H: max(1, int(math.Round(float64(s.H)*f)))}
}
