package photo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/photo/anim"
	"github.com/quinte-media/quinte/pipeline/photo/heif"
	"github.com/quinte-media/quinte/pipeline/photo/internal/sat"
)

// minSide is the smallest photo side worth publishing (and the smallest an MP4 loop can be made of).
const minSide = 16

// header is what a photo file says about itself, read without decoding its pixels.
type header struct {
	Format      string    // jpeg, png, gif, webp, heic, avif
	Stored      geom.Size // as stored, before orientation
	Frames      int       // 1 for a still
	Duration    time.Duration
	Largest     geom.Size // the largest frame of an animation, decoded at its own size (GIF frames may be larger than the screen)
	Decoded     int64     // pixels of all frames as decoded
	Orientation int       // EXIF orientation 1-8, 0 when absent (HEIF: irot is applied by libheif instead)
	ICC         []byte    // embedded ICC profile
	HEIF        *heif.Info
}

// inspect is the cheap guard before decoding (as imgproxy's security checker): the file size, then
// the format from the magic bytes, then the size and frame count from the headers and blocks, each
// against its limit. Nothing it reads grows with the pixel count.
func inspect(f *os.File, cfg Config) (*header, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	switch {
	case size == 0:
		return nil, refuse(CodeEmpty, "the photo file is empty")
	case size > cfg.MaxBytes:
		return nil, refuse(CodeFileTooLarge, "the photo file is %d MB; the limit is %d MB", size>>20, cfg.MaxBytes>>20)
	}
	var magic [32]byte
	n, _ := f.ReadAt(magic[:], 0)
	format := sniff(magic[:n])
	if format == "" {
		return nil, refuse(CodeUnsupported, "the file is not a photo quinte can read (JPEG, PNG, GIF, WebP, HEIC and AVIF are)")
	}
	h, err := readHeader(f, size, format)
	if err != nil {
		name := strings.ToUpper(format)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, &Error{Code: CodeTruncated, Message: fmt.Sprintf("the %s file is cut short (%s): only part of the photo was uploaded; send it again", name, reason(err)), Err: err}
		}
		if errors.Is(err, anim.ErrFormat) || errors.Is(err, heif.ErrFormat) {
			return nil, &Error{Code: CodeUnreadable, Message: fmt.Sprintf("the %s file is damaged: %s", name, reason(err)), Err: err}
		}
		return nil, &Error{Code: CodeUnreadable, Message: fmt.Sprintf("the %s header could not be read; the file is damaged or not really a %s", format, format), Err: err}
	}
	return h, h.check(cfg)
}

// sniff names the format from the first bytes.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	case len(b) >= 16 && string(b[4:8]) == "ftyp":
		size := min(int(b[0])<<24|int(b[1])<<16|int(b[2])<<8|int(b[3]), len(b))
		heic := false
		for i := 8; i+4 <= size; i += 4 {
			switch string(b[i : i+4]) {
			case "avif", "avis":
				return "avif"
			case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
				heic = true
			}
		}
		if heic {
			return "heic"
		}
	}
	return ""
}

func readHeader(f *os.File, size int64, format string) (*header, error) {
	h := &header{Format: format, Frames: 1}
	r := io.NewSectionReader(f, 0, size)
	var err error
	switch format {
	case "jpeg", "png":
		decodeConfig, meta := jpeg.DecodeConfig, jpegMeta
		if format == "png" {
			decodeConfig, meta = png.DecodeConfig, pngMeta
		}
		cfg, err := decodeConfig(bufio.NewReader(r))
		if err != nil {
			return nil, err
		}
		h.Stored = geom.Size{W: cfg.Width, H: cfg.Height}
		h.Orientation, h.ICC, err = meta(io.NewSectionReader(f, 0, size))
		return h, err
	case "gif":
		info, err := anim.ScanGIF(r)
		if err != nil {
			return nil, err
		}
		h.Stored, h.Frames, h.Duration = geom.Size{W: info.Width, H: info.Height}, info.Frames, info.Duration
		h.Largest, h.Decoded = geom.Size{W: info.Largest.W, H: info.Largest.H}, info.Decoded
	case "webp":
		info, err := anim.ScanWebP(r)
		if err != nil {
			return nil, err
		}
		h.Stored, h.Frames, h.Duration = geom.Size{W: info.Width, H: info.Height}, info.Frames, info.Duration
		h.ICC, h.Orientation = info.ICC, exifOrientation(info.EXIF)
		h.Largest, h.Decoded = geom.Size{W: info.Largest.W, H: info.Largest.H}, info.Decoded // inside the canvas (anim.ScanWebP checks)
	case "heic", "avif":
		if h.HEIF, err = heif.Parse(f, size); err != nil {
			return nil, err
		}
		h.Stored = geom.Size{W: h.HEIF.Width, H: h.HEIF.Height}
		h.ICC = h.HEIF.ICC
		// libheif decodes the tiles, thumbnails and auxiliary images too, each at its own claimed size.
		h.Largest, h.Decoded = geom.Size{W: h.HEIF.Largest.Width, H: h.HEIF.Largest.Height}, h.HEIF.AllPixels
	default:
		return nil, errors.New("no header reader")
	}
	return h, nil
}

// reason is the innermost words of a parser's error, for a person: "frame 3 lies outside the canvas".
func reason(err error) string {
	msg := err.Error()
	for _, e := range []error{anim.ErrFormat, heif.ErrFormat} {
		msg = strings.TrimPrefix(msg, e.Error()+": ")
	}
	return strings.TrimPrefix(msg, io.ErrUnexpectedEOF.Error()+": ")
}

// pixels is w×h, saturated: the sides come from the file (an ispe box holds two 32-bit numbers,
// whose product overflows an int64).
func pixels(w, h int64) int64 { return sat.Mul(w, h) }

// check holds the header against the limits, most telling reason first.
func (h *header) check(cfg Config) error {
	w, ht := int64(h.Stored.W), int64(h.Stored.H)
	px := pixels(w, ht)
	fw, fh := int64(h.Largest.W), int64(h.Largest.H)
	switch {
	case w <= 0 || ht <= 0:
		return refuse(CodeUnreadable, "the photo claims a size of %dx%d pixels", w, ht)
	case px > cfg.MaxPixels:
		return refuse(CodeTooLarge, "the photo claims %dx%d pixels (%s); the limit is %s", w, ht, mpf(float64(w)*float64(ht)), mp(cfg.MaxPixels))
	case pixels(fw, fh) > cfg.MaxPixels && h.HEIF != nil:
		return refuse(CodeTooLarge, "an image inside the %s (item %d) claims %dx%d pixels (%s); the limit is %s", strings.ToUpper(h.Format), h.HEIF.Largest.ID, fw, fh, mpf(float64(fw)*float64(fh)), mp(cfg.MaxPixels))
	case pixels(fw, fh) > cfg.MaxPixels:
		return refuse(CodeTooLarge, "a frame of the animation is %dx%d pixels (%s), larger than its %dx%d screen; the limit is %s", fw, fh, mp(pixels(fw, fh)), w, ht, mp(cfg.MaxPixels))
	case h.Frames > cfg.MaxFrames:
		return refuse(CodeTooManyFrames, "the animation has %d frames (%s long); the limit is %d frames", h.Frames, h.Duration.Round(time.Second), cfg.MaxFrames)
	case pixels(int64(h.Frames), px) > cfg.MaxAnimationPixels:
		return refuse(CodeAnimationLarge, "the animation has %d frames of %dx%d (%s in all); the limit is %s", h.Frames, w, ht, mp(pixels(int64(h.Frames), px)), mp(cfg.MaxAnimationPixels))
	case h.Decoded > cfg.MaxAnimationPixels && h.HEIF != nil:
		return refuse(CodeTooLarge, "the images inside the %s (tiles, thumbnails, auxiliary images) claim %s in all; the limit is %s", strings.ToUpper(h.Format), mp(h.Decoded), mp(cfg.MaxAnimationPixels))
	case h.Decoded > cfg.MaxAnimationPixels:
		return refuse(CodeAnimationLarge, "the frames of the animation hold %s in all; the limit is %s", mp(h.Decoded), mp(cfg.MaxAnimationPixels))
	case w < minSide || ht < minSide:
		return refuse(CodeTooSmall, "the photo is %dx%d pixels; quinte needs at least %dx%d", w, ht, minSide, minSide)
	}
	return nil
}
