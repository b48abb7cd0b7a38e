package icc

import (
	"math"
	"sync"
)

// Table holds a function sampled at evenly spaced points on 0..1, read back with linear
// interpolation: the HDR transfer functions (PQ, HLG), which no ICC profile describes here.
type Table []float64

// Sample samples f at n (at least 2) points.
func Sample(f func(float64) float64, n int) Table {
	t := make(Table, max(n, 2))
	for i := range t {
		t[i] = f(float64(i) / float64(len(t)-1))
	}
	return t
}

// At reads the table at x, clamped to 0..1 (NaN reads as 0).
func (t Table) At(x float64) float64 {
	if !(x > 0) {
		return t[0]
	}
	if x >= 1 {
		return t[len(t)-1]
	}
	f := x * float64(len(t)-1)
	i := int(f)
	return t[i] + (t[i+1]-t[i])*(f-float64(i))
}

// encodeSize is the resolution of the linear-to-sRGB table: fine enough that the steepest part of the
// curve, near black, still gets every output code.
const encodeSize = 1 << 16

var encodeTable = sync.OnceValue(func() *[encodeSize + 1]uint8 {
	var t [encodeSize + 1]uint8
	for i := range t {
		v := float64(i) / encodeSize
		if v <= 0.0031308 {
			v *= 12.92
		} else {
			v = 1.055*math.Pow(v, 1/2.4) - 0.055
		}
		t[i] = uint8(math.Round(255 * v))
	}
	return &t
})

// Encode8 turns linear light (clipped to 0..1) into an 8-bit sRGB value: the last step of tone
// mapping, after the Linear conversion and the curve that brings highlights under 1.
func Encode8(v float32) uint8 {
	if !(v > 0) { // also NaN
		return 0
	}
	if v >= 1 {
		return 255
	}
	return encodeTable()[int(v*encodeSize+0.5)]
}
