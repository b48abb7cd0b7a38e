package photo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/quinte-media/quinte/pipeline/photo/heif"
	"github.com/quinte-media/quinte/pipeline/photo/ycc"
)

// decodeHEIF decodes a HEIC or AVIF with libheif's heif-convert. Why libheif rather than the pure-Go
// gen2brain/heic and avif (WebAssembly under wazero): on the corpus it takes 80 MB and 0.6 s for the
// 12 MP iPhone HEIC (gen2brain: 334 MB, 2.1 s) and 540 MB and 1.2 s for the 20 MP 10-bit AVIF
// (gen2brain: about 2 GB, 5.5 s), and workers run in memory-limited containers; it also runs in a
// process of its own that a timeout can kill.
//
// heif-convert applies irot and imir and hands over the decoded Y'CbCr planes as they are, which are
// converted here with the nclx matrix. 8-bit pictures go through Y4M: lossless, and it carries no
// EXIF, so the EXIF orientation an iPhone also writes cannot turn the picture a second time. Deeper
// ones (10-bit AVIF) go through its JPEG writer at quality 100, because libheif 1.15's Y4M writer
// garbles samples above 8 bits; the EXIF that JPEG carries is never read. PNG, the lossless 16-bit
// choice, takes 6 to 20 times longer (zlib). Either way the planes are 8-bit 4:2:0: see hdr.go.
func decodeHEIF(ctx context.Context, cfg Config, path, dir string, h *header) (*picture, error) {
	tmp, err := os.MkdirTemp(dir, "heif-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if h.HEIF.Images > 1 {
		// heif-convert decodes every top-level image into files of its own numbering; a copy in which the
		// others are marked hidden leaves it the primary alone, decoded once, under the name asked for.
		if path, err = primaryOnly(path, tmp, h.HEIF.Hide); err != nil {
			return nil, err
		}
	}
	deep := h.HEIF.Depth != 8
	out := filepath.Join(tmp, "picture.y4m")
	args := []string{"--quiet", path, out}
	if deep {
		out = filepath.Join(tmp, "picture.jpg")
		args = []string{"--quiet", "-q", "100", path, out}
	}
	if err := runTool(ctx, cfg, cfg.HeifConvert, args, nil); err != nil {
		// Only a clean failure is the file's fault; a missing tool, a timeout or a kill (the OOM
		// killer) is the machine's, and the job is retried.
		var te *ToolError
		var ee *exec.ExitError
		if ctx.Err() != nil || !errors.As(err, &te) || !errors.As(err, &ee) || ee.ExitCode() < 0 || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("decode %s: %w", h.Format, err)
		}
		return nil, &Error{Code: CodeUndecodable, Message: fmt.Sprintf("the %s photo could not be decoded (libheif: %s)", strings.ToUpper(h.Format), te.Tail), Err: err}
	}
	w, ht := h.HEIF.Shown()
	var planes *image.YCbCr
	if deep {
		planes, err = readPlanesJPEG(out, w, ht)
	} else {
		planes, err = readY4M(out, w, ht)
	}
	if err != nil {
		return nil, &Error{Code: CodeUndecodable, Message: fmt.Sprintf("the %s photo could not be decoded", strings.ToUpper(h.Format)), Err: err}
	}
	return heifToSRGB(planes, h.HEIF)
}

// primaryOnly copies the HEIF at path into dir with the hidden flag set at each offset of hide (the
// infe boxes of the images that are not the primary; see heif.Info.Hide).
func primaryOnly(path, dir string, hide []int64) (string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	out := filepath.Join(dir, "primary.heic")
	dst, err := os.Create(out)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return "", fmt.Errorf("copying the HEIF: %w", err)
	}
	for _, off := range hide {
		var b [1]byte
		if _, err := dst.ReadAt(b[:], off); err != nil {
			dst.Close()
			return "", fmt.Errorf("hiding item at %d: %w", off, err)
		}
		b[0] |= 1
		if _, err := dst.WriteAt(b[:], off); err != nil {
			dst.Close()
			return "", fmt.Errorf("hiding item at %d: %w", off, err)
		}
	}
	return out, dst.Close()
}

// readPlanesJPEG reads the Y'CbCr planes of heif-convert's JPEG, no larger than w×h.
func readPlanesJPEG(path string, w, h int) (*image.YCbCr, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, err := jpeg.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || pixels(int64(cfg.Width), int64(cfg.Height)) > pixels(int64(w), int64(h)) {
		return nil, fmt.Errorf("libheif wrote a %dx%d picture for a %dx%d photo", cfg.Width, cfg.Height, w, h)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, err := jpeg.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, err
	}
	planes, ok := img.(*image.YCbCr)
	if !ok {
		return nil, fmt.Errorf("libheif wrote a %T picture", img)
	}
	return planes, nil
}

// heifToSRGB converts libheif's planes with the matrix and range of the nclx box (JPEG's full-range
// BT.601 when there is none, as libheif itself assumes), then to sRGB: tone mapping for PQ and HLG,
// the ICC profile (the iPhone's Display P3) or the nclx primaries otherwise.
func heifToSRGB(planes *image.YCbCr, info *heif.Info) (*picture, error) {
	n := info.NCLX
	mat := ycc.JPEG
	if n != nil {
		mat = ycc.FromNCLX(n.Matrix, n.FullRange)
	}
	if n != nil && (n.Transfer == transferPQ || n.Transfer == transferHLG) {
		img, note := toneMap(planes, mat, *n, info.MaxCLL)
		return &picture{img: img, colour: note}, nil
	}
	img := ycc.ToNRGBA(planes, mat)
	if len(info.ICC) > 0 {
		pic, err := toSRGB(img, info.ICC)
		if err != nil {
			return nil, err
		}
		return pic, nil
	}
	pic := &picture{img: img, colour: "sRGB"}
	if n != nil {
		if m, name, ok := primariesToSRGB(n.Primaries); ok {
			convertPrimaries(img, m)
			pic.colour = "converted from " + name + " primaries to sRGB"
		}
	}
	return pic, nil
}

// readY4M reads the one frame of a YUV4MPEG2 file, which must not be larger than w×h.
func readY4M(path string, w, h int) (*image.YCbCr, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeY4M(f, w, h)
}

// decodeY4M reads the one frame of a YUV4MPEG2 stream, checking its header before allocating a pixel.
func decodeY4M(r io.Reader, w, h int) (*image.YCbCr, error) {
	br := bufio.NewReader(r)
	line, err := br.ReadSlice('\n')
	if err != nil || !strings.HasPrefix(string(line), "YUV4MPEG2 ") {
		return nil, errors.New("y4m: no header")
	}
	var fw, fh int
	ratio := image.YCbCrSubsampleRatio420
	for _, p := range strings.Fields(string(line))[1:] {
		switch p[0] {
		case 'W':
			fw, _ = strconv.Atoi(p[1:])
		case 'H':
			fh, _ = strconv.Atoi(p[1:])
		case 'C':
			switch {
			case strings.HasPrefix(p, "C444"):
				ratio = image.YCbCrSubsampleRatio444
			case strings.HasPrefix(p, "C422"):
				ratio = image.YCbCrSubsampleRatio422
			case strings.HasPrefix(p, "C420"):
			default:
				return nil, fmt.Errorf("y4m: colour space %s", p)
			}
			if strings.Contains(p, "p1") { // C420p10 and the like: more than 8 bits
				return nil, fmt.Errorf("y4m: %s samples", p)
			}
		}
	}
	if fw <= 0 || fh <= 0 || pixels(int64(fw), int64(fh)) > pixels(int64(w), int64(h)) {
		return nil, fmt.Errorf("y4m: %dx%d picture for a %dx%d photo", fw, fh, w, h)
	}
	if line, err = br.ReadSlice('\n'); err != nil || !strings.HasPrefix(string(line), "FRAME") {
		return nil, errors.New("y4m: no frame")
	}
	img := image.NewYCbCr(image.Rect(0, 0, fw, fh), ratio)
	for _, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		if _, err := io.ReadFull(br, p); err != nil {
			return nil, fmt.Errorf("y4m: %w", err)
		}
	}
	return img, nil
}
