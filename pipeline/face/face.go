// Package face finds frontal faces in grey pictures with dlib's HOG detector (Debian libdlib-dev; the
// weights are compiled into the library, Boost licence). It owns the cgo boundary and nothing else:
// what to do with the faces is the reframe package's business.
//
// A Detector is not safe for concurrent use and costs ~180 ms to create, so callers share a Pool.
package face

/*
#cgo CXXFLAGS: -O3 -std=c++14 -DDLIB_NO_GUI_SUPPORT
#cgo LDFLAGS: -ldlib -llapack -lblas
#include <stdlib.h>
#include "detector.h"
*/
import "C"

import (
	"errors"
	"image"
	"unsafe"
)

// Box is one face: its region in the picture's pixels and the detector's confidence (above 0; a
// clear frontal face scores about 1 or more).
type Box struct {
	image.Rectangle
	Score float64
}

// maxFaces bounds what one call reports: a crowd beyond this is a crowd, not a subject.
const maxFaces = 32

// Detector wraps one dlib detector. Close frees it.
type Detector struct {
	p C.qf_detector
}

// NewDetector builds a detector.
func NewDetector() (*Detector, error) {
	var cerr *C.char
	p := C.qf_new(&cerr)
	if p == nil {
		return nil, errors.New(C.GoString(cerr))
	}
	return &Detector{p: p}, nil
}

// Close frees the detector; it must not be used afterwards.
func (d *Detector) Close() {
	if d.p != nil {
		C.qf_free(d.p)
		d.p = nil
	}
}

// Zoom is the scale a picture is searched at. The detector's window is 80 px: at Plain it finds faces
// of ~80 px and more; Double finds them down to ~40 px at about four times the cost; Half only those of
// ~160 px and more, at about a quarter of it.
type Zoom int

const (
	Plain Zoom = iota
	Double
	Half
)

// Detect finds faces in g searched at zoom. Boxes are clipped to g's bounds and are in g's
// coordinates (a sub-image's faces are in its parent's).
func (d *Detector) Detect(g *image.Gray, zoom Zoom) ([]Box, error) {
	if d.p == nil {
		return nil, errors.New("face detector used after Close")
	}
	b := g.Bounds()
	if b.Dx() < 20 || b.Dy() < 20 {
		return nil, nil
	}
	var boxes [4 * maxFaces]C.int
	var scores [maxFaces]C.double
	var cerr *C.char
	pix := g.Pix[g.PixOffset(b.Min.X, b.Min.Y):]
	n := C.qf_detect(d.p, (*C.uchar)(unsafe.Pointer(&pix[0])), C.int(b.Dx()), C.int(b.Dy()), C.int(g.Stride), C.int(zoom),
		&boxes[0], &scores[0], maxFaces, &cerr)
	if n < 0 {
		return nil, errors.New(C.GoString(cerr))
	}
	out := make([]Box, 0, min(int(n), maxFaces))
	for i := 0; i < int(n) && i < maxFaces; i++ {
		r := image.Rect(int(boxes[4*i]), int(boxes[4*i+1]), int(boxes[4*i+2])+1, int(boxes[4*i+3])+1).
			Add(b.Min).Intersect(b)
		if r.Empty() {
			continue
		}
		out = append(out, Box{Rectangle: r, Score: float64(scores[i])})
	}
	return out, nil
}
