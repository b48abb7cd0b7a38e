// Package geom is the picture geometry shared by video and photo planning: sizes, regions (Rect is
// the one pixel rectangle of every plan), the social aspects and how one is framed, aspect crops and
// even-pixel rounding. Pure functions only.
package geom

import "math"

// Size is a picture size in pixels.
type Size struct {
	W int `json:"w"`
	H int `json:"h"`
}

// Rect is a region of a picture.
type Rect struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// ShortSide scales s so that its short side is short (never up), keeping the aspect, even sizes.
func ShortSide(s Size, short int) Size {
	sm := min(s.W, s.H)
	if sm <= short {
		return Size{EvenInt(s.W), EvenInt(s.H)}
	}
	f := float64(short) / float64(sm)
	return Size{Even(float64(s.W) * f), Even(float64(s.H) * f)}
}

// FitLong scales s down so that its long side is at most long, even sizes.
func FitLong(s Size, long int) Size {
	lg := max(s.W, s.H)
	if lg <= long {
		return Size{EvenInt(s.W), EvenInt(s.H)}
	}
	f := float64(long) / float64(lg)
	return Size{Even(float64(s.W) * f), Even(float64(s.H) * f)}
}

// AspectRect is the largest centred region of s with aspect w:h, even sizes and offsets.
func AspectRect(s Size, w, h int) Rect { return AspectRectUnit(s, w, h, 2) }

// AspectRectUnit is the largest centred region of s with aspect w:h, its sides and offsets multiples
// of unit (1 for a photo, 2 for video): the side that fills s is kept (rounded down to the unit), the
// other is it times the aspect rounded to the nearest unit, so the shape is off by at most one rounding
// step (HasShape) unless s itself is smaller than that.
func AspectRectUnit(s Size, w, h, unit int) Rect {
	floor := func(n int) int { return max(unit, n-n%unit) }
	var cw, ch int
	if s.W*h <= s.H*w { // as wide as s
		cw = floor(s.W)
		ch = min(RoundTo(float64(cw)*float64(h)/float64(w), unit), floor(s.H))
	} else {
		ch = floor(s.H)
		cw = min(RoundTo(float64(ch)*float64(w)/float64(h), unit), floor(s.W))
	}
	x, y := (s.W-cw)/2, (s.H-ch)/2
	return Rect{X: x - x%unit, Y: y - y%unit, W: cw, H: ch}
}

// Even rounds x to the nearest integer, then down to an even number (at least 2).
func Even(x float64) int { return EvenInt(int(math.Round(x))) }

// EvenInt rounds n down to an even number (at least 2): H.264 4:2:0 needs even sizes.
func EvenInt(n int) int {
	n &^= 1
	if n < 2 {
		return 2
	}
	return n
}

// MaxAspectError is how far from its aspect a picture cut to an aspect may be: rounding a side to a
// whole (or even) number of pixels costs less than this at any size quinte publishes above a few dozen
// pixels; below that, the picture is made smaller rather than of another shape.
const MaxAspectError = 0.02

// RoundTo rounds x to the nearest multiple of unit (1, or 2 for H.264 4:2:0), at least unit.
func RoundTo(x float64, unit int) int {
	return max(unit, int(math.Round(x/float64(unit)))*unit)
}

// HasShape reports whether s is of aspect w:h within one rounding step of unit pixels (one side is the
// other times the aspect, rounded to a multiple of unit) and within MaxAspectError.
func HasShape(s Size, w, h, unit int) bool {
	if s.W <= 0 || s.H <= 0 {
		return false
	}
	exactH, exactW := float64(s.W)*float64(h)/float64(w), float64(s.H)*float64(w)/float64(h)
	step := float64(unit) / 2
	if math.Abs(float64(s.H)-exactH) > step+1e-9 && math.Abs(float64(s.W)-exactW) > step+1e-9 {
		return false
	}
	return math.Abs(float64(s.W*h)/float64(s.H*w)-1) <= MaxAspectError
}

// Shaped is the largest size of aspect w:h (HasShape) no larger than bound on either side, with sides
// multiples of unit; false when even the smallest is too large.
func Shaped(bound Size, w, h, unit int) (Size, bool) {
	for W := bound.W - bound.W%unit; W >= unit; W -= unit {
		H := RoundTo(float64(W)*float64(h)/float64(w), unit)
		if s := (Size{W: W, H: H}); H <= bound.H && HasShape(s, w, h, unit) {
			return s, true
		}
	}
	return Size{}, false
}

// ScaleRect maps r from a picture of size from to one of size to.
func ScaleRect(r Rect, from, to Size) Rect {
	fx, fy := float64(to.W)/float64(from.W), float64(to.H)/float64(from.H)
	x0, y0 := int(math.Round(float64(r.X)*fx)), int(math.Round(float64(r.Y)*fy))
	x1, y1 := int(math.Round(float64(r.X+r.W)*fx)), int(math.Round(float64(r.Y+r.H)*fy))
	return Rect{X: x0, Y: y0, W: max(1, min(x1, to.W)-x0), H: max(1, min(y1, to.H)-y0)}
}
