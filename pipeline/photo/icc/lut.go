package icc

import (
	"encoding/binary"
	"fmt"
	"math"
)

// pcsKind says how a LUT's output encodes the profile connection space.
type pcsKind int

const (
	labLegacy16 pcsKind = iota // lut16Type Lab: L 0..100 on 0..0xFF00
	lab8                       // lut8Type Lab
	labV4                      // lutAToBType Lab: L 0..100 on 0..0xFFFF
	xyz16                      // XYZ as u1Fixed15
)

// lut is an A2B table: input curves, a multidimensional table, then output curves (and, in the v4
// form, M curves and a matrix between them).
type lut struct {
	in, m, out []curve
	mat        *[12]float64
	grid       []int
	outCh      int
	table      []float64 // normalised 0..1
	pcs        pcsKind
}

func parseLUT(t []byte, pcs string) (*lut, error) {
	if len(t) < 32 {
		return nil, fmt.Errorf("%w: short LUT", ErrUnsupported)
	}
	switch string(t[:4]) {
	case "mft2":
		return parseMft(t, pcs, 2)
	case "mft1":
		return parseMft(t, pcs, 1)
	case "mAB ":
		return parseMAB(t, pcs)
	}
	return nil, fmt.Errorf("%w: LUT type %q", ErrUnsupported, t[:4])
}

func sample(t []byte, i, width int) float64 {
	if width == 1 {
		return float64(t[i]) / 255
	}
	return float64(binary.BigEndian.Uint16(t[2*i:])) / 65535
}

func tableCurve(t []byte, n, width int) curve {
	tab := make(Table, n)
	for i := range tab {
		tab[i] = sample(t, i, width)
	}
	return tab.At
}

// parseMft reads lut8Type (width 1) and lut16Type (width 2).
func parseMft(t []byte, pcs string, width int) (*lut, error) {
	inCh, outCh, g := int(t[8]), int(t[9]), int(t[10])
	if inCh < 1 || inCh > 8 || outCh != 3 || g < 2 {
		return nil, fmt.Errorf("%w: LUT with %d inputs, %d outputs, %d grid points", ErrUnsupported, inCh, outCh, g)
	}
	nIn, nOut, p := 256, 256, 48
	if width == 2 {
		nIn, nOut, p = int(binary.BigEndian.Uint16(t[48:])), int(binary.BigEndian.Uint16(t[50:])), 52
	}
	cells := int(math.Pow(float64(g), float64(inCh))) * outCh
	need := p + width*(inCh*nIn+cells+outCh*nOut)
	if nIn < 2 || nOut < 2 || len(t) < need {
		return nil, fmt.Errorf("%w: LUT tables run past the tag", ErrUnsupported)
	}
	l := &lut{outCh: outCh, pcs: xyz16}
	for range inCh {
		l.in = append(l.in, tableCurve(t[p:], nIn, width))
		p += width * nIn
	}
	l.grid = make([]int, inCh)
	for i := range l.grid {
		l.grid[i] = g
	}
	l.table = make([]float64, cells)
	for i := range l.table {
		l.table[i] = sample(t[p:], i, width)
	}
	p += width * cells
	for range outCh {
		l.out = append(l.out, tableCurve(t[p:], nOut, width))
		p += width * nOut
	}
	if pcs == "Lab" {
		l.pcs = labLegacy16
		if width == 1 {
			l.pcs = lab8
		}
	}
	return l, nil
}

// parseMAB reads lutAToBType (ICC v4).
func parseMAB(t []byte, pcs string) (*lut, error) {
	inCh, outCh := int(t[8]), int(t[9])
	if inCh < 1 || inCh > 8 || outCh != 3 {
		return nil, fmt.Errorf("%w: mAB with %d inputs, %d outputs", ErrUnsupported, inCh, outCh)
	}
	off := func(i int) int { return int(binary.BigEndian.Uint32(t[12+4*i:])) }
	curves := func(at, n int) ([]curve, error) {
		var cs []curve
		for range n {
			if at >= len(t) {
				return nil, fmt.Errorf("%w: mAB curves past the tag", ErrUnsupported)
			}
			c, size, err := parseCurve(t[at:])
			if err != nil {
				return nil, err
			}
			cs = append(cs, c)
			at += (size + 3) &^ 3
		}
		return cs, nil
	}
	l := &lut{outCh: outCh, pcs: xyz16}
	if pcs == "Lab" {
		l.pcs = labV4
	}
	var err error
	if o := off(0); o != 0 {
		if l.out, err = curves(o, outCh); err != nil {
			return nil, err
		}
	}
	if o := off(1); o != 0 && o+48 <= len(t) {
		l.mat = &[12]float64{}
		for i := range l.mat {
			l.mat[i] = s15(t[o+4*i:])
		}
	}
	if o := off(2); o != 0 {
		if l.m, err = curves(o, outCh); err != nil {
			return nil, err
		}
	}
	if o := off(3); o != 0 {
		if o+20 > len(t) {
			return nil, fmt.Errorf("%w: mAB CLUT past the tag", ErrUnsupported)
		}
		cells, width := outCh, int(t[o+16])
		l.grid = make([]int, inCh)
		for i := range l.grid {
			l.grid[i] = int(t[o+i])
			if l.grid[i] < 2 {
				return nil, fmt.Errorf("%w: mAB grid of %d points", ErrUnsupported, l.grid[i])
			}
			cells *= l.grid[i]
		}
		if (width != 1 && width != 2) || o+20+width*cells > len(t) {
			return nil, fmt.Errorf("%w: mAB CLUT past the tag", ErrUnsupported)
		}
		l.table = make([]float64, cells)
		for i := range l.table {
			l.table[i] = sample(t[o+20:], i, width)
		}
	}
	if o := off(4); o != 0 {
		if l.in, err = curves(o, inCh); err != nil {
			return nil, err
		}
	}
	if l.table == nil && inCh != outCh {
		return nil, fmt.Errorf("%w: mAB without a CLUT", ErrUnsupported)
	}
	return l, nil
}

// eval maps device values (0..1) to XYZ relative to D50.
func (l *lut) eval(dev []float64, buf []float64) [3]float64 {
	x := buf[:len(dev)]
	copy(x, dev)
	for i, c := range l.in {
		x[i] = c(clamp01(x[i]))
	}
	var v [3]float64
	if l.table != nil {
		v = l.interpolate(x)
	} else {
		copy(v[:], x)
	}
	for i, c := range l.m {
		v[i] = c(clamp01(v[i]))
	}
	if m := l.mat; m != nil {
		v = [3]float64{
			m[0]*v[0] + m[1]*v[1] + m[2]*v[2] + m[9],
			m[3]*v[0] + m[4]*v[1] + m[5]*v[2] + m[10],
			m[6]*v[0] + m[7]*v[1] + m[8]*v[2] + m[11],
		}
	}
	for i, c := range l.out {
		v[i] = c(clamp01(v[i]))
	}
	return l.toXYZ(v)
}

// interpolate reads the table at x by multilinear interpolation between the 2^n surrounding points.
func (l *lut) interpolate(x []float64) [3]float64 {
	n := len(l.grid)
	var frac [8]float64
	var stride [8]int
	s := l.outCh
	for d := n - 1; d >= 0; d-- {
		stride[d] = s
		s *= l.grid[d]
	}
	base := 0
	for d := range n {
		f := clamp01(x[d]) * float64(l.grid[d]-1)
		i := min(int(f), l.grid[d]-2)
		frac[d] = f - float64(i)
		base += i * stride[d]
	}
	var out [3]float64
	for corner := range 1 << n {
		w, off := 1.0, base
		for d := range n {
			if corner>>d&1 == 1 {
				w *= frac[d]
				off += stride[d]
			} else {
				w *= 1 - frac[d]
			}
		}
		if w == 0 {
			continue
		}
		out[0] += w * l.table[off]
		out[1] += w * l.table[off+1]
		out[2] += w * l.table[off+2]
	}
	return out
}

// toXYZ decodes the PCS encoding of v into XYZ (D50).
func (l *lut) toXYZ(v [3]float64) [3]float64 {
	var L, a, b float64
	switch l.pcs {
	case xyz16:
		k := 65535.0 / 32768
		return [3]float64{v[0] * k, v[1] * k, v[2] * k}
	case labLegacy16:
		L, a, b = v[0]*65535/652.80, v[1]*65535/256-128, v[2]*65535/256-128
	case lab8:
		L, a, b = v[0]*100, v[1]*255-128, v[2]*255-128
	case labV4:
		L, a, b = v[0]*100, v[1]*255-128, v[2]*255-128
	}
	return labToXYZ(L, a, b)
}

// labToXYZ converts CIELAB to XYZ relative to the D50 white of the PCS.
func labToXYZ(L, a, b float64) [3]float64 {
	fy := (L + 16) / 116
	fx, fz := fy+a/500, fy-b/200
	finv := func(t float64) float64 {
		if t > 6.0/29 {
			return t * t * t
		}
		return 3 * (6.0 / 29) * (6.0 / 29) * (t - 4.0/29)
	}
	return [3]float64{0.9642 * finv(fx), finv(fy), 0.8249 * finv(fz)}
}

func clamp01(x float64) float64 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}
