package photo

import (
	"fmt"
	"image"
	"math"

	"github.com/quinte-media/quinte/pipeline/photo/heif"
	"github.com/quinte-media/quinte/pipeline/photo/icc"
	"github.com/quinte-media/quinte/pipeline/photo/internal/par"
	"github.com/quinte-media/quinte/pipeline/photo/ycc"
)

// H.273 transfer characteristics of HDR pictures.
const (
	transferPQ  = 16
	transferHLG = 18
)

// Tone mapping follows the ffmpeg chain the video outputs are checked against (zscale to linear light
// with 100 cd/m² as 1.0, primaries to BT.709/sRGB, then tonemap=hable:desat=0 on the largest of R, G
// and B so hues do not shift), with the picture's own peak: MaxCLL from the clli box, or 1000 cd/m².
const (
	nominalPeak = 100.0  // cd/m² that become 1.0 in linear light
	defaultPeak = 1000.0 // cd/m² assumed when the file does not say
)

// toneMap turns HDR planes (PQ or HLG, any primaries) into SDR sRGB. The planes are 8-bit (see
// heifdec.go), so the conversion to R'G'B' is done in floating point and the transfer function read
// from a fine table, to add no second rounding to the first; smooth 10-bit gradients may still band
// slightly. Out-of-gamut colours (P3 greens and reds beyond sRGB) are clipped, not compressed.
func toneMap(src *image.YCbCr, m ycc.Matrix, n heif.NCLX, maxCLL int) (*image.NRGBA, string) {
	peak := float64(maxCLL)
	peakFrom := "MaxCLL"
	if peak <= 0 {
		peak, peakFrom = defaultPeak, "assumed"
	}
	sigPeak := peak / nominalPeak
	eotf, name := pqEOTF, "PQ"
	if n.Transfer == transferHLG {
		eotf, name = hlgEOTF, "HLG"
	}
	lin := icc.Sample(eotf, 4097)
	prim, primName := primaries(n.Primaries)
	// The primaries go to sRGB's through lcms2 on linear light, unbounded, so highlights above 1
	// reach the tone curve as ffmpeg's chain has them (primaries first, then tonemap).
	var conv *icc.Linear
	if prim != nil {
		c, err := icc.LinearFromPrimaries(primName, prim[0], prim[1], prim[2], prim[3], prim[4], prim[5])
		if err == nil {
			defer c.Close()
			conv = c
		} else {
			// lcms2 builds this profile from six numbers: only a machine out of memory fails here,
			// and the picture is still better tone-mapped in its own primaries than not at all.
			primName += " (primaries not converted: " + err.Error() + ")"
		}
	} else {
		primName = "BT.709"
	}
	norm := hable(sigPeak)
	ys, cs, yo := 1/255.0, 1/255.0, 0.0
	if !m.Full {
		ys, cs, yo = 1/219.0, 1/224.0, 16
	}
	kg := 1 - m.Kr - m.Kb
	b := src.Rect
	dst := image.NewNRGBA(b)
	par.Rows(b.Dy(), func(y0, y1 int) {
		row := make([]float32, 3*b.Dx()) // one row of linear light: the strip's only extra memory
		for y := b.Min.Y + y0; y < b.Min.Y+y1; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				ci := src.COffset(x, y)
				Y := (float64(src.Y[src.YOffset(x, y)]) - yo) * ys
				cb, cr := (float64(src.Cb[ci])-128)*cs, (float64(src.Cr[ci])-128)*cs
				r := Y + 2*(1-m.Kr)*cr
				bl := Y + 2*(1-m.Kb)*cb
				g := (Y - m.Kr*r - m.Kb*bl) / kg
				i := 3 * (x - b.Min.X)
				row[i], row[i+1], row[i+2] = float32(lin.At(r)), float32(lin.At(g)), float32(lin.At(bl))
			}
			if conv != nil {
				conv.Row(row)
			}
			d := dst.Pix[(y-b.Min.Y)*dst.Stride:]
			for i := 0; i < len(row); i += 3 {
				v := [3]float64{float64(row[i]), float64(row[i+1]), float64(row[i+2])}
				sig := max(v[0], v[1], v[2], 1e-6)
				k := hable(sig) / norm / sig
				o := 4 * (i / 3)
				d[o], d[o+1], d[o+2], d[o+3] = icc.Encode8(float32(v[0]*k)), icc.Encode8(float32(v[1]*k)), icc.Encode8(float32(v[2]*k)), 255
			}
		}
	})
	return dst, fmt.Sprintf("HDR %s %s tone-mapped to SDR sRGB (hable, peak %.0f cd/m² %s, 8-bit planes)", name, primName, peak, peakFrom)
}

// hable is the filmic curve of ffmpeg's tonemap filter.
func hable(x float64) float64 {
	const a, b, c, d, e, f = 0.15, 0.50, 0.10, 0.20, 0.02, 0.30
	return (x*(x*a+b*c)+d*e)/(x*(x*a+b)+d*f) - e/f
}

// pqEOTF is SMPTE ST 2084: signal 0..1 to cd/m², divided by the nominal peak.
func pqEOTF(e float64) float64 {
	const m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
	p := math.Pow(max(e, 0), 1/m2)
	return 10000 * math.Pow(max(p-c1, 0)/(c2-c3*p), 1/m1) / nominalPeak
}

// hlgEOTF is the BT.2100 HLG inverse OETF with the OOTF of a 1000 cd/m² display (system gamma 1.2),
// applied per channel: a simplification of the luminance-based OOTF that keeps neutral greys exact.
func hlgEOTF(e float64) float64 {
	const a, b, c = 0.17883277, 0.28466892, 0.55991073
	var s float64
	if e <= 0.5 {
		s = e * e / 3
	} else {
		s = (math.Exp((e-c)/a) + b) / 12
	}
	return 1000 * math.Pow(s, 1.2) / nominalPeak
}

// primaries are the red, green and blue chromaticities (x, y) of H.273 colour primaries other than
// sRGB's (BT.709), with their name; nil for BT.709 and codes not known here.
func primaries(code int) (*[6]float64, string) {
	switch code {
	case 9:
		return &[6]float64{0.708, 0.292, 0.170, 0.797, 0.131, 0.046}, "BT.2020"
	case 11, 12:
		return &[6]float64{0.680, 0.320, 0.265, 0.690, 0.150, 0.060}, "Display P3"
	}
	return nil, ""
}

// primariesToSRGB prepares the conversion of sRGB-transfer pixels in H.273 colour primaries other
// than sRGB's to sRGB, through a profile lcms2 builds from them; false for BT.709, codes not known
// here, and lcms2 failing (out of memory: the picture is then left in its primaries).
func primariesToSRGB(code int) (*icc.Transform, string, bool) {
	xy, name := primaries(code)
	if xy == nil {
		return nil, "", false
	}
	t, err := icc.FromPrimaries(name, xy[0], xy[1], xy[2], xy[3], xy[4], xy[5])
	if err != nil {
		return nil, "", false
	}
	return t, name, true
}

// convertPrimaries converts img in place with t (from primariesToSRGB), then frees t.
func convertPrimaries(img *image.NRGBA, t *icc.Transform) {
	defer t.Close()
	_ = t.RGB(img) // an RGB transform on an RGB picture: nothing to refuse
}
