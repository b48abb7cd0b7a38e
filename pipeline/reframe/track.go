package reframe

import (
	"math"
	"sort"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// Source says where a sample's subject came from.
type Source string

const (
	SourceFace     Source = "face"     // a face found in this frame
	SourceHeld     Source = "held"     // no face in this frame; the face found just before or after it
	SourceSaliency Source = "saliency" // no face nearby; the most salient region (skin, edges, colour)
	SourceCentre   Source = "centre"   // nothing stands out: the middle of the picture
)

// Sample is what the analysis saw at one instant.
type Sample struct {
	T        float64 `json:"t"`
	Shot     int     `json:"shot"`
	Faces    []Box   `json:"faces,omitempty"` // frontal faces found, largest first
	Saliency Box     `json:"saliency"`        // the most salient region
	Subject  Box     `json:"subject"`         // what the camera keeps in frame
	Source   Source  `json:"source"`
}

// Track is the one subject track of a clip (or photo), reused by every aspect and by thumbnails.
type Track struct {
	Size      geom.Size `json:"size"` // the analysed picture, display orientation
	Rate      float64   `json:"rate"` // samples per second
	Duration  float64   `json:"duration"`
	Cuts      []float64 `json:"cuts,omitempty"` // shot cuts, seconds
	Samples   []Sample  `json:"samples"`
	Upsampled int       `json:"upsampled"` // frames searched a second time at twice the size
}

// FaceShare is the share of samples whose subject is a face (found or held).
func (t *Track) FaceShare() float64 {
	if len(t.Samples) == 0 {
		return 0
	}
	n := 0
	for _, s := range t.Samples {
		if s.Source == SourceFace || s.Source == SourceHeld {
			n++
		}
	}
	return float64(n) / float64(len(t.Samples))
}

// Dominant is the source that drove most samples (a held face counts as a face).
func (t *Track) Dominant() Source { return dominant(t) }

// SubjectAt is the subject at time sec (the nearest sample's), for thumbnails and posters.
func (t *Track) SubjectAt(sec float64) (Box, Source) {
	st := t.Still(sec)
	if len(st.Samples) == 0 {
		return Box{0.25, 0.25, 0.75, 0.75}, SourceCentre
	}
	return st.Samples[0].Subject, st.Samples[0].Source
}

// ShotOf is the index of the shot holding time sec.
func (t *Track) ShotOf(sec float64) int {
	return sort.Search(len(t.Cuts), func(i int) bool { return t.Cuts[i] > sec })
}

// Observation is what the subject analysis (package subject) saw on one sampled frame, before the
// track is built: the faces, largest first, and the most salient region.
type Observation struct {
	T        float64
	Faces    []Box
	Saliency Box
}

// NewTrack turns per-frame observations into the subject track: it follows one main face through
// each shot, bridges short gaps where the face is lost, and falls back to saliency, then the centre.
func NewTrack(size geom.Size, rate, duration float64, cuts []float64, obs []Observation, cfg Config) *Track {
	tr := &Track{Size: size, Rate: rate, Duration: duration, Cuts: cuts}
	tr.Samples = make([]Sample, len(obs))
	var prev *Box
	prevShot := -1
	for i, o := range obs {
		s := Sample{T: o.T, Shot: tr.ShotOf(o.T), Faces: o.Faces, Saliency: o.Saliency}
		if s.Shot != prevShot {
			prev = nil
		}
		if len(o.Faces) > 0 {
			s.Subject = mainFace(o.Faces, prev)
			s.Source = SourceFace
			b := s.Subject
			prev = &b
		}
		prevShot = s.Shot
		tr.Samples[i] = s
	}
	fillGaps(tr.Samples, cfg.HoldGap)
	for i := range tr.Samples {
		s := &tr.Samples[i]
		if s.Source != "" {
			continue
		}
		if !s.Saliency.Empty() {
			s.Subject, s.Source = s.Saliency, SourceSaliency
		} else {
			s.Subject, s.Source = Box{0.25, 0.25, 0.75, 0.75}, SourceCentre
		}
	}
	return tr
}

// mainFace is the face the camera follows: the one continuing the previous main face when it is still
// a real contender, otherwise the largest (faces come largest first).
func mainFace(faces []Box, prev *Box) Box {
	best := faces[0]
	if prev == nil {
		return best
	}
	area := func(b Box) float64 { return b.W() * b.H() }
	bestIoU := 0.0
	for _, f := range faces {
		if iou := f.IoU(*prev); iou > 0.2 && iou > bestIoU && area(f) >= 0.5*area(faces[0]) {
			best, bestIoU = f, iou
		}
	}
	return best
}

// fillGaps gives samples without a face the face of their shot found at most gap seconds away:
// interpolated between the faces on both sides, or held from the one side that has one.
func fillGaps(ss []Sample, gap float64) {
	for i := range ss {
		if ss[i].Source != "" {
			continue
		}
		a, b := -1, -1
		for j := i - 1; j >= 0 && ss[j].Shot == ss[i].Shot && ss[i].T-ss[j].T <= gap; j-- {
			if ss[j].Source == SourceFace {
				a = j
				break
			}
		}
		for j := i + 1; j < len(ss) && ss[j].Shot == ss[i].Shot && ss[j].T-ss[i].T <= gap; j++ {
			if ss[j].Source == SourceFace {
				b = j
				break
			}
		}
		switch {
		case a >= 0 && b >= 0:
			f := (ss[i].T - ss[a].T) / (ss[b].T - ss[a].T)
			ss[i].Subject = lerpBox(ss[a].Subject, ss[b].Subject, f)
		case a >= 0:
			ss[i].Subject = ss[a].Subject
		case b >= 0:
			ss[i].Subject = ss[b].Subject
		default:
			continue
		}
		ss[i].Source = SourceHeld
	}
}

func lerpBox(a, b Box, f float64) Box {
	l := func(x, y float64) float64 { return x + (y-x)*f }
	return Box{l(a.X0, b.X0), l(a.Y0, b.Y0), l(a.X1, b.X1), l(a.Y1, b.Y1)}
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// Still is the track reduced to the one sample nearest sec, for a still taken from the video (the
// poster, a thumbnail): PhotoCrops(tr.Still(t), ...) frames it with the same subject as the video.
func (t *Track) Still(sec float64) *Track {
	st := &Track{Size: t.Size, Rate: 1, Duration: 1}
	if len(t.Samples) == 0 {
		return st
	}
	i := sort.Search(len(t.Samples), func(i int) bool { return t.Samples[i].T >= sec })
	if i == len(t.Samples) || (i > 0 && sec-t.Samples[i-1].T < t.Samples[i].T-sec) {
		i--
	}
	s := t.Samples[i]
	s.T, s.Shot = 0, 0
	st.Samples = []Sample{s}
	return st
}
