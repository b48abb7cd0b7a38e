package photo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/pipeline/photo/anim"
)

// picture is the decoded photo: upright, sRGB and opaque, ready to cut outputs from.
type picture struct {
	img    *image.NRGBA
	colour string // what was done to reach sRGB, for the plan
}

// decode decodes the photo once with the decoder its format names (never image.Decode: the formats
// registered by imaging, BMP and TIFF, stay out), then brings it to sRGB and upright.
func decode(ctx context.Context, cfg Config, f *os.File, path, dir string, h *header) (*picture, error) {
	if h.HEIF != nil {
		return decodeHEIF(ctx, cfg, path, dir, h)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r := io.NewSectionReader(f, 0, st.Size())
	var img image.Image
	switch h.Format {
	case "jpeg":
		img, err = jpeg.Decode(bufio.NewReader(r))
	case "png":
		img, err = png.Decode(bufio.NewReader(r))
	case "gif", "webp":
		img, err = firstFrame(r, h.Format, cfg.MaxPixels)
	default:
		err = fmt.Errorf("no decoder for %s", h.Format)
	}
	if err != nil {
		return nil, decodeError(h, err, !endsWhole(f, st.Size(), h.Format))
	}
	if b := img.Bounds(); b.Dx() != h.Stored.W || b.Dy() != h.Stored.H {
		return nil, refuse(CodeUndecodable, "the photo decodes to %dx%d pixels but its header says %dx%d", b.Dx(), b.Dy(), h.Stored.W, h.Stored.H)
	}
	o := h.Orientation
	if m, ok := img.(*image.YCbCr); ok && o >= 2 && o <= 8 {
		img, o = uprightYCbCr(m, o), 1 // a rotated JPEG: upright as it is converted
	}
	pic, err := toSRGB(img, h.ICC)
	if err != nil {
		return nil, err
	}
	pic.img = orient(pic.img, o)
	return pic, nil
}

// firstFrame is the first frame of a GIF or WebP, composed on its canvas (a still is one frame).
func firstFrame(r io.Reader, format string, maxPixels int64) (image.Image, error) {
	ar, err := openAnim(r, format, maxPixels)
	if err != nil {
		return nil, err
	}
	img, _, err := ar.Next()
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return img, err
}

// openAnim reads a GIF or a WebP frame by frame, no canvas or frame larger than maxPixels.
func openAnim(r io.Reader, format string, maxPixels int64) (anim.Reader, error) {
	if format == "gif" {
		return anim.NewGIF(r, maxPixels)
	}
	return anim.NewWebP(r, maxPixels)
}

// decodeError tells a file cut short (an upload that stopped early) from other damage.
func decodeError(h *header, err error, cut bool) error {
	if cut || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Code: CodeTruncated, Message: fmt.Sprintf("the %s file is cut short: only part of the photo was uploaded; send it again", strings.ToUpper(h.Format)), Err: err}
	}
	return &Error{Code: CodeUndecodable, Message: fmt.Sprintf("the %s photo is damaged and could not be decoded", strings.ToUpper(h.Format)), Err: err}
}

// endsWhole says whether the file ends as its format ends: a JPEG with its EOI marker (some cameras
// pad after it with zeros), a PNG with IEND, a GIF with its trailer, a WebP where its RIFF size says.
func endsWhole(f io.ReaderAt, size int64, format string) bool {
	tail := make([]byte, min(size, 4096))
	if _, err := f.ReadAt(tail, size-int64(len(tail))); err != nil {
		return false
	}
	switch format {
	case "jpeg":
		t := bytes.TrimRight(tail, "\x00")
		return bytes.HasSuffix(t, []byte{0xFF, 0xD9})
	case "png":
		return bytes.Contains(tail[max(0, len(tail)-16):], []byte("IEND"))
	case "gif":
		return bytes.HasSuffix(bytes.TrimRight(tail, "\x00"), []byte{0x3B})
	case "webp":
		var h [8]byte
		if _, err := f.ReadAt(h[:], 0); err != nil {
			return false
		}
		return int64(binary.LittleEndian.Uint32(h[4:]))+8 <= size
	}
	return true
}

// orient applies an EXIF orientation (1-8, mirrored ones included) so the picture is upright.
func orient(img *image.NRGBA, o int) *image.NRGBA {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}
