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

type chunk struct {
	id   string
	data []byte // nil when skipped
	size uint32
}

// webpFile walks the chunks of a RIFF WEBP file.
type webpFile struct {
	br   *bufio.Reader
	left int64 // bytes of the RIFF payload still unread
}

func openWebP(r io.Reader) (*webpFile, error) {
	br := bufio.NewReader(r)
	var h [12]byte
	if err := readFull(br, h[:]); err != nil {
		return nil, err
	}
	if string(h[:4]) != "RIFF" || string(h[8:]) != "WEBP" {
		return nil, fmt.Errorf("%w: not a WebP", ErrFormat)
	}
	return &webpFile{br: br, left: int64(binary.LittleEndian.Uint32(h[4:])) - 4}, nil
}

// next reads the next chunk, keeping the first keep(id, size) bytes of its payload.
func (f *webpFile) next(keep func(id string, size uint32) int64) (chunk, error) {
	if f.left < 8 {
		return chunk{}, io.EOF
	}
	var h [8]byte
	if err := readFull(f.br, h[:]); err != nil {
		return chunk{}, err
	}
	c := chunk{id: string(h[:4]), size: binary.LittleEndian.Uint32(h[4:])}
	rest := int64(c.size) + int64(c.size&1)
	f.left -= 8 + rest
	if n := min(keep(c.id, c.size), int64(c.size)); n > 0 {
		c.data = make([]byte, n)
		if err := readFull(f.br, c.data); err != nil {
			return c, err
		}
		rest -= n
	}
	if _, err := f.br.Discard(int(rest)); err != nil && (f.left >= 0 || rest > 1) {
		return c, io.ErrUnexpectedEOF // only the padding byte of the last chunk may be missing
	}
	return c, nil
}

// all keeps a whole chunk payload.
const all = 1 << 62

// ScanWebP reads the chunk headers: canvas size, frame count and delays, ICC profile and EXIF.
func ScanWebP(r io.Reader) (WebPInfo, error) {
	f, err := openWebP(r)
	if err != nil {
		return WebPInfo{}, err
	}
	var info WebPInfo
	for {
		c, err := f.next(func(id string, size uint32) int64 {
			switch id {
			case "VP8X":
				return all
			case "ANMF":
				return 16 // the frame header; the frame's bitstream is skipped
			case "VP8 ", "VP8L":
				return 10 // the bitstream header holds the size of a simple file
			case "ICCP":
				if size <= maxICC {
					return all
				}
			case "EXIF":
				if size <= maxEXIF {
					return all
				}
			}
			return 0
		})
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, err
		}
		switch c.id {
		case "VP8X":
			if info.Animated, info.Width, info.Height, err = parseVP8X(c.data); err != nil {
				return info, err
			}
		case "ANMF":
			if len(c.data) < 16 {
				return info, fmt.Errorf("%w: short ANMF chunk", ErrFormat)
			}
			info.Frames++
			info.Duration += delayOf(time.Duration(u24(c.data[12:])) * time.Millisecond)
		case "ICCP":
			info.ICC = c.data
		case "EXIF":
			info.EXIF = c.data
		case "VP8 ", "VP8L":
			info.Frames++
			if info.Width == 0 {
				if info.Width, info.Height, err = bitstreamSize(c.id, c.data); err != nil {
					return info, err
				}
			}
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
	f       *webpFile
	c       *canvas
	w, h    int
	alph    []byte
	done    bool
	dispose image.Rectangle
}

// NewWebP reads a WebP frame by frame (a still is one frame): each frame's bitstream is decoded on
// its own by x/image/webp and converted with libwebp's limited-range matrix.
func NewWebP(r io.Reader) (Reader, error) {
	f, err := openWebP(r)
	if err != nil {
		return nil, err
	}
	return &webpReader{f: f}, nil
}

func (w *webpReader) Next() (*image.NRGBA, time.Duration, error) {
	for {
		if w.done {
			return nil, 0, io.EOF
		}
		c, err := w.f.next(func(id string, size uint32) int64 {
			switch id {
			case "VP8X", "ANMF", "ALPH", "VP8 ", "VP8L":
				return all
			}
			return 0
		})
		if err == io.EOF {
			w.done = true
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		switch c.id {
		case "VP8X":
			if _, w.w, w.h, err = parseVP8X(c.data); err != nil {
				return nil, 0, err
			}
		case "ALPH":
			w.alph = c.data
		case "VP8 ", "VP8L":
			// A still: the picture is the canvas.
			w.done = true
			var sub bytes.Buffer
			alpha := w.alph != nil && c.id == "VP8 "
			if alpha {
				writeChunk(&sub, "ALPH", w.alph)
			}
			writeChunk(&sub, c.id, c.data)
			if w.w == 0 {
				if w.w, w.h, err = bitstreamSize(c.id, c.data); err != nil {
					return nil, 0, err
				}
			}
			m, err := decodeFrame(sub.Bytes(), w.w, w.h, alpha)
			if err != nil {
				return nil, 0, err
			}
			return m, 0, nil
		case "ANMF":
			return w.frame(c.data)
		}
	}
}

// frame composes one ANMF chunk onto the canvas.
func (w *webpReader) frame(b []byte) (*image.NRGBA, time.Duration, error) {
	if len(b) < 16 || w.w == 0 {
		return nil, 0, fmt.Errorf("%w: ANMF chunk without a canvas", ErrFormat)
	}
	if w.c == nil {
		if err := checkCanvas(w.w, w.h); err != nil {
			return nil, 0, err
		}
		w.c = newCanvas(w.w, w.h)
	}
	x, y := int(u24(b))*2, int(u24(b[3:]))*2
	fw, fh := int(u24(b[6:]))+1, int(u24(b[9:]))+1
	delay := delayOf(time.Duration(u24(b[12:])) * time.Millisecond)
	blend, disposeBG := b[15]&2 == 0, b[15]&1 != 0
	sub := b[16:]
	alpha := bytes.HasPrefix(sub, []byte("ALPH"))
	m, err := decodeFrame(sub, fw, fh, alpha)
	if err != nil {
		return nil, 0, err
	}
	if !w.dispose.Empty() {
		w.c.clear = w.dispose
		w.c.dispose()
	}
	r := image.Rect(x, y, x+fw, y+fh)
	w.c.draw(m, r, blend)
	w.dispose = image.Rectangle{}
	if disposeBG {
		// Browsers dispose to transparent, whatever the ANIM background colour says.
		w.dispose = r.Intersect(w.c.img.Bounds())
	}
	return w.c.img, delay, nil
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
