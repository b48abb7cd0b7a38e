package icc

import (
	"fmt"
	"image"
	"math"

	"github.com/quinte-media/quinte/pipeline/photo/internal/par"
)

// Transform brings one profile's pixels to sRGB.
type Transform struct {
	Desc  string
	space string
	// RGB matrix/TRC profiles: per-channel linearisation, then one matrix to linear sRGB.
	lin *[3][256]float32
	m   [9]float32
	// LUT profiles (CMYK and LUT-based RGB): the A2B0 table, then XYZ (D50) to linear sRGB.
	lut *lut
}

// ToSRGB prepares the transform from p to sRGB. Identity reports profiles that are sRGB already (the
// common "sRGB IEC61966-2.1"): applying them would only cost time.
func (p *Profile) ToSRGB() (*Transform, error) {
	t := &Transform{Desc: p.Desc, space: p.Space}
	switch p.Space {
	case "RGB":
		if err := t.matrixTRC(p); err == nil {
			return t, nil
		}
	case "CMYK":
	default:
		return nil, fmt.Errorf("%w: %s pictures", ErrUnsupported, p.Space)
	}
	var err error
	for _, sig := range []string{"A2B0", "A2B1"} {
		if tag, ok := p.tags[sig]; ok {
			if t.lut, err = parseLUT(tag, p.PCS); err == nil {
				return t, nil
			}
		}
	}
	if err == nil {
		err = fmt.Errorf("%w: no A2B0 table", ErrUnsupported)
	}
	return nil, err
}

func (t *Transform) matrixTRC(p *Profile) error {
	var cols [3][3]float64
	for i, sig := range []string{"rXYZ", "gXYZ", "bXYZ"} {
		v, err := p.xyz(sig)
		if err != nil {
			return err
		}
		cols[i] = v
	}
	t.lin = &[3][256]float32{}
	for i, sig := range []string{"rTRC", "gTRC", "bTRC"} {
		tag, ok := p.tags[sig]
		if !ok {
			return fmt.Errorf("%w: no %s", ErrUnsupported, sig)
		}
		c, _, err := parseCurve(tag)
		if err != nil {
			return err
		}
		for v := range 256 {
			t.lin[i][v] = float32(c(float64(v) / 255))
		}
	}
	dev := Matrix{cols[0][0], cols[1][0], cols[2][0], cols[0][1], cols[1][1], cols[2][1], cols[0][2], cols[1][2], cols[2][2]}
	m := SRGBFromXYZD50.Mul(dev)
	for i := range m {
		t.m[i] = float32(m[i])
	}
	return nil
}

// Identity says whether the transform changes no 8-bit value by more than one step.
func (t *Transform) Identity() bool {
	if t.lin == nil {
		return false
	}
	for i := range 3 {
		for j := range 3 {
			want := float32(0)
			if i == j {
				want = 1
			}
			if math.Abs(float64(t.m[3*i+j]-want)) > 0.01 {
				return false
			}
		}
		for v := range 256 {
			if math.Abs(255*(EncodeSRGB(float64(t.lin[i][v]))-float64(v)/255)) > 1 {
				return false
			}
		}
	}
	return true
}

// RGB converts an RGB picture in place.
func (t *Transform) RGB(img *image.NRGBA) error {
	if t.space != "RGB" {
		return fmt.Errorf("%w: a %s profile on an RGB picture", ErrUnsupported, t.space)
	}
	b := img.Bounds()
	par.Rows(b.Dy(), func(y0, y1 int) {
		dev := make([]float64, 3)
		buf := make([]float64, 8)
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*b.Dx()]
			for i := 0; i < len(row); i += 4 {
				var r, g, bl float32
				if t.lin != nil {
					lr, lg, lb := t.lin[0][row[i]], t.lin[1][row[i+1]], t.lin[2][row[i+2]]
					m := &t.m
					r, g, bl = m[0]*lr+m[1]*lg+m[2]*lb, m[3]*lr+m[4]*lg+m[5]*lb, m[6]*lr+m[7]*lg+m[8]*lb
				} else {
					dev[0], dev[1], dev[2] = float64(row[i])/255, float64(row[i+1])/255, float64(row[i+2])/255
					v := SRGBFromXYZD50.Apply(t.lut.eval(dev, buf))
					r, g, bl = float32(v[0]), float32(v[1]), float32(v[2])
				}
				row[i], row[i+1], row[i+2] = Encode8(r), Encode8(g), Encode8(bl)
			}
		}
	})
	return nil
}

// CMYK converts a CMYK picture (0 = no ink, as image/jpeg returns it) to opaque sRGB.
func (t *Transform) CMYK(img *image.CMYK) (*image.NRGBA, error) {
	if t.space != "CMYK" || t.lut == nil {
		return nil, fmt.Errorf("%w: a %s profile on a CMYK picture", ErrUnsupported, t.space)
	}
	b := img.Bounds()
	dst := image.NewNRGBA(b)
	par.Rows(b.Dy(), func(y0, y1 int) {
		dev := make([]float64, 4)
		buf := make([]float64, 8)
		cache := map[[4]uint8][3]uint8{} // press pictures repeat colours a lot
		for y := y0; y < y1; y++ {
			src := img.Pix[y*img.Stride : y*img.Stride+4*b.Dx()]
			d := dst.Pix[y*dst.Stride:]
			for i := 0; i < len(src); i += 4 {
				k := [4]uint8{src[i], src[i+1], src[i+2], src[i+3]}
				c, ok := cache[k]
				if !ok {
					for j := range 4 {
						dev[j] = float64(k[j]) / 255
					}
					v := SRGBFromXYZD50.Apply(t.lut.eval(dev, buf))
					c = [3]uint8{Encode8(float32(v[0])), Encode8(float32(v[1])), Encode8(float32(v[2]))}
					if len(cache) < 1<<16 {
						cache[k] = c
					}
				}
				d[i], d[i+1], d[i+2], d[i+3] = c[0], c[1], c[2], 255
			}
		}
	})
	return dst, nil
}
