package anim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"time"

	"golang.org/x/image/webp"

	"github.com/quinte-media/quinte/pipeline/photo/internal/sat"
	"github.com/quinte-media/quinte/pipeline/photo/ycc"
)

// WebPInfo is what the chunks of a WebP file say.
type WebPInfo struct {
	Info
	Animated bool
	ICC      []byte // ICCP chunk
	EXIF     []byte // EXIF chunk (a TIFF structure)
}

// Metadata chunks larger than these are skipped rather than held.
const (
	maxICC  = 8 << 20
	maxEXIF = 1 << 20
)

const (
	vp8xAlpha = 1 << 4
	vp8xAnim  = 1 << 1
)

// webpFile walks the chunks of a RIFF WEBP file. Every chunk's length is held against the bytes that
// remain (of the RIFF payload, and of the file when its size is known) before any of it is read, and
// payloads are read as their bytes arrive, so a length field that lies allocates nothing.
type webpFile struct {
	br   *bufio.Reader
	left int64 // bytes of the RIFF payload still unread, after the current chunk
	body io.LimitedReader
	n    int // chunks read
}

func openWebP(r io.Reader) (*webpFile, error) {
	var size int64 = -1
	if s, ok := r.(interface{ Size() int64 }); ok {
		size = s.Size()
	}
	br := bufio.NewReader(r)
	var h [12]byte
	if err := readFull(br, h[:]); err != nil {
		return nil, err
	}
	if string(h[:4]) != "RIFF" || string(h[8:]) != "WEBP" {
		return nil, fmt.Errorf("%w: not a WebP", ErrFormat)
	}
	left := int64(binary.LittleEndian.Uint32(h[4:])) - 4
	if size >= 0 && left > size-12 {
		// A file cut short: what is there is read, and the chunk that runs past the end says so.
		left = size - 12
	}
	f := &webpFile{br: br, left: left}
	f.body.R = br
	return f, nil
}

// next skips what is left of the current chunk and reads the header of the next one; its payload is
// then read from f.body.
func (f *webpFile) next() (id string, size uint32, err error) {
	if f.body.N > 0 {
		if _, err := f.br.Discard(int(f.body.N)); err != nil {
			return "", 0, io.ErrUnexpectedEOF
		}
		f.body.N = 0
	}
	if f.left < 8 {
		return "", 0, io.EOF
	}
	var h [8]byte
	if err := readFull(f.br, h[:]); err != nil {
		return "", 0, err
	}
	id, size = string(h[:4]), binary.LittleEndian.Uint32(h[4:])
	f.left -= 8
	if int64(size) > f.left {
		return id, size, fmt.Errorf("%w: %w: chunk %q claims %d bytes where %d remain", ErrFormat, io.ErrUnexpectedEOF, id, size, f.left)
	}
	rest := min(int64(size)+int64(size&1), f.left) // only the padding byte of the last chunk may be missing
	f.left -= rest
	f.body.N = rest
	f.n++
	return id, size, nil
}

// read reads n bytes of the current chunk's payload (n is at most what next checked was there).
func (f *webpFile) read(n int64) ([]byte, error) {
	if n > f.body.N {
		return nil, fmt.Errorf("%w: short chunk", ErrFormat)
	}
	b, err := io.ReadAll(io.LimitReader(&f.body, n))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) < n {
		return nil, io.ErrUnexpectedEOF
	}
	return b, nil
}

// header tracks the chunks that describe the whole file, refusing a second VP8X or ANIM that says
// something else than the first (decoders differ on which one they believe).
type header struct {
	vp8x, anim []byte
	animated   bool
	w, h       int
}

func (hd *header) chunk(id string, b []byte, first bool) error {
	seen := &hd.vp8x
	if id == "ANIM" {
		seen = &hd.anim
	}
	if *seen != nil {
		if !bytes.Equal(*seen, b) {
			return fmt.Errorf("%w: two %s chunks that disagree", ErrFormat, id)
		}
		return nil
	}
	*seen = b
	if id == "VP8X" {
		if !first {
			return fmt.Errorf("%w: the VP8X chunk is not the first", ErrFormat)
		}
		var err error
		if hd.animated, hd.w, hd.h, err = parseVP8X(b); err != nil {
			return err
		}
	}
	return nil
}

// frameHeader is the start of an ANMF chunk: where the frame sits and how it is drawn.
type frameHeader struct {
	x, y, w, h int
	delay      time.Duration
	blend      bool
	disposeBG  bool
}

const anmfHeader = 16

func parseANMF(b []byte) frameHeader {
	return frameHeader{
		x: int(u24(b)) * 2, y: int(u24(b[3:])) * 2, w: int(u24(b[6:])) + 1, h: int(u24(b[9:])) + 1,
		delay: delayOf(time.Duration(u24(b[12:])) * time.Millisecond),
		blend: b[15]&2 == 0, disposeBG: b[15]&1 != 0,
	}
}

// bitstreamIn finds the VP8 or VP8L bitstream among the chunks of a frame and reads its size, skipping
// an ALPH chunk and unknown ones.
func bitstreamIn(r io.Reader) (w, h int, err error) {
	for {
		var c [8]byte
		if err := readFull(r, c[:]); err != nil {
			return 0, 0, fmt.Errorf("%w: a frame without a bitstream", ErrFormat)
		}
		id, size := string(c[:4]), int64(binary.LittleEndian.Uint32(c[4:]))
		if id == "VP8 " || id == "VP8L" {
			b := make([]byte, 10)
			n, _ := io.ReadFull(r, b)
			return bitstreamSize(id, b[:n])
		}
		if _, err := io.CopyN(io.Discard, r, size+size&1); err != nil {
			return 0, 0, fmt.Errorf("%w: a frame without a bitstream", ErrFormat)
		}
	}
}

// checkFrame holds a frame against its canvas, as libwebp's demuxer does: the bitstream is the size the
// frame header says, and the frame lies inside the canvas. Only then is it decoded, so no frame is larger
// than the canvas the guard counted.
func checkFrame(n int, fh frameHeader, bw, bh, cw, ch int) error {
	if bw != fh.w || bh != fh.h {
		return fmt.Errorf("%w: frame %d says %dx%d but its bitstream is %dx%d", ErrFormat, n, fh.w, fh.h, bw, bh)
	}
	if fh.x+fh.w > cw || fh.y+fh.h > ch {
		return fmt.Errorf("%w: frame %d (%dx%d at %d,%d) lies outside the %dx%d canvas", ErrFormat, n, fh.w, fh.h, fh.x, fh.y, cw, ch)
	}
	return nil
}

// ScanWebP reads the chunk headers: canvas size, frame count and delays, ICC profile and EXIF. Every
// frame is checked against the canvas (checkFrame), so the canvas is what a frame can cost.
func ScanWebP(r io.Reader) (WebPInfo, error) {
	f, err := openWebP(r)
	if err != nil {
		return WebPInfo{}, err
	}
	var info WebPInfo
	var hd header
	for {
		id, size, err := f.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, err
		}
		switch id {
		case "VP8X", "ANIM":
			b, err := f.read(min(int64(size), 64))
			if err != nil {
				return info, err
			}
			if err := hd.chunk(id, b, f.n == 1); err != nil {
				return info, err
			}
			info.Animated, info.Width, info.Height = hd.animated, hd.w, hd.h
		case "ANMF":
			if hd.vp8x == nil {
				return info, fmt.Errorf("%w: ANMF chunk without a canvas", ErrFormat)
			}
			b, err := f.read(anmfHeader)
			if err != nil {
				return info, fmt.Errorf("%w: short ANMF chunk", ErrFormat)
			}
			fh := parseANMF(b)
			info.Frames++
			bw, bh, err := bitstreamIn(&f.body)
			if err != nil {
				return info, err
			}
			if err := checkFrame(info.Frames, fh, bw, bh, hd.w, hd.h); err != nil {
				return info, err
			}
			info.Duration += fh.delay
			info.Decoded = sat.Add(info.Decoded, int64(fh.w)*int64(fh.h))
			if fs := (Size{W: fh.w, H: fh.h}); fs.Pixels() > info.Largest.Pixels() {
				info.Largest = fs
			}
		case "ICCP":
			if size <= maxICC && info.ICC == nil {
				if info.ICC, err = f.read(int64(size)); err != nil {
					return info, err
				}
			}
		case "EXIF":
			if size <= maxEXIF && info.EXIF == nil {
				if info.EXIF, err = f.read(int64(size)); err != nil {
					return info, err
				}
			}
		case "VP8 ", "VP8L":
			b, err := f.read(min(int64(size), 10))
			if err != nil {
				return info, err
			}
			bw, bh, err := bitstreamSize(id, b)
			if err != nil {
				return info, err
			}
			if hd.vp8x == nil {
				if info.Frames > 0 {
					return info, fmt.Errorf("%w: two pictures in a simple WebP", ErrFormat)
				}
				info.Width, info.Height = bw, bh
			} else if bw != hd.w || bh != hd.h {
				return info, fmt.Errorf("%w: the %dx%d canvas holds a %dx%d picture", ErrFormat, hd.w, hd.h, bw, bh)
			}
			info.Frames++
			info.Decoded = sat.Add(info.Decoded, int64(bw)*int64(bh))
			info.Largest = Size{W: bw, H: bh}
		}
	}
	if info.Frames == 0 {
		return info, fmt.Errorf("%w: the WebP has no image", ErrFormat)
	}
	if !info.Animated {
		info.Frames = 1
	}
	return info, checkCanvas(info.Width, info.Height)
}

// parseVP8X reads the extended header: whether the file is animated, and its canvas size.
func parseVP8X(b []byte) (animated bool, w, h int, err error) {
	if len(b) < 10 {
		return false, 0, 0, fmt.Errorf("%w: short VP8X chunk", ErrFormat)
	}
	return b[0]&vp8xAnim != 0, int(u24(b[4:])) + 1, int(u24(b[7:])) + 1, nil
}

// bitstreamSize reads the picture size from the start of a VP8 or VP8L bitstream.
func bitstreamSize(id string, b []byte) (int, int, error) {
	if id == "VP8 " {
		if len(b) < 10 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
			return 0, 0, fmt.Errorf("%w: bad VP8 header", ErrFormat)
		}
		return int(binary.LittleEndian.Uint16(b[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(b[8:]) & 0x3fff), nil
	}
	if len(b) < 5 || b[0] != 0x2f {
		return 0, 0, fmt.Errorf("%w: bad VP8L header", ErrFormat)
	}
	v := binary.LittleEndian.Uint32(b[1:])
	return int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1, nil
}

func u24(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 }

type webpReader struct {
	f         *webpFile
	maxPixels int64
	hd        header
	c         *canvas
	w, h      int
	alph      []byte
	done      bool
	frames    int
	dispose   image.Rectangle
}

// NewWebP reads a WebP frame by frame (a still is one frame): each frame's bitstream is decoded on
// its own by x/image/webp and converted with libwebp's limited-range matrix. The canvas and every
// frame are checked before anything of their size is allocated: none may hold more than maxPixels.
func NewWebP(r io.Reader, maxPixels int64) (Reader, error) {
	f, err := openWebP(r)
	if err != nil {
		return nil, err
	}
	return &webpReader{f: f, maxPixels: maxPixels}, nil
}

func (w *webpReader) Next() (*image.NRGBA, time.Duration, error) {
	for {
		if w.done {
			return nil, 0, io.EOF
		}
		id, size, err := w.f.next()
		if err == io.EOF {
			w.done = true
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		switch id {
		case "VP8X", "ANIM":
			b, err := w.f.read(min(int64(size), 64))
			if err != nil {
				return nil, 0, err
			}
			if err := w.hd.chunk(id, b, w.f.n == 1); err != nil {
				return nil, 0, err
			}
			w.w, w.h = w.hd.w, w.hd.h
		case "ALPH":
			if w.alph, err = w.f.read(int64(size)); err != nil {
				return nil, 0, err
			}
		case "VP8 ", "VP8L":
			// A still: the picture is the canvas.
			w.done = true
			data, err := w.f.read(int64(size))
			if err != nil {
				return nil, 0, err
			}
			bw, bh, err := bitstreamSize(id, data)
			if err != nil {
				return nil, 0, err
			}
			if w.w == 0 {
				w.w, w.h = bw, bh
			} else if bw != w.w || bh != w.h {
				return nil, 0, fmt.Errorf("%w: the %dx%d canvas holds a %dx%d picture", ErrFormat, w.w, w.h, bw, bh)
			}
			if err := checkPixels("picture", w.w, w.h, w.maxPixels); err != nil {
				return nil, 0, err
			}
			var sub bytes.Buffer
			alpha := w.alph != nil && id == "VP8 "
			if alpha {
				writeChunk(&sub, "ALPH", w.alph)
			}
			writeChunk(&sub, id, data)
			m, err := decodeFrame(sub.Bytes(), w.w, w.h, alpha)
			if err != nil {
				return nil, 0, err
			}
			return m, 0, nil
		case "ANMF":
			data, err := w.f.read(int64(size))
			if err != nil {
				return nil, 0, err
			}
			return w.frame(data)
		}
	}
}

// frame composes one ANMF chunk onto the canvas.
func (w *webpReader) frame(b []byte) (*image.NRGBA, time.Duration, error) {
	if len(b) < anmfHeader || w.w == 0 {
		return nil, 0, fmt.Errorf("%w: ANMF chunk without a canvas", ErrFormat)
	}
	w.frames++
	if w.c == nil {
		if err := checkPixels("canvas", w.w, w.h, w.maxPixels); err != nil {
			return nil, 0, err
		}
		w.c = newCanvas(w.w, w.h)
	}
	fh := parseANMF(b)
	sub := b[anmfHeader:]
	bw, bh, err := bitstreamIn(bytes.NewReader(sub))
	if err != nil {
		return nil, 0, err
	}
	if err := checkFrame(w.frames, fh, bw, bh, w.w, w.h); err != nil {
		return nil, 0, err
	}
	alpha := bytes.HasPrefix(sub, []byte("ALPH"))
	m, err := decodeFrame(sub, fh.w, fh.h, alpha)
	if err != nil {
		return nil, 0, err
	}
	if !w.dispose.Empty() {
		w.c.clear = w.dispose
		w.c.dispose()
	}
	r := image.Rect(fh.x, fh.y, fh.x+fh.w, fh.y+fh.h)
	w.c.draw(m, r, fh.blend)
	w.dispose = image.Rectangle{}
	if fh.disposeBG {
		// Browsers dispose to transparent, whatever the ANIM background colour says.
		w.dispose = r.Intersect(w.c.img.Bounds())
	}
	return w.c.img, fh.delay, nil
}

// decodeFrame wraps frame chunks (ALPH and VP8, or VP8L) in a file of their own and decodes it.
func decodeFrame(sub []byte, w, h int, alpha bool) (*image.NRGBA, error) {
	var b bytes.Buffer
	var body bytes.Buffer
	if alpha {
		x := make([]byte, 10)
		x[0] = vp8xAlpha
		putU24(x[4:], uint32(w-1))
		putU24(x[7:], uint32(h-1))
		writeChunk(&body, "VP8X", x)
	}
	body.Write(sub)
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(4+body.Len()))
	b.WriteString("WEBP")
	b.Write(body.Bytes())
	m, err := webp.Decode(&b)
	if err != nil {
		return nil, err
	}
	switch m := m.(type) {
	case *image.YCbCr:
		return ycc.ToNRGBA(m, ycc.WebP), nil
	case *image.NYCbCrA:
		return ycc.ToNRGBAAlpha(m, ycc.WebP), nil
	case *image.NRGBA:
		return m, nil
	}
	return nil, fmt.Errorf("%w: unexpected WebP picture %T", ErrFormat, m)
}

func writeChunk(b *bytes.Buffer, id string, data []byte) {
	b.WriteString(id)
	_ = binary.Write(b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	if len(data)&1 == 1 {
		b.WriteByte(0)
	}
}

func putU24(b []byte, v uint32) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
