package reframe

import (
	"math"
	"sort"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// Key is a point of a camera path: the crop's top-left corner, in working-picture pixels, at T seconds.
type Key struct {
	T float64 `json:"t"`
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Path is a camera path: positions are linear between keys; two keys with the same T are a cut (the
// later one holds from T on).
type Path []Key

// At is the crop's top-left corner at time t.
func (p Path) At(t float64) (x, y float64) {
	if len(p) == 0 {
		return 0, 0
	}
	i := sort.Search(len(p), func(i int) bool { return p[i].T > t })
	if i == 0 {
		return p[0].X, p[0].Y
	}
	if i == len(p) {
		return p[i-1].X, p[i-1].Y
	}
	a, b := p[i-1], p[i]
	f := (t - a.T) / (b.T - a.T)
	return a.X + (b.X-a.X)*f, a.Y + (b.Y-a.Y)*f
}

// Still reports a path that never moves.
func (p Path) Still() bool {
	for _, k := range p {
		if k.X != p[0].X || k.Y != p[0].Y {
			return false
		}
	}
	return true
}

// framing is how an aspect's crop must sit around the subject.
type framing struct {
	work, crop geom.Size
	safe       bool    // 9:16: faces out of the top 14 % and bottom 20 %
	deadZone   float64 // the subject's centre may sit this far either side of the crop's middle
}

// newFraming is the rules for aspect a's crop of the working picture.
func newFraming(work, crop geom.Size, a geom.Aspect, cfg Config) framing {
	return framing{work: work, crop: crop, safe: a.SafeBand(), deadZone: cfg.DeadZone}
}

// Safe band of 9:16 social apps: their buttons and captions cover the top 14 % and the bottom 20 %.
const (
	safeTop    = 0.14
	safeBottom = 0.20
)

// faceMargin is how much of a face box's height is added above and below it before it is checked
// against the safe band: dlib's box for the same face differs by up to a tenth of its height (a fifth
// at worst) between the 640 px analysis frames and the full-size frames, measured on the corpus clips
// with people. Without it a face planned to touch the band's edge crossed it in a tenth of the frames.
const faceMargin = 0.1

// padY grows r by m of its height above and below.
func (r Rectf) padY(m float64) Rectf {
	d := m * (r.Y1 - r.Y0)
	return Rectf{r.X0, r.Y0 - d, r.X1, r.Y1 + d}
}

// span is an interval of crop positions along one axis.
type span struct{ lo, hi float64 }

func (s span) empty() bool { return s.lo > s.hi }

func (s span) and(o span) span { return span{math.Max(s.lo, o.lo), math.Min(s.hi, o.hi)} }

// corridor is where the crop may sit at one sample so that the subject is framed: its head inside
// (or at least its face, on a close-up), its centre within the dead zone (horizontally) or in the upper
// part (vertically), and, on 9:16, its face inside the safe band. When the rules cannot all hold, the
// weaker ones give way first.
func (fr framing) corridor(s Sample) (x, y span) {
	subj, keep, faceBox := fr.subject(s)
	W, H := float64(fr.work.W), float64(fr.work.H)
	cw, ch := float64(fr.crop.W), float64(fr.crop.H)
	k := keep.Scale(fr.work)
	c := subj.Scale(fr.work)
	f := faceBox.Scale(fr.work)
	if faceBox.Empty() {
		f = c
	}
	cx, cy := (c.X0+c.X1)/2, (c.Y0+c.Y1)/2

	x = fr.axis(W, cw, []span{{k.X1 - cw, k.X0}, {f.X1 - cw, f.X0}}, span{cx - (0.5+fr.deadZone)*cw, cx - (0.5-fr.deadZone)*cw}, span{math.Inf(-1), math.Inf(1)}, cx)
	safe := span{math.Inf(-1), math.Inf(1)}
	if fr.safe && !faceBox.Empty() {
		m := f.padY(faceMargin)
		safe = span{m.Y1 - (1-safeBottom)*ch, m.Y0 - safeTop*ch}
	}
	// Eyes near the upper third: the subject's centre between a quarter and a half of the crop height.
	y = fr.axis(H, ch, []span{{k.Y1 - ch, k.Y0}, {f.Y1 - ch, f.Y0}}, span{cy - 0.5*ch, cy - 0.25*ch}, safe, cy-0.38*ch+ch/2)
	return x, y
}

// axis combines one axis's rules: containment (the first of keeps that can hold), then the safe band
// (hard), then composition (zone), clipped to the picture. centre is where the crop's middle goes when
// nothing can be contained.
func (fr framing) axis(n, c float64, keeps []span, zone, safe span, centre float64) span {
	if c >= n {
		return span{0, 0}
	}
	s := span{centre - c/2, centre - c/2}
	for _, k := range keeps {
		if !k.empty() {
			s = k
			break
		}
	}
	if both := s.and(safe); !both.empty() {
		s = both
	}
	if both := s.and(zone); !both.empty() {
		s = both
	}
	s.lo = clamp(s.lo, 0, n-c)
	s.hi = clamp(s.hi, 0, n-c)
	return s
}

// subject is what this aspect frames at a sample: every face when their heads fit the crop together,
// else the main one; a saliency region or the centre is framed on its own.
func (fr framing) subject(s Sample) (subj, keep, faceBox Box) {
	switch s.Source {
	case SourceFace, SourceHeld:
		subj, keep, faceBox = s.Subject, s.Subject.Head(), s.Subject
		if len(s.Faces) > 1 && s.Source == SourceFace {
			var all, heads Box
			for _, f := range s.Faces {
				all, heads = all.Union(f), heads.Union(f.Head())
			}
			hp := heads.Scale(fr.work)
			if hp.X1-hp.X0 <= float64(fr.crop.W)*0.9 && hp.Y1-hp.Y0 <= float64(fr.crop.H)*0.9 {
				subj, keep, faceBox = all, heads, all
			}
		}
		return subj, keep, faceBox
	default:
		return s.Subject, s.Subject, Box{}
	}
}

// planPath is the camera path of one aspect over the whole track: the shortest path through each
// shot's corridor (holding still while the subject stays in the dead zone), eased, speed-limited, and
// cut only at shot boundaries.
func planPath(tr *Track, fr framing, cfg Config) Path {
	maxX := float64(fr.work.W - fr.crop.W)
	maxY := float64(fr.work.H - fr.crop.H)
	var path Path
	for shot, lo := 0, 0; lo < len(tr.Samples); shot++ {
		hi := lo
		for hi < len(tr.Samples) && tr.Samples[hi].Shot == tr.Samples[lo].Shot {
			hi++
		}
		ss := tr.Samples[lo:hi]
		ts := make([]float64, len(ss))
		xl, xh, yl, yh := make([]float64, len(ss)), make([]float64, len(ss)), make([]float64, len(ss)), make([]float64, len(ss))
		for i, s := range ss {
			ts[i] = s.T
			x, y := fr.corridor(s)
			xl[i], xh[i], yl[i], yh[i] = x.lo, x.hi, y.lo, y.hi
		}
		xs, ys := tautString(ts, xl, xh), tautString(ts, yl, yh)
		if len(ss) == 1 {
			// A still (a photo, or a shot sampled once) has no motion to follow, and it was framed by
			// whoever took it: of the places across where the rules hold, the one nearest the centre,
			// which keeps what the detector cannot see (a profile, a second person) as often as a
			// centre crop does. Vertically the eyes-high rule stands: a centred height cuts heads.
			xs[0] = clamp(float64(fr.work.W-fr.crop.W)/2, xl[0], xh[0])
		}
		start, end := shotBounds(tr, ss[0].Shot)
		keys := easeAndLimit(ts, xs, ys, start, end, fr, cfg)
		for i := range keys {
			keys[i].X = math.Round(clamp(keys[i].X, 0, maxX)*10) / 10
			keys[i].Y = math.Round(clamp(keys[i].Y, 0, maxY)*10) / 10
		}
		path = append(path, keys...)
		lo = hi
	}
	return path
}

// shotBounds is the time span of a shot: from its cut (or 0) to the next cut (or the end).
func shotBounds(tr *Track, shot int) (float64, float64) {
	start, end := 0.0, tr.Duration
	if shot > 0 && shot-1 < len(tr.Cuts) {
		start = tr.Cuts[shot-1]
	}
	if shot < len(tr.Cuts) {
		end = tr.Cuts[shot]
	}
	return start, math.Max(end, start)
}

// easeStep is the resolution of the eased path before it is simplified back to keys.
const easeStep = 0.05

// easeAndLimit resamples a shot's path finely, smooths its corners (a moving average applied twice:
// moves speed up and slow down over cfg.Ease seconds), limits its speed, and simplifies it back to
// the fewest keys that stay within a quarter pixel of it.
func easeAndLimit(ts, xs, ys []float64, start, end float64, fr framing, cfg Config) []Key {
	n := int(math.Round((end-start)/easeStep)) + 1
	if n < 2 {
		n = 2
	}
	dt := (end - start) / float64(n-1)
	px, py := make([]float64, n), make([]float64, n)
	for i := range px {
		t := start + float64(i)*dt
		px[i], py[i] = interp(ts, xs, t), interp(ts, ys, t)
	}
	if w := int(math.Round(cfg.Ease / dt / 2)); w > 0 {
		for pass := 0; pass < 2; pass++ {
			px, py = boxAverage(px, w), boxAverage(py, w)
		}
	}
	limit(px, cfg.MaxSpeed*float64(fr.crop.W)*dt)
	limit(py, cfg.MaxSpeed*float64(fr.crop.H)*dt)
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = Key{T: start + float64(i)*dt, X: px[i], Y: py[i]}
	}
	keys[n-1].T = end
	return simplify(keys, 0.25)
}

// interp is the piecewise-linear value of (ts, vs) at t, held flat outside.
func interp(ts, vs []float64, t float64) float64 {
	i := sort.SearchFloat64s(ts, t)
	switch {
	case i == 0:
		return vs[0]
	case i == len(ts):
		return vs[len(vs)-1]
	}
	f := (t - ts[i-1]) / (ts[i] - ts[i-1])
	return vs[i-1] + (vs[i]-vs[i-1])*f
}

// boxAverage is a centred moving average over 2w+1 values, the window shrinking at the ends so that a
// shot starts and ends where the unsmoothed path does.
func boxAverage(v []float64, w int) []float64 {
	out := make([]float64, len(v))
	for i := range v {
		r := min(w, i, len(v)-1-i)
		s := 0.0
		for j := i - r; j <= i+r; j++ {
			s += v[j]
		}
		out[i] = s / float64(2*r+1)
	}
	return out
}

// limit caps each step of v at max, in place.
func limit(v []float64, max float64) {
	for i := 1; i < len(v); i++ {
		d := v[i] - v[i-1]
		if d > max {
			v[i] = v[i-1] + max
		} else if d < -max {
			v[i] = v[i-1] - max
		}
	}
}

// simplify keeps the fewest keys whose straight segments stay within tol pixels of every key dropped.
func simplify(k []Key, tol float64) []Key {
	if len(k) <= 2 {
		return k
	}
	out := []Key{k[0]}
	a := 0
	for b := 2; b < len(k); b++ {
		for j := a + 1; j < b; j++ {
			f := (k[j].T - k[a].T) / (k[b].T - k[a].T)
			if math.Abs(k[a].X+(k[b].X-k[a].X)*f-k[j].X) > tol || math.Abs(k[a].Y+(k[b].Y-k[a].Y)*f-k[j].Y) > tol {
				a = b - 1
				out = append(out, k[a])
				break
			}
		}
	}
	return append(out, k[len(k)-1])
}
