package reframe

import (
	"image"
	"image/color"

	"github.com/disintegration/imaging"
)

// RenderPhoto makes one aspect of a photo from its plan: fill crops and resizes; fit lays the whole
// photo over a blurred, darkened copy of itself, like the video's fit.
func RenderPhoto(img image.Image, p PhotoPlan) image.Image {
	if p.Mode == Fill {
		out := imaging.Crop(img, p.Rect.Add(img.Bounds().Min))
		if out.Bounds().Dx() != p.Out.W || out.Bounds().Dy() != p.Out.H {
			out = imaging.Resize(out, p.Out.W, p.Out.H, imaging.Lanczos)
		}
		return out
	}
	// Blur at an eighth of the size (cheap, and the stretch back up smooths it), darken to 55 %.
	bw, bh := max(2, p.Out.W/blurShrink), max(2, p.Out.H/blurShrink)
	bg := imaging.Fill(img, bw, bh, imaging.Center, imaging.Box)
	bg = imaging.Blur(bg, float64(min(bw, bh))/16+1)
	bg = imaging.AdjustFunc(bg, func(c color.NRGBA) color.NRGBA {
		return color.NRGBA{uint8(int(c.R) * 55 / 100), uint8(int(c.G) * 55 / 100), uint8(int(c.B) * 55 / 100), c.A}
	})
	canvas := imaging.Resize(bg, p.Out.W, p.Out.H, imaging.Linear)
	fg := imaging.Resize(img, p.Inner.W, p.Inner.H, imaging.Lanczos)
	return imaging.Paste(canvas, fg, image.Pt((p.Out.W-p.Inner.W)/2, (p.Out.H-p.Inner.H)/2))
}
