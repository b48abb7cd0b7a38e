// Package heif reads what quinte needs from a HEIF or AVIF file's boxes before anything is decoded:
// the primary image's size (ispe), its rotation (irot; a mirror, imir, does not change the size), its colour (nclx or ICC in
// colr), its light level (clli) and bit depth (pixi). The photo guard checks the size from here, and
// the colour step needs the nclx that decoders drop.
//
// It only parses; decoding is done by libheif (see package photo).
package heif

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrFormat is a file whose boxes are broken or that has no primary image.
var ErrFormat = errors.New("broken HEIF structure")

// NCLX is the colour description of ISO/IEC 23091-2 (H.273) codes.
type NCLX struct {
	Primaries, Transfer, Matrix int
	FullRange                   bool
}

// Info is the primary image as the boxes describe it.
type Info struct {
	Type     string // item type of the primary image: hvc1, av01, grid...
	Width    int    // ispe: before rotation
	Height   int
	Rotation int // irot: degrees anticlockwise, applied by decoders
	NCLX     *NCLX
	ICC      []byte
	MaxCLL   int // clli, in cd/m²; 0 when absent
	Depth    int // bits per channel (pixi), 0 when absent
}

// Shown is the size once irot is applied.
func (i Info) Shown() (w, h int) {
	if i.Rotation == 90 || i.Rotation == 270 {
		return i.Height, i.Width
	}
	return i.Width, i.Height
}

// maxMeta bounds the meta box held in memory: real ones are a few kilobytes plus an ICC profile.
const maxMeta = 16 << 20

type box struct {
	typ  string
	body []byte
}

// boxes splits b into its child boxes.
func boxes(b []byte) ([]box, error) {
	var out []box
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, fmt.Errorf("%w: truncated box", ErrFormat)
		}
		size, hdr := uint64(binary.BigEndian.Uint32(b)), uint64(8)
		typ := string(b[4:8])
		switch size {
		case 0:
			size = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return nil, fmt.Errorf("%w: truncated box", ErrFormat)
			}
			size, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hdr || size > uint64(len(b)) {
			return nil, fmt.Errorf("%w: box %q of %d bytes in %d", ErrFormat, typ, size, len(b))
		}
		out = append(out, box{typ: typ, body: b[hdr:size]})
		b = b[size:]
	}
	return out, nil
}

// Parse reads the ftyp and meta boxes of r, which holds size bytes. Only those two boxes are read:
// the media data is skipped.
func Parse(r io.ReaderAt, size int64) (*Info, error) {
	info := &Info{}
	var meta []byte
	for off := int64(0); off+8 <= size && meta == nil; {
		var h [16]byte
		if _, err := r.ReadAt(h[:8], off); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		n, hdr := int64(binary.BigEndian.Uint32(h[:])), int64(8)
		typ := string(h[4:8])
		if n == 1 {
			if _, err := r.ReadAt(h[8:16], off+8); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrFormat, err)
			}
			n, hdr = int64(binary.BigEndian.Uint64(h[8:])), 16
		} else if n == 0 {
			n = size - off
		}
		if n < hdr || off+n > size {
			return nil, fmt.Errorf("%w: box %q runs past the end of the file", ErrFormat, typ)
		}
		if typ == "meta" {
			if n-hdr > maxMeta {
				return nil, fmt.Errorf("%w: %q box of %d bytes", ErrFormat, typ, n)
			}
			meta = make([]byte, n-hdr)
			if _, err := r.ReadAt(meta, off+hdr); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrFormat, err)
			}
		}
		off += n
	}
	if meta == nil || len(meta) < 4 {
		return nil, fmt.Errorf("%w: no meta box", ErrFormat)
	}
	return info, parseMeta(info, meta[4:]) // meta is a full box: skip version and flags
}

func parseMeta(info *Info, b []byte) error {
	children, err := boxes(b)
	if err != nil {
		return err
	}
	var primary uint32
	var havePrimary bool
	types := map[uint32]string{}
	var props []box
	var assoc map[uint32][]int
	for _, c := range children {
		switch c.typ {
		case "pitm":
			if len(c.body) < 6 {
				return fmt.Errorf("%w: short pitm", ErrFormat)
			}
			if c.body[0] == 0 {
				primary = uint32(binary.BigEndian.Uint16(c.body[4:]))
			} else if len(c.body) >= 8 {
				primary = binary.BigEndian.Uint32(c.body[4:])
			}
			havePrimary = true
		case "iinf":
			if types, err = parseIinf(c.body); err != nil {
				return err
			}
		case "iprp":
			if props, assoc, err = parseIprp(c.body); err != nil {
				return err
			}
		}
	}
	if !havePrimary {
		return fmt.Errorf("%w: no primary item", ErrFormat)
	}
	info.Type = types[primary]
	for _, idx := range assoc[primary] {
		if idx < 1 || idx > len(props) {
			continue
		}
		if err := applyProperty(info, props[idx-1]); err != nil {
			return err
		}
	}
	if info.Width <= 0 || info.Height <= 0 {
		return fmt.Errorf("%w: the primary image has no size (ispe)", ErrFormat)
	}
	return nil
}

func parseIinf(b []byte) (map[uint32]string, error) {
	if len(b) < 6 {
		return nil, fmt.Errorf("%w: short iinf", ErrFormat)
	}
	skip := 6
	if b[0] != 0 {
		skip = 8
	}
	if len(b) < skip {
		return nil, fmt.Errorf("%w: short iinf", ErrFormat)
	}
	entries, err := boxes(b[skip:])
	if err != nil {
		return nil, err
	}
	types := map[uint32]string{}
	for _, e := range entries {
		if e.typ != "infe" || len(e.body) < 4 || e.body[0] < 2 {
			continue
		}
		p := e.body[4:]
		var id uint32
		if e.body[0] == 2 {
			if len(p) < 8 {
				continue
			}
			id, p = uint32(binary.BigEndian.Uint16(p)), p[2:]
		} else {
			if len(p) < 10 {
				continue
			}
			id, p = binary.BigEndian.Uint32(p), p[4:]
		}
		types[id] = string(p[2:6]) // after item_protection_index
	}
	return types, nil
}

func parseIprp(b []byte) ([]box, map[uint32][]int, error) {
	children, err := boxes(b)
	if err != nil {
		return nil, nil, err
	}
	var props []box
	assoc := map[uint32][]int{}
	for _, c := range children {
		switch c.typ {
		case "ipco":
			if props, err = boxes(c.body); err != nil {
				return nil, nil, err
			}
		case "ipma":
			if err := parseIpma(c.body, assoc); err != nil {
				return nil, nil, err
			}
		}
	}
	return props, assoc, nil
}

func parseIpma(b []byte, assoc map[uint32][]int) error {
	if len(b) < 8 {
		return fmt.Errorf("%w: short ipma", ErrFormat)
	}
	version, flags := b[0], b[3]
	n := binary.BigEndian.Uint32(b[4:])
	p := b[8:]
	for range n {
		var id uint32
		if version < 1 {
			if len(p) < 3 {
				return fmt.Errorf("%w: short ipma", ErrFormat)
			}
			id, p = uint32(binary.BigEndian.Uint16(p)), p[2:]
		} else {
			if len(p) < 5 {
				return fmt.Errorf("%w: short ipma", ErrFormat)
			}
			id, p = binary.BigEndian.Uint32(p), p[4:]
		}
		count := int(p[0])
		p = p[1:]
		for range count {
			var idx int
			if flags&1 != 0 {
				if len(p) < 2 {
					return fmt.Errorf("%w: short ipma", ErrFormat)
				}
				idx, p = int(binary.BigEndian.Uint16(p)&0x7fff), p[2:]
			} else {
				if len(p) < 1 {
					return fmt.Errorf("%w: short ipma", ErrFormat)
				}
				idx, p = int(p[0]&0x7f), p[1:]
			}
			assoc[id] = append(assoc[id], idx)
		}
	}
	return nil
}

func applyProperty(info *Info, p box) error {
	b := p.body
	switch p.typ {
	case "ispe":
		if len(b) < 12 {
			return fmt.Errorf("%w: short ispe", ErrFormat)
		}
		info.Width, info.Height = int(binary.BigEndian.Uint32(b[4:])), int(binary.BigEndian.Uint32(b[8:]))
	case "irot":
		if len(b) >= 1 {
			info.Rotation = int(b[0]&3) * 90
		}
	case "colr":
		if len(b) < 4 {
			return nil
		}
		switch string(b[:4]) {
		case "nclx":
			if len(b) >= 11 && info.NCLX == nil {
				info.NCLX = &NCLX{
					Primaries: int(binary.BigEndian.Uint16(b[4:])), Transfer: int(binary.BigEndian.Uint16(b[6:])),
					Matrix: int(binary.BigEndian.Uint16(b[8:])), FullRange: b[10]&0x80 != 0,
				}
			}
		case "prof", "rICC":
			if info.ICC == nil {
				info.ICC = b[4:]
			}
		}
	case "clli":
		if len(b) >= 2 {
			info.MaxCLL = int(binary.BigEndian.Uint16(b))
		}
	case "pixi":
		if len(b) >= 6 {
			info.Depth = int(b[5])
		}
	}
	return nil
}
