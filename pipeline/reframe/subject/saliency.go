package subject

import (
	"image"
	"math"
	"sort"

	"github.com/quinte-media/quinte/pipeline/reframe"
)

// yuvFrame is one analysed frame, 8-bit 4:2:0 planar as ffmpeg writes `-pix_fmt yuv420p` rawvideo:
// the Y plane is the grey picture the face detector reads, U and V carry the colour saliency needs.
type yuvFrame struct {
	W, H int
	Pix  []byte // Y (W*H), then U and V (W/2*H/2 each)
}

// grey is the frame's Y plane as a picture (sharing its bytes).
func (f yuvFrame) grey() *image.Gray {
	return &image.Gray{Pix: f.Pix[:f.W*f.H], Stride: f.W, Rect: image.Rect(0, 0, f.W, f.H)}
}

func (f yuvFrame) y(x, y int) float64 { return float64(f.Pix[y*f.W+x]) }
func (f yuvFrame) uv(x, y int) (u, v float64) {
	cw, ch := f.W/2, f.H/2
	o := f.W * f.H
	return float64(f.Pix[o+y*cw+x]), float64(f.Pix[o+cw*ch+y*cw+x])
}

// saliencyGrid is the size of the cells saliency is summed over.
const saliencyCell = 8

// saliency finds the region of a frame most likely to hold the subject when no face is found: skin
// tones, detail (edges) and saturated colour, with a mild preference for the middle, as smartcrop
// weighs them. It returns the weighted centre of the strongest tenth of the picture with a box of about
// its spread, or an empty box when nothing stands out (a flat or black frame).
func saliency(f yuvFrame) reframe.Box {
	gw, gh := f.W/saliencyCell, f.H/saliencyCell
	if gw < 4 || gh < 4 {
		return reframe.Box{}
	}
	edge := make([]float64, gw*gh)
	skin := make([]float64, gw*gh)
	sat := make([]float64, gw*gh)
	// Detail: gradient magnitude on every other luma pixel.
	for y := 1; y < f.H-1; y += 2 {
		for x := 1; x < f.W-1; x += 2 {
			gx := f.y(x+1, y) - f.y(x-1, y)
			gy := f.y(x, y+1) - f.y(x, y-1)
			c := (y/saliencyCell)*gw + x/saliencyCell
			if x/saliencyCell < gw && y/saliencyCell < gh {
				edge[c] += math.Abs(gx) + math.Abs(gy)
			}
		}
	}
	// Skin and saturation on the chroma planes (half size).
	for y := 0; y < f.H/2; y++ {
		for x := 0; x < f.W/2; x++ {
			u, v := f.uv(x, y)
			cx, cy := 2*x/saliencyCell, 2*y/saliencyCell
			if cx >= gw || cy >= gh {
				continue
			}
			c := cy*gw + cx
			// A classic Cb/Cr skin range; it holds for most skin tones under daylight and stage light.
			if u >= 77 && u <= 127 && v >= 133 && v <= 173 && f.y(2*x, 2*y) > 40 {
				skin[c]++
			}
			sat[c] += math.Hypot(u-128, v-128)
		}
	}
	norm := func(a []float64) {
		m := 0.0
		for _, v := range a {
			m = math.Max(m, v)
		}
		if m > 0 {
			for i := range a {
				a[i] /= m
			}
		}
	}
	maxEdge := 0.0
	for _, v := range edge {
		maxEdge = math.Max(maxEdge, v)
	}
	// Mean gradient per sampled pixel in the busiest cell: under ~2 grey levels the frame is flat.
	if maxEdge/float64(saliencyCell*saliencyCell/4) < 2 {
		return reframe.Box{}
	}
	norm(edge)
	norm(skin)
	norm(sat)
	m := make([]float64, gw*gh)
	for cy := 0; cy < gh; cy++ {
		for cx := 0; cx < gw; cx++ {
			dx := (float64(cx)+0.5)/float64(gw) - 0.5
			dy := (float64(cy)+0.5)/float64(gh) - 0.5
			prior := 1 - 0.8*(dx*dx+dy*dy)
			i := cy*gw + cx
			m[i] = (0.35*edge[i] + 0.45*skin[i] + 0.2*sat[i]) * prior
		}
	}
	sorted := append([]float64(nil), m...)
	sort.Float64s(sorted)
	thr := sorted[len(sorted)*9/10]
	var sw, sx, sy float64
	for i, v := range m {
		if v < thr || v <= 0 {
			continue
		}
		x, y := (float64(i%gw)+0.5)/float64(gw), (float64(i/gw)+0.5)/float64(gh)
		sw += v
		sx += v * x
		sy += v * y
	}
	if sw == 0 {
		return reframe.Box{}
	}
	cx, cy := sx/sw, sy/sw
	var vx, vy float64
	for i, v := range m {
		if v < thr || v <= 0 {
			continue
		}
		x, y := (float64(i%gw)+0.5)/float64(gw), (float64(i/gw)+0.5)/float64(gh)
		vx += v * (x - cx) * (x - cx)
		vy += v * (y - cy) * (y - cy)
	}
	hw := clamp(math.Sqrt(vx/sw), 0.05, 0.25)
	hh := clamp(math.Sqrt(vy/sw), 0.05, 0.25)
	return reframe.Box{X0: clamp(cx-hw, 0, 1), Y0: clamp(cy-hh, 0, 1), X1: clamp(cx+hw, 0, 1), Y1: clamp(cy+hh, 0, 1)}
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
