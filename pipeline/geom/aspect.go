package geom

import "image"

// Aspect is one social shape and the size it is published at. Video crops (package reframe) and
// photo crops (package photo) are planned from the same values.
type Aspect struct {
	Name string `json:"name"` // "9x16": used in output names (crop/9x16) and file names
	W    int    `json:"w"`    // aspect ratio W:H
	H    int    `json:"h"`
	Out  Size   `json:"out"` // published size when the source has the pixels
}

// Ratio is W/H.
func (a Aspect) Ratio() float64 { return float64(a.W) / float64(a.H) }

// SafeBand reports the aspect (9:16) over whose top and bottom the apps draw their buttons: faces stay
// out of them.
func (a Aspect) SafeBand() bool { return a.W*16 == a.H*9 }

// Mode is how an aspect is made.
type Mode string

const (
	// Fill crops the picture to the aspect, following the subject.
	Fill Mode = "fill"
	// Fit shows the whole picture over a blurred, darkened copy of itself that fills the aspect.
	Fit Mode = "fit"
)

// Framing is how one aspect of a still picture (a photo) is made: reframe decides it, package photo
// renders it.
type Framing struct {
	Aspect Aspect `json:"aspect"`
	Mode   Mode   `json:"mode"`
	Why    string `json:"why"`
	Rect   Rect   `json:"rect,omitzero"`   // Fill: the region kept, in the upright picture's pixels
	Inner  Size   `json:"inner,omitzero"`  // Fit: the whole picture's size inside the output
	Out    Size   `json:"out"`             // published size, never larger than the pixels it comes from
	Small  string `json:"small,omitempty"` // the picture is too small for this aspect's size: said in the warnings
}

// Image is r as the standard library's rectangle, for drawing and cutting decoded pictures.
func (r Rect) Image() image.Rectangle { return image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H) }
