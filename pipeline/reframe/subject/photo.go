package subject

import (
	"context"
	"fmt"
	"image"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// PhotoTrack analyses a decoded, upright photo like one frame of a video: faces (searched again at
// twice the size when none is found), else saliency, else the centre.
func (a *Analyzer) PhotoTrack(ctx context.Context, img image.Image) (*reframe.Track, error) {
	b := img.Bounds()
	if b.Dx() < 16 || b.Dy() < 16 {
		return nil, fmt.Errorf("analyse %dx%d photo: too small", b.Dx(), b.Dy())
	}
	size := analysisSize(geom.Size{W: b.Dx(), H: b.Dy()}, a.cfg.AnalysisLong)
	small := imaging.Resize(img, size.W, size.H, imaging.Box)
	o, up, err := a.look(ctx, toYUV(small), true)
	if err != nil {
		return nil, err
	}
	tr := reframe.NewTrack(size, 1, 1, nil, []reframe.Observation{o}, a.cfg)
	if up {
		tr.Upsampled = 1
	}
	return tr, nil
}

// toYUV converts a picture to the analysis frame layout (BT.601 full range, 4:2:0, even sizes).
func toYUV(img *image.NRGBA) yuvFrame {
	w, h := img.Rect.Dx()&^1, img.Rect.Dy()&^1
	f := yuvFrame{W: w, H: h, Pix: make([]byte, w*h*3/2)}
	cw := w / 2
	u, v := f.Pix[w*h:w*h+cw*h/2], f.Pix[w*h+cw*h/2:]
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := img.PixOffset(x, y)
			r, g, bl := float64(img.Pix[i]), float64(img.Pix[i+1]), float64(img.Pix[i+2])
			f.Pix[y*w+x] = uint8(clamp(0.299*r+0.587*g+0.114*bl, 0, 255))
			if x%2 == 0 && y%2 == 0 {
				u[(y/2)*cw+x/2] = uint8(clamp(128-0.168736*r-0.331264*g+0.5*bl, 0, 255))
				v[(y/2)*cw+x/2] = uint8(clamp(128+0.5*r-0.418688*g-0.081312*bl, 0, 255))
			}
		}
	}
	return f
}
