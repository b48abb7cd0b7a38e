// Package output holds what a plan says it will publish: one entry per output, with the name, role,
// format and size the manifest will list. Video, audio and photo plans use the same type, so that one
// reader serves them all. It must not know how an output is made.
package output

import "github.com/quinte-media/quinte/pipeline/geom"

// Planned is one published output, as the manifest will list it. From, Crop, Inner and Why are a
// photo's: which picture the output is cut from and how.
type Planned struct {
	Name   string     `json:"name"`
	Role   string     `json:"role"`
	Format string     `json:"format"`         // file extension: jpg, webp, mp4, m4a, vtt, m3u8
	From   string     `json:"from,omitempty"` // "source" or the output whose pixels it is cut from
	Crop   *geom.Rect `json:"crop,omitempty"`
	Inner  *geom.Size `json:"inner,omitempty"` // fit: the whole picture's size inside the output
	Width  int        `json:"width,omitempty"`
	Height int        `json:"height,omitempty"`
	Mode   string     `json:"mode,omitempty"`
	Why    string     `json:"why,omitempty"`
}
