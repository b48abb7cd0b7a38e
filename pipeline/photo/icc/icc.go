// Package icc converts pictures described by an embedded ICC profile into sRGB: matrix/TRC RGB
// profiles (Display P3, Adobe RGB, ProPhoto...) and LUT-based profiles (the CMYK press profiles of
// print JPEGs, such as U.S. Web Coated SWOP), through the profile's perceptual A2B0 table. It is a
// small subset of what a colour management module does: enough to bring phone and press pictures to
// the sRGB the web expects, with out-of-gamut colours clipped.
package icc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrUnsupported is a profile this package cannot apply (the picture is then used as if sRGB).
var ErrUnsupported = errors.New("unsupported ICC profile")

// Profile is a parsed ICC profile.
type Profile struct {
	Class   string // mntr, prtr, scnr...
	Space   string // RGB, CMYK, GRAY
	PCS     string // XYZ or Lab
	Version int    // major version: 2 or 4
	Desc    string // the profile's description, for the plan
	tags    map[string][]byte
}

// Parse reads a profile's header and tag table.
func Parse(b []byte) (*Profile, error) {
	if len(b) < 132 || string(b[36:40]) != "acsp" {
		return nil, fmt.Errorf("%w: no ICC header", ErrUnsupported)
	}
	p := &Profile{
		Class: strings.TrimSpace(string(b[12:16])), Space: strings.TrimSpace(string(b[16:20])),
		PCS: strings.TrimSpace(string(b[20:24])), Version: int(b[8]), tags: map[string][]byte{},
	}
	n := int(binary.BigEndian.Uint32(b[128:]))
	if n > (len(b)-132)/12 {
		return nil, fmt.Errorf("%w: tag table runs past the profile", ErrUnsupported)
	}
	for i := range n {
		e := b[132+12*i:]
		sig := string(e[:4])
		off, size := uint64(binary.BigEndian.Uint32(e[4:])), uint64(binary.BigEndian.Uint32(e[8:]))
		if off+size > uint64(len(b)) || size < 8 {
			return nil, fmt.Errorf("%w: tag %q runs past the profile", ErrUnsupported, sig)
		}
		p.tags[sig] = b[off : off+size]
	}
	p.Desc = p.description()
	return p, nil
}

// description reads the desc tag (v2 'desc' ASCII or v4 'mluc' first record).
func (p *Profile) description() string {
	t := p.tags["desc"]
	switch {
	case len(t) > 12 && string(t[:4]) == "desc":
		n := int(binary.BigEndian.Uint32(t[8:]))
		if n > 0 && 12+n <= len(t) {
			return strings.TrimRight(string(t[12:12+n]), "\x00")
		}
	case len(t) > 28 && string(t[:4]) == "mluc":
		size, off := int(binary.BigEndian.Uint32(t[20:])), int(binary.BigEndian.Uint32(t[24:]))
		if off+size <= len(t) {
			u := make([]rune, 0, size/2)
			for i := off; i+1 < off+size; i += 2 {
				u = append(u, rune(binary.BigEndian.Uint16(t[i:])))
			}
			return string(u)
		}
	}
	return ""
}

// s15 reads an s15Fixed16Number.
func s15(b []byte) float64 { return float64(int32(binary.BigEndian.Uint32(b))) / 65536 }

// xyz reads an XYZType tag.
func (p *Profile) xyz(sig string) ([3]float64, error) {
	t := p.tags[sig]
	if len(t) < 20 || string(t[:4]) != "XYZ " {
		return [3]float64{}, fmt.Errorf("%w: no %s", ErrUnsupported, sig)
	}
	return [3]float64{s15(t[8:]), s15(t[12:]), s15(t[16:])}, nil
}

// curve is a tone curve: device value (0..1) to linear (0..1).
type curve func(float64) float64

// parseCurve reads a curv or para element and returns it with its length in bytes (for mAB).
func parseCurve(t []byte) (curve, int, error) {
	if len(t) < 12 {
		return nil, 0, fmt.Errorf("%w: short curve", ErrUnsupported)
	}
	switch string(t[:4]) {
	case "curv":
		n := int(binary.BigEndian.Uint32(t[8:]))
		size := 12 + 2*n
		if len(t) < size {
			return nil, 0, fmt.Errorf("%w: short curv", ErrUnsupported)
		}
		switch n {
		case 0:
			return func(x float64) float64 { return x }, size, nil
		case 1:
			g := float64(binary.BigEndian.Uint16(t[12:])) / 256
			return func(x float64) float64 { return math.Pow(x, g) }, size, nil
		}
		tab := make(Table, n)
		for i := range tab {
			tab[i] = float64(binary.BigEndian.Uint16(t[12+2*i:])) / 65535
		}
		return tab.At, size, nil
	case "para":
		kind := int(binary.BigEndian.Uint16(t[8:]))
		counts := []int{1, 3, 4, 5, 7}
		if kind >= len(counts) || len(t) < 12+4*counts[kind] {
			return nil, 0, fmt.Errorf("%w: para type %d", ErrUnsupported, kind)
		}
		var v [7]float64
		for i := range counts[kind] {
			v[i] = s15(t[12+4*i:])
		}
		g, a, b, c, d, e, f := v[0], v[1], v[2], v[3], v[4], v[5], v[6]
		var fn curve
		switch kind {
		case 0:
			fn = func(x float64) float64 { return math.Pow(x, g) }
		case 1:
			fn = func(x float64) float64 {
				if x >= -b/a {
					return math.Pow(a*x+b, g)
				}
				return 0
			}
		case 2:
			fn = func(x float64) float64 {
				if x >= -b/a {
					return math.Pow(a*x+b, g) + c
				}
				return c
			}
		case 3:
			fn = func(x float64) float64 {
				if x >= d {
					return math.Pow(a*x+b, g)
				}
				return c * x
			}
		case 4:
			fn = func(x float64) float64 {
				if x >= d {
					return math.Pow(a*x+b, g) + e
				}
				return c*x + f
			}
		}
		return fn, 12 + 4*counts[kind], nil
	}
	return nil, 0, fmt.Errorf("%w: curve type %q", ErrUnsupported, t[:4])
}

// Table holds a function sampled at evenly spaced points on 0..1, read back with linear
// interpolation: tone curves here, transfer functions in the HDR path.
type Table []float64

// Sample samples f at n points.
func Sample(f func(float64) float64, n int) Table {
	t := make(Table, n)
	for i := range t {
		t[i] = f(float64(i) / float64(n-1))
	}
	return t
}

// At reads the table at x, clamped to 0..1.
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
