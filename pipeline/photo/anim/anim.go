// Package anim reads animated GIF and WebP files one frame at a time. Scan counts frames, adds up
// their delays and sizes every frame from the container's blocks alone, without decoding a pixel, so
// the photo guard can refuse a frame flood or a frame larger than its canvas cheaply; a Reader composes
// each frame onto the canvas as browsers do (offsets, disposal, blending), so memory stays one canvas
// however long the animation is. Neither trusts a length or size field before checking it: against
// the bytes left for lengths, against the canvas and the reader's pixel limit for sizes, and a header
// chunk given twice must say the same both times.
//
// It knows nothing of colour, outputs or ffmpeg.
package anim

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io"
	"time"

	"github.com/quinte-media/quinte/pipeline/photo/internal/sat"
)

// Info is what the blocks of an animation say, before any decoding.
type Info struct {
	Width, Height int           // the canvas
	Frames        int           // image blocks (GIF) or ANMF chunks (WebP); 1 for a still
	Duration      time.Duration // sum of the frame delays, as browsers play them
	// Each frame is decoded at its own size before it is drawn onto the canvas, and a GIF's frames may
	// be larger than its screen: Largest is the largest frame, Decoded the pixels of all frames.
	Largest Size
	Decoded int64
}

// Size is a frame's width and height.
type Size struct{ W, H int }

// Pixels is W×H.
func (s Size) Pixels() int64 { return sat.Mul(int64(s.W), int64(s.H)) }

// ErrFormat is a file whose block structure is broken.
var ErrFormat = errors.New("broken animation structure")

// minDelay is what browsers do with the 0 and 10 ms delays of many GIFs: show the frame for 100 ms.
const (
	minDelay     = 20 * time.Millisecond
	defaultDelay = 100 * time.Millisecond
)

func delayOf(d time.Duration) time.Duration {
	if d < minDelay {
		return defaultDelay
	}
	return d
}

// Reader yields the composed canvas of each frame in turn.
type Reader interface {
	// Next returns the canvas after the next frame and how long it shows, or io.EOF after the last.
	// The canvas is reused by the following call: copy it to keep it.
	Next() (*image.NRGBA, time.Duration, error)
}

// canvas applies a frame's disposal before the next one is drawn.
type canvas struct {
	img      *image.NRGBA
	saved    *image.NRGBA    // the area under the last frame, for "restore to previous"
	clear    image.Rectangle // the area to clear to transparent before the next frame
	restore  image.Rectangle
	disposed bool
}

func newCanvas(w, h int) *canvas {
	return &canvas{img: image.NewNRGBA(image.Rect(0, 0, w, h))}
}

// dispose undoes what the previous frame asked to undo.
func (c *canvas) dispose() {
	if !c.clear.Empty() {
		draw.Draw(c.img, c.clear, image.Transparent, image.Point{}, draw.Src)
		c.clear = image.Rectangle{}
	}
	if !c.restore.Empty() && c.saved != nil {
		draw.Draw(c.img, c.restore, c.saved, c.restore.Min, draw.Src)
		c.restore = image.Rectangle{}
	}
}

// draw puts a decoded frame at r, blending with what is below or replacing it.
func (c *canvas) draw(frame image.Image, r image.Rectangle, blend bool) {
	op := draw.Over
	if !blend {
		op = draw.Src
	}
	draw.Draw(c.img, r, frame, frame.Bounds().Min, op)
}

// keep saves the area r before a "restore to previous" frame covers it.
func (c *canvas) keep(r image.Rectangle) {
	if c.saved == nil {
		c.saved = image.NewNRGBA(c.img.Bounds())
	}
	draw.Draw(c.saved, r, c.img, r.Min, draw.Src)
	c.restore = r
}

func checkCanvas(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: canvas %dx%d", ErrFormat, w, h)
	}
	return nil
}

// checkPixels refuses a canvas or frame of more than max pixels before it is allocated.
func checkPixels(what string, w, h int, max int64) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: %s %dx%d", ErrFormat, what, w, h)
	}
	if int64(w)*int64(h) > max {
		return fmt.Errorf("%w: %s of %dx%d pixels, over the limit of %d", ErrTooLarge, what, w, h, max)
	}
	return nil
}

// ErrTooLarge is a canvas or frame larger than the reader was allowed to allocate.
var ErrTooLarge = errors.New("animation frame too large")

func readFull(r io.Reader, b []byte) error {
	_, err := io.ReadFull(r, b)
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
