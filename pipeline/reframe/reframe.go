package reframe

import (
	"errors"
	"fmt"
	"math"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// SocialAspects are the four shapes every message gets, in publishing order.
func SocialAspects() []geom.Aspect {
	return []geom.Aspect{
		{Name: "9x16", W: 9, H: 16, Out: geom.Size{W: 1080, H: 1920}},
		{Name: "1x1", W: 1, H: 1, Out: geom.Size{W: 1080, H: 1080}},
		{Name: "4x5", W: 4, H: 5, Out: geom.Size{W: 1080, H: 1350}},
		{Name: "16x9", W: 16, H: 9, Out: geom.Size{W: 1920, H: 1080}},
	}
}

// Box is a region as fractions of the picture's width and height (0..1), so that one track serves any
// working size, the thumbnails and the photos.
type Box struct {
	X0 float64 `json:"x0"`
	Y0 float64 `json:"y0"`
	X1 float64 `json:"x1"`
	Y1 float64 `json:"y1"`
}

// W and H are the box's size.
func (b Box) W() float64 { return b.X1 - b.X0 }
func (b Box) H() float64 { return b.Y1 - b.Y0 }

// Empty reports a box with no area.
func (b Box) Empty() bool { return b.X1 <= b.X0 || b.Y1 <= b.Y0 }

// Union is the smallest box holding both (an empty box is ignored).
func (b Box) Union(o Box) Box {
	if b.Empty() {
		return o
	}
	if o.Empty() {
		return b
	}
	return Box{math.Min(b.X0, o.X0), math.Min(b.Y0, o.Y0), math.Max(b.X1, o.X1), math.Max(b.Y1, o.Y1)}
}

// IoU is the intersection over union of two boxes.
func (b Box) IoU(o Box) float64 {
	ix := math.Min(b.X1, o.X1) - math.Max(b.X0, o.X0)
	iy := math.Min(b.Y1, o.Y1) - math.Max(b.Y0, o.Y0)
	if ix <= 0 || iy <= 0 {
		return 0
	}
	in := ix * iy
	return in / (b.W()*b.H() + o.W()*o.H() - in)
}

// Scale turns a fractional box into pixels of a picture of size s.
func (b Box) Scale(s geom.Size) Rectf {
	return Rectf{b.X0 * float64(s.W), b.Y0 * float64(s.H), b.X1 * float64(s.W), b.Y1 * float64(s.H)}
}

// Rectf is a region in pixels.
type Rectf struct{ X0, Y0, X1, Y1 float64 }

// Head widens a face box (which dlib draws from the brows to the chin) to the whole head: hair above,
// ears at the sides, a little neck below. A crop that keeps the head keeps the person recognisable.
func (b Box) Head() Box {
	w, h := b.W(), b.H()
	return Box{b.X0 - 0.2*w, b.Y0 - 0.45*h, b.X1 + 0.2*w, b.Y1 + 0.2*h}
}

// Config tunes the analysis and the camera. The zero value is not valid: start from DefaultConfig.
type Config struct {
	SampleRate     float64 `yaml:"sample_rate"`      // frames analysed per second
	MinSamples     int     `yaml:"min_samples"`      // short clips are sampled more densely (up to 15/s) to reach this
	MaxSamples     int     `yaml:"max_samples"`      // long clips are sampled more sparsely to stay under this
	AnalysisLong   int     `yaml:"analysis_long"`    // long side of the analysed frames, pixels
	Upsample       bool    `yaml:"upsample"`         // search again, at twice the size, frames where no face was found
	MaxUpsampled   int     `yaml:"max_upsampled"`    // at most this many frames are searched twice (4x cost each), spread evenly: all of a 15 s clip, every other frame of a 30 s one
	HoldGap        float64 `yaml:"hold_gap"`         // seconds a lost face is still trusted (blinks, turns)
	DeadZone       float64 `yaml:"dead_zone"`        // the face centre may wander this fraction of the crop either side of its middle before the camera moves
	MaxSpeed       float64 `yaml:"max_speed"`        // camera speed limit, crop widths (or heights) per second
	Ease           float64 `yaml:"ease"`             // seconds over which a move speeds up and slows down
	SceneThreshold float64 `yaml:"scene_threshold"`  // scdet threshold (0..100) for a shot cut
	MinKeepNoFace  float64 `yaml:"min_keep_no_face"` // without a face, fill only if the crop keeps this share of the picture
}

// DefaultConfig is what quinte runs with.
func DefaultConfig() Config {
	return Config{
		SampleRate: 4, MinSamples: 24, MaxSamples: 1200, AnalysisLong: 640, Upsample: true, MaxUpsampled: 60,
		HoldGap: 1.5, DeadZone: 0.15, MaxSpeed: 1.0, Ease: 0.5, SceneThreshold: 10, MinKeepNoFace: 0.4,
	}
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.SampleRate <= 0 || c.SampleRate > 30 {
		errs = append(errs, fmt.Errorf("reframe sample_rate %g is outside (0, 30]", c.SampleRate))
	}
	if c.MaxSamples < 10 || c.MinSamples < 0 || c.MinSamples > c.MaxSamples {
		errs = append(errs, fmt.Errorf("reframe min_samples %d and max_samples %d must satisfy 0 <= min <= max and max >= 10", c.MinSamples, c.MaxSamples))
	}
	if c.AnalysisLong < 160 || c.AnalysisLong > 1920 {
		errs = append(errs, fmt.Errorf("reframe analysis_long %d is outside 160..1920", c.AnalysisLong))
	}
	if c.DeadZone < 0 || c.DeadZone >= 0.5 {
		errs = append(errs, fmt.Errorf("reframe dead_zone %g is outside [0, 0.5)", c.DeadZone))
	}
	if c.MaxSpeed <= 0 || c.Ease < 0 || c.HoldGap < 0 {
		errs = append(errs, errors.New("reframe max_speed must be positive, ease and hold_gap not negative"))
	}
	if c.SceneThreshold <= 0 || c.SceneThreshold > 100 {
		errs = append(errs, fmt.Errorf("reframe scene_threshold %g is outside (0, 100]", c.SceneThreshold))
	}
	if c.MinKeepNoFace < 0 || c.MinKeepNoFace > 1 {
		errs = append(errs, fmt.Errorf("reframe min_keep_no_face %g is outside [0, 1]", c.MinKeepNoFace))
	}
	return errors.Join(errs...)
}
