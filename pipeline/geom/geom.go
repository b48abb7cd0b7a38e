// Package geom is the picture geometry shared by video and photo planning: sizes, regions, aspect
// crops and even-pixel rounding. Pure functions only.
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
func AspectRect(s Size, w, h int) Rect {
	cw, ch := s.W, s.W*h/w
	if ch > s.H {
		cw, ch = s.H*w/h, s.H
	}
	cw, ch = EvenInt(cw), EvenInt(ch)
	return Rect{X: ((s.W - cw) / 2) &^ 1, Y: ((s.H - ch) / 2) &^ 1, W: cw, H: ch}
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
