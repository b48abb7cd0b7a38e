package icc

import (
	"math"
	"sync"
)

// Matrix is a 3x3 matrix in row order.
type Matrix [9]float64

// Mul returns m·n.
func (m Matrix) Mul(n Matrix) Matrix {
	var r Matrix
	for i := range 3 {
		for j := range 3 {
			r[3*i+j] = m[3*i]*n[j] + m[3*i+1]*n[3+j] + m[3*i+2]*n[6+j]
		}
	}
	return r
}

// Apply returns m·v.
func (m Matrix) Apply(v [3]float64) [3]float64 {
	return [3]float64{
		m[0]*v[0] + m[1]*v[1] + m[2]*v[2],
		m[3]*v[0] + m[4]*v[1] + m[5]*v[2],
		m[6]*v[0] + m[7]*v[1] + m[8]*v[2],
	}
}

// SRGBFromXYZD50 takes XYZ relative to the ICC's D50 white to linear sRGB (Bradford-adapted).
var SRGBFromXYZD50 = Matrix{
	3.1338561, -1.6168667, -0.4906146,
	-0.9787684, 1.9161415, 0.0334540,
	0.0719453, -0.2289914, 1.4052427,
}

// SRGBFromXYZD65 takes XYZ relative to D65 to linear sRGB.
var SRGBFromXYZD65 = Matrix{
	3.2404542, -1.5371385, -0.4985314,
	-0.9692660, 1.8760108, 0.0415560,
	0.0556434, -0.2040259, 1.0572252,
}

// FromPrimaries is the matrix from linear RGB with the given red, green and blue chromaticities and
// D65 white to linear sRGB: how nclx-described pictures (Display P3, BT.2020) are brought to sRGB.
func FromPrimaries(rx, ry, gx, gy, bx, by float64) Matrix {
	const wx, wy = 0.3127, 0.3290
	xyz := func(x, y float64) [3]float64 { return [3]float64{x / y, 1, (1 - x - y) / y} }
	r, g, b, w := xyz(rx, ry), xyz(gx, gy), xyz(bx, by), xyz(wx, wy)
	p := Matrix{r[0], g[0], b[0], r[1], g[1], b[1], r[2], g[2], b[2]}
	s := p.Inverse().Apply(w)
	for i := range 3 {
		p[i*3], p[i*3+1], p[i*3+2] = p[i*3]*s[0], p[i*3+1]*s[1], p[i*3+2]*s[2]
	}
	return SRGBFromXYZD65.Mul(p)
}

// Inverse returns m⁻¹.
func (m Matrix) Inverse() Matrix {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	det := a*(e*i-f*h) - b*(d*i-f*g) + c*(d*h-e*g)
	return Matrix{
		(e*i - f*h) / det, (c*h - b*i) / det, (b*f - c*e) / det,
		(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det,
		(d*h - e*g) / det, (b*g - a*h) / det, (a*e - b*d) / det,
	}
}

// encodeSize is the resolution of the linear-to-sRGB table: fine enough that the steepest part of the
// curve, near black, still gets every output code.
const encodeSize = 1 << 16

var encodeTable = sync.OnceValue(func() *[encodeSize + 1]uint8 {
	var t [encodeSize + 1]uint8
	for i := range t {
		t[i] = uint8(math.Round(255 * EncodeSRGB(float64(i)/encodeSize)))
	}
	return &t
})

// EncodeSRGB is the sRGB transfer function, linear 0..1 to encoded 0..1.
func EncodeSRGB(v float64) float64 {
	if v <= 0.0031308 {
		return 12.92 * v
	}
	return 1.055*math.Pow(v, 1/2.4) - 0.055
}

// DecodeSRGB is the inverse of EncodeSRGB.
func DecodeSRGB(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

// Encode8 turns linear light (clipped to 0..1) into an 8-bit sRGB value.
func Encode8(v float32) uint8 {
	if !(v > 0) { // also NaN
		return 0
	}
	if v >= 1 {
		return 255
	}
	return encodeTable()[int(v*encodeSize+0.5)]
}
