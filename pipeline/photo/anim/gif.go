package anim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/gif"
	"io"
	"time"

	"github.com/quinte-media/quinte/pipeline/photo/internal/sat"
)

// GIF block introducers.
const (
	gifExtension = 0x21
	gifImage     = 0x2C
	gifTrailer   = 0x3B
	gifControl   = 0xF9 // graphic control extension: delay, disposal, transparency
)

// gifHeader is the signature, logical screen descriptor and global colour table.
type gifHeader struct {
	raw  []byte
	w, h int
}

func readGIFHeader(br *bufio.Reader) (gifHeader, error) {
	raw := make([]byte, 13)
	if err := readFull(br, raw); err != nil {
		return gifHeader{}, err
	}
	if string(raw[:6]) != "GIF87a" && string(raw[:6]) != "GIF89a" {
		return gifHeader{}, fmt.Errorf("%w: not a GIF", ErrFormat)
	}
	h := gifHeader{w: int(binary.LittleEndian.Uint16(raw[6:])), h: int(binary.LittleEndian.Uint16(raw[8:]))}
	if flags := raw[10]; flags&0x80 != 0 {
		table := make([]byte, 3<<(flags&7+1))
		if err := readFull(br, table); err != nil {
			return gifHeader{}, err
		}
		raw = append(raw, table...)
	}
	h.raw = raw
	return h, checkCanvas(h.w, h.h)
}

// gifFrame is one image block with the control extension before it, as raw bytes.
type gifFrame struct {
	control []byte // the whole graphic control extension, or nil
	desc    []byte // image descriptor (without the 0x2C), local colour table, LZW code size, data
	rect    image.Rectangle
}

func (f gifFrame) delay() time.Duration {
	if len(f.control) < 8 {
		return delayOf(0)
	}
	return delayOf(time.Duration(binary.LittleEndian.Uint16(f.control[4:])) * 10 * time.Millisecond)
}

func (f gifFrame) disposal() byte {
	if len(f.control) < 8 {
		return 0
	}
	return f.control[3] >> 2 & 7
}

// nextGIFFrame reads blocks up to the next image. With keep false it only skips the image data.
func nextGIFFrame(br *bufio.Reader, keep bool) (gifFrame, error) {
	var f gifFrame
	for {
		b, err := br.ReadByte()
		if err != nil {
			return f, io.ErrUnexpectedEOF
		}
		switch b {
		case gifTrailer:
			return f, io.EOF
		case gifExtension:
			label, err := br.ReadByte()
			if err != nil {
				return f, io.ErrUnexpectedEOF
			}
			if label == gifControl {
				f.control = []byte{gifExtension, gifControl}
				f.control, err = subBlocks(br, f.control, true)
			} else {
				_, err = subBlocks(br, nil, false)
			}
			if err != nil {
				return f, err
			}
		case gifImage:
			desc := make([]byte, 9)
			if err := readFull(br, desc); err != nil {
				return f, err
			}
			x, y := int(binary.LittleEndian.Uint16(desc[0:])), int(binary.LittleEndian.Uint16(desc[2:]))
			w, h := int(binary.LittleEndian.Uint16(desc[4:])), int(binary.LittleEndian.Uint16(desc[6:]))
			f.rect = image.Rect(x, y, x+w, y+h)
			if flags := desc[8]; flags&0x80 != 0 {
				table := make([]byte, 3<<(flags&7+1))
				if err := readFull(br, table); err != nil {
					return f, err
				}
				desc = append(desc, table...)
			}
			code, err := br.ReadByte()
			if err != nil {
				return f, io.ErrUnexpectedEOF
			}
			desc = append(desc, code)
			if f.desc, err = subBlocks(br, desc, keep); err != nil {
				return f, err
			}
			return f, nil
		default:
			return f, fmt.Errorf("%w: unknown GIF block 0x%02x", ErrFormat, b)
		}
	}
}

// subBlocks reads a chain of length-prefixed sub-blocks up to its empty terminator, appending them
// (terminator included) to dst when keep is set.
func subBlocks(br *bufio.Reader, dst []byte, keep bool) ([]byte, error) {
	for {
		n, err := br.ReadByte()
		if err != nil {
			return dst, io.ErrUnexpectedEOF
		}
		if keep {
			dst = append(dst, n)
		}
		if n == 0 {
			return dst, nil
		}
		if keep {
			start := len(dst)
			dst = append(dst, make([]byte, n)...)
			err = readFull(br, dst[start:])
		} else {
			_, err = br.Discard(int(n))
		}
		if err != nil {
			return dst, io.ErrUnexpectedEOF
		}
	}
}

// ScanGIF counts the frames of a GIF and adds up their delays without decoding them.
func ScanGIF(r io.Reader) (Info, error) {
	br := bufio.NewReader(r)
	h, err := readGIFHeader(br)
	if err != nil {
		return Info{}, err
	}
	info := Info{Width: h.w, Height: h.h}
	for {
		f, err := nextGIFFrame(br, false)
		if err == io.EOF {
			break
		}
		if err != nil {
			if info.Frames > 0 && err == io.ErrUnexpectedEOF {
				break // a missing trailer is common and harmless: browsers show what is there
			}
			return info, err
		}
		info.Frames++
		info.Duration += f.delay()
		fs := Size{W: f.rect.Dx(), H: f.rect.Dy()}
		if fs.Pixels() > info.Largest.Pixels() {
			info.Largest = fs
		}
		info.Decoded = sat.Add(info.Decoded, fs.Pixels())
	}
	if info.Frames == 0 {
		return info, fmt.Errorf("%w: the GIF has no image", ErrFormat)
	}
	return info, nil
}

type gifReader struct {
	br        *bufio.Reader
	head      gifHeader
	c         *canvas
	n         int
	maxPixels int64
}

// NewGIF reads a GIF frame by frame: each image block is decoded on its own by image/gif, so only
// one frame is ever held. Neither the screen nor any frame may hold more than maxPixels: a frame is
// checked from its descriptor before image/gif allocates it.
func NewGIF(r io.Reader, maxPixels int64) (Reader, error) {
	br := bufio.NewReader(r)
	h, err := readGIFHeader(br)
	if err != nil {
		return nil, err
	}
	if err := checkPixels("screen", h.w, h.h, maxPixels); err != nil {
		return nil, err
	}
	return &gifReader{br: br, head: h, c: newCanvas(h.w, h.h), maxPixels: maxPixels}, nil
}

func (g *gifReader) Next() (*image.NRGBA, time.Duration, error) {
	f, err := nextGIFFrame(g.br, true)
	if err == io.ErrUnexpectedEOF && g.n > 0 {
		err = io.EOF
	}
	if err != nil {
		return nil, 0, err
	}
	g.n++
	if px := int64(f.rect.Dx()) * int64(f.rect.Dy()); px > g.maxPixels {
		return nil, 0, fmt.Errorf("%w: frame %d of %dx%d pixels, over the limit of %d", ErrTooLarge, g.n, f.rect.Dx(), f.rect.Dy(), g.maxPixels)
	}
	m, err := g.decode(f)
	if err != nil {
		return nil, 0, fmt.Errorf("GIF frame %d: %w", g.n, err)
	}
	g.c.dispose()
	r := f.rect.Intersect(g.c.img.Bounds())
	switch f.disposal() {
	case 2:
		defer func() { g.c.clear = r }()
	case 3:
		g.c.keep(r)
	}
	g.c.draw(m, f.rect, true)
	return g.c.img, f.delay(), nil
}

// decode makes a one-frame GIF of the frame (the header with a screen the size of the frame, its
// control extension, its image block moved to the origin) and decodes that: image/gif allocates the
// frame alone, and a frame whose far edge is past 65535 still fits the format's 16-bit fields.
func (g *gifReader) decode(f gifFrame) (image.Image, error) {
	var b bytes.Buffer
	b.Grow(len(g.head.raw) + len(f.control) + len(f.desc) + 2)
	b.Write(g.head.raw)
	hdr := b.Bytes()
	binary.LittleEndian.PutUint16(hdr[6:], uint16(max(1, f.rect.Dx())))
	binary.LittleEndian.PutUint16(hdr[8:], uint16(max(1, f.rect.Dy())))
	b.Write(f.control)
	b.WriteByte(gifImage)
	desc := b.Len()
	b.Write(f.desc)
	clear(b.Bytes()[desc : desc+4]) // left and top
	b.WriteByte(gifTrailer)
	return gif.Decode(&b)
}
