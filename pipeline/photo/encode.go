package photo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/photo/anim"
)

// webpQuality is libwebp's quality: at 80 a photo is about a third smaller than the JPEG at 85.
const webpQuality = 80

type webpJob struct {
	img  *image.NRGBA
	path string
}

// encodeWebP writes the WebP outputs with one ffmpeg run through libwebp. Why ffmpeg: Go has no WebP
// encoder; ffmpeg is already on every worker with libwebp (Debian's build), so this adds no package
// (cwebp would add Debian's webp for the same library) and no WebAssembly runtime (gen2brain/webp).
// Pixels go in raw, so no decoder sees them twice; the webp muxer writes only the VP8 bitstream: no
// EXIF, XMP or ICC chunk.
func encodeWebP(ctx context.Context, cfg Config, dir string, jobs []webpJob) error {
	if len(jobs) == 0 {
		return nil
	}
	tmp, err := os.MkdirTemp(dir, "webp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ins, outs := make([]ffcmd.RawPicture, len(jobs)), make([]string, len(jobs))
	for i, j := range jobs {
		raw := filepath.Join(tmp, strconv.Itoa(i)+".rgba")
		if err := writeRaw(raw, j.img); err != nil {
			return err
		}
		b := j.img.Bounds()
		ins[i], outs[i] = ffcmd.RawPicture{Path: raw, Size: geom.Size{W: b.Dx(), H: b.Dy()}}, j.path
	}
	args := ffcmd.PhotoWebPCommand(ins, outs, webpQuality)
	if err := runTool(ctx, cfg, cfg.FFmpeg, args, nil); err != nil {
		return fmt.Errorf("webp: %w", err)
	}
	return nil
}

func writeRaw(path string, img *image.NRGBA) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	b := img.Bounds()
	for y := range b.Dy() {
		if _, err := w.Write(img.Pix[y*img.Stride : y*img.Stride+4*b.Dx()]); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loopFPS is the constant rate of the MP4 loop: GIF delays are in hundredths of a second and WebP's in
// milliseconds, so frames are held or repeated to fall on this grid.
const loopFPS = 25

// encodeLoop turns an animation into a muted H.264 loop: frames are decoded and composed in Go (Debian's
// ffmpeg 5.1 cannot decode animated WebP, and this way GIF and WebP get the same disposal, white
// background and colour handling as the still), one at a time, and piped raw to ffmpeg. It returns the
// loop's duration in seconds.
func encodeLoop(ctx context.Context, cfg Config, path string, h *header, out geom.Size, dst string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r, err := openAnim(f, h.Format, cfg.MaxPixels)
	if err != nil {
		return 0, err
	}
	total := min(h.Duration, cfg.MaxLoop)
	ticks := max(1, int(math.Ceil(total.Seconds()*loopFPS)))
	t, _ := profileTransform(h.ICC)
	if t != nil && t.Identity() {
		t = nil
	}
	shown := h.Stored
	if h.Orientation >= 5 {
		shown = geom.Size{W: h.Stored.H, H: h.Stored.W}
	}
	args := ffcmd.PhotoLoopCommand(shown, loopFPS, out, ffcmd.Settings{Preset: cfg.Preset, CRF: cfg.CRF}, dst)
	feed := func(w io.Writer) error {
		frame := image.NewNRGBA(image.Rect(0, 0, h.Stored.W, h.Stored.H))
		var end time.Duration
		ended := false
		next := func() error {
			m, d, err := r.Next()
			if err != nil {
				return err
			}
			copy(frame.Pix, m.Pix)
			end += d
			return nil
		}
		if err := next(); err != nil {
			return err
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		var upright *image.NRGBA // the frame shown, turned once per frame rather than once per tick
		for k := range ticks {
			at := time.Duration(k) * time.Second / loopFPS
			changed := k == 0
			for !ended && at >= end {
				if err := next(); err != nil {
					// The end, or a damaged frame further on: the loop keeps what decoded, as browsers do.
					ended = true
					break
				}
				changed = true
			}
			if changed {
				// As toSRGB does for the still: the profile first, then onto white, then upright.
				if t != nil {
					_ = t.RGB(frame)
				}
				flatten(frame)
				upright = orient(frame, h.Orientation)
			}
			if _, err := bw.Write(upright.Pix); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
	if err := runTool(ctx, cfg, cfg.FFmpeg, args, feed); err != nil {
		if errors.Is(err, anim.ErrFormat) {
			return 0, &Error{Code: CodeUndecodable, Message: "the animation could not be decoded", Err: err}
		}
		return 0, fmt.Errorf("loop: %w", err)
	}
	return float64(ticks) / loopFPS, nil
}
