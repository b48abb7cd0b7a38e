package photo

import (
	"fmt"
	"image"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/pipeline/photo/icc"
	"github.com/quinte-media/quinte/pipeline/photo/internal/par"
	"github.com/quinte-media/quinte/pipeline/photo/ycc"
)

// toSRGB turns a decoded picture into opaque sRGB: CMYK through its press profile, RGB (or grey)
// through its embedded profile (Display P3, Adobe RGB...), transparency composited onto white (a JPEG
// has no alpha, and a black background would hide dark strokes drawn on a transparent sheet).
//
// A profile lcms2 refuses, or one describing other pixels than the picture's, is ignored and the
// plan says so ("profile not applied (why), used as sRGB"), rather than the photo refused: the
// pixels decode, every browser shows such a file (they ignore broken profiles too), and the person
// uploading it could not act on a refusal short of re-exporting it, which is what they meant to avoid.
func toSRGB(img image.Image, profile []byte) (*picture, error) {
	t, why := profileTransform(profile)
	defer t.Close()
	pic := &picture{colour: "sRGB"}
	switch m := img.(type) {
	case *image.CMYK:
		if t != nil {
			out, err := t.CMYK(m)
			if err == nil {
				pic.img, pic.colour = out, fmt.Sprintf("CMYK converted to sRGB through its profile %q", t.Desc)
				return pic, nil
			}
			why = err.Error()
		}
		// Without a usable profile, the textbook conversion: colours come out too bright and saturated
		// compared with print, but nothing better is known about the inks.
		pic.img, pic.colour = imaging.Clone(m), "CMYK without a usable profile ("+why+"): converted without colour management"
		return pic, nil
	case *image.YCbCr:
		pic.img = ycc.ToNRGBA(m, ycc.JPEG)
	case *image.NRGBA:
		pic.img = m // already a fresh picture of its own (GIF/WebP canvas, HEIF planes)
	default:
		pic.img = imaging.Clone(img)
	}
	switch {
	case t != nil && t.Identity():
		pic.colour = fmt.Sprintf("sRGB (profile %q)", t.Desc)
	case t != nil:
		if err := t.RGB(pic.img); err != nil {
			pic.colour = "profile not applied (" + err.Error() + "), used as sRGB"
		} else {
			pic.colour = fmt.Sprintf("converted from its profile %q to sRGB", t.Desc)
		}
	case why != "":
		pic.colour = "profile not applied (" + why + "), used as sRGB"
	}
	if flatten(pic.img) {
		pic.colour += "; transparency composited onto white"
	}
	return pic, nil
}

// profileTransform prepares an embedded profile's conversion, or says why it cannot be used.
func profileTransform(b []byte) (*icc.Transform, string) {
	if len(b) == 0 {
		return nil, ""
	}
	t, err := icc.New(b)
	if err != nil {
		return nil, err.Error()
	}
	return t, ""
}

// flatten composites img onto white in place and reports whether any pixel was not opaque.
func flatten(img *image.NRGBA) bool {
	b := img.Bounds()
	found := make([]bool, b.Dy())
	par.Rows(b.Dy(), func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*b.Dx()]
			for i := 0; i < len(row); i += 4 {
				a := uint32(row[i+3])
				if a == 255 {
					continue
				}
				found[y] = true
				for c := range 3 {
					row[i+c] = uint8((uint32(row[i+c])*a + 255*(255-a) + 127) / 255)
				}
				row[i+3] = 255
			}
		}
	})
	for _, f := range found {
		if f {
			return true
		}
	}
	return false
}
