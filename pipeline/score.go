package pipeline

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/quinte-media/quinte/pipeline/plan"
)

// Frame scoring, in Go. The poster is the frame that is exposed, sharp, detailed, not caught in a
// transition and shows the artist's face, scored on the subject analysis's frames as they are searched
// for faces (poster.go); the preview is the window with the most change between the small grey frames
// the main pass writes (one every GreyPlan.Every frames). No extra decode is needed for either. Without
// a subject analysis the poster is scored on the grey frames too.

// frameStats describes one grey analysis frame.
type frameStats struct {
	Frame int     // output frame number
	Mean  float64 // mean luma, 0..255
	P98   float64 // the luma 98% of the pixels are under: how bright the brightest parts are
	Std   float64 // luma standard deviation: detail and contrast
	Sharp float64 // variance of the Laplacian: blur lowers it
	Diff  float64 // mean absolute difference from the previous analysis frame
}

// readGrey reads the raw grey frames the main pass wrote.
func readGrey(path string, g plan.GreyPlan) ([]frameStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n := g.Size.W * g.Size.H
	cur, prev := make([]byte, n), make([]byte, n)
	var out []frameStats
	for i := 0; ; i++ {
		if _, err := io.ReadFull(f, cur); err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		} else if err != nil {
			return nil, err
		}
		st := measureFrame(cur, g.Size.W, g.Size.H)
		st.Frame = i * g.Every
		if i > 0 {
			st.Diff = meanAbsDiff(cur, prev)
		}
		out = append(out, st)
		cur, prev = prev, cur
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the main pass wrote no analysis frames")
	}
	return out, nil
}

func measureFrame(p []byte, w, h int) frameStats {
	var sum, sq float64
	var hist [256]int
	for _, v := range p {
		sum += float64(v)
		sq += float64(v) * float64(v)
		hist[v]++
	}
	p98, seen := 0, 0
	for ; p98 < 255; p98++ {
		if seen += hist[p98]; seen*50 >= len(p)*49 {
			break
		}
	}
	n := float64(len(p))
	mean := sum / n
	var lsum, lsq, ln float64
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			l := 4*float64(p[i]) - float64(p[i-1]) - float64(p[i+1]) - float64(p[i-w]) - float64(p[i+w])
			lsum += l
			lsq += l * l
			ln++
		}
	}
	lm := lsum / ln
	return frameStats{Mean: mean, P98: float64(p98), Std: math.Sqrt(math.Max(0, sq/n-mean*mean)), Sharp: lsq/ln - lm*lm}
}

func meanAbsDiff(a, b []byte) float64 {
	var d float64
	for i := range a {
		d += math.Abs(float64(a[i]) - float64(b[i]))
	}
	return d / float64(len(a))
}

// A frame is dark when it is dark on average and even its brightest parts are (a terminal's white text
// on black is not dark; a phone recording with the lens covered is).
const (
	darkMean = 40
	darkP98  = 60
)

// posterChoice is the frame chosen for the poster and what was seen.
type posterChoice struct {
	Index int     // into the scored frames
	Frame int     // output frame number
	Score float64 // the chosen frame's
	Face  bool    // the chosen frame shows a face
	Dark  bool    // every scored frame is dark
}

// facelessFactor is what a frame without a face keeps of its score when other frames of the clip show
// one: the artist's face makes the poster, unless every frame with it is black, blurred or in a fade.
const facelessFactor = 0.5

// pickPoster scores every frame (exposed, sharp, detailed, not caught in a transition, and showing a
// face when faces says so: nil when nobody looked) and picks the best; the first wins a tie.
func pickPoster(stats []frameStats, faces []bool) posterChoice {
	diffs := make([]float64, 0, len(stats))
	dark, anyFace := true, false
	for _, s := range stats[1:] {
		diffs = append(diffs, s.Diff)
	}
	for i, s := range stats {
		dark = dark && s.Mean < darkMean && s.P98 < darkP98
		anyFace = anyFace || (i < len(faces) && faces[i])
	}
	slices.Sort(diffs)
	median := 0.0
	if len(diffs) > 0 {
		median = diffs[len(diffs)/2]
	}
	// Sharpness is judged against the sharpest well exposed frame: the noise of a black frame measures
	// sharper than any picture, and would squash the others' differences.
	maxSharp, maxAny := 1e-9, 1e-9
	for _, s := range stats {
		maxAny = math.Max(maxAny, s.Sharp)
		if exposure(s.Mean) == 1 {
			maxSharp = math.Max(maxSharp, s.Sharp)
		}
	}
	if maxSharp == 1e-9 {
		maxSharp = maxAny
	}

	c := posterChoice{Dark: dark}
	best := -1.0
	for i, s := range stats {
		// In a fade or a cut flash a frame differs from both neighbours (the first and the last frame
		// have one each).
		trans := s.Diff
		switch {
		case i == 0 && len(stats) > 1:
			trans = stats[1].Diff
		case i+1 < len(stats):
			trans = math.Min(trans, stats[i+1].Diff)
		}
		transFactor := 1 / (1 + trans/math.Max(4, 3*median))
		sharp := math.Min(1, s.Sharp/maxSharp)
		score := exposure(s.Mean) * (0.25 + 0.75*sharp) * (0.5 + 0.5*math.Min(1, s.Std/40)) * transFactor
		face := i < len(faces) && faces[i]
		if anyFace && !face {
			score *= facelessFactor
		}
		score = math.Round(score*1000) / 1000
		if score > best {
			best, c.Index, c.Frame, c.Score, c.Face = score, i, s.Frame, score, face
		}
	}
	return c
}

// exposure is 1 for a well exposed mean luma (0..255) and falls towards black and white.
func exposure(mean float64) float64 {
	switch {
	case mean < 50:
		return math.Max(0.02, mean/50)
	case mean > 215:
		return math.Max(0.02, (255-mean)/40)
	}
	return 1
}

// liveliest is the start, in seconds, of the window of length seconds with the most change between
// analysis frames. A single cut counts for at most three times the typical change, so a scene change
// alone does not win over real movement.
func liveliest(stats []frameStats, rate, seconds, duration float64) float64 {
	if duration <= seconds || len(stats) < 3 {
		return 0
	}
	diffs := make([]float64, 0, len(stats))
	for _, s := range stats[1:] {
		diffs = append(diffs, s.Diff)
	}
	sorted := slices.Clone(diffs)
	slices.Sort(sorted)
	capAt := math.Max(1, 3*sorted[len(sorted)/2])
	bestStart, best := 0.0, -1.0
	for i := range stats {
		start := float64(stats[i].Frame) / rate
		if start+seconds > duration+1e-6 {
			break
		}
		var sum float64
		for j := i + 1; j < len(stats) && float64(stats[j].Frame)/rate <= start+seconds; j++ {
			sum += math.Min(stats[j].Diff, capAt)
		}
		if sum > best {
			best, bestStart = sum, start
		}
	}
	return bestStart
}
