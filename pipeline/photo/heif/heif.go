// Package heif reads what quinte needs from a HEIF or AVIF file's boxes before anything is decoded:
// the primary image's size (ispe), its rotation (irot; a mirror, imir, does not change the size), its colour (nclx or ICC in
// colr), its light level (clli) and bit depth (pixi). The photo guard checks the size from here, and
// the colour step needs the nclx that decoders drop.
//
// It only parses; decoding is done by libheif (see package photo).
package heif

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/quinte-media/quinte/pipeline/photo/internal/sat"
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

	// Images is the number of top-level images (a burst, a stereo pair; not the tiles of a grid,
	// thumbnails or auxiliary images such as alpha, depth and gain maps); PrimaryID is the one pitm names.
	Images    int
	PrimaryID uint32
	// Hide holds, for each image item but the primary that is not hidden already, the file offset of
	// the byte of its infe box whose low bit is the "hidden" flag: setting them leaves libheif only the
	// primary among its top-level images (hidden tiles, thumbnails and alpha planes are still found
	// through their references).
	Hide []int64
	// Every other image item (tile, thumbnail, alpha, depth, gain map, other top-level image) is
	// decoded at the size its ispe claims: Largest is the largest of them, AllPixels all of them with
	// the primary (each product from two 32-bit fields, saturated rather than wrapped).
	Largest   Item
	AllPixels int64
}

// Item is an image item's ID and its ispe size.
type Item struct {
	ID            uint32
	Width, Height int
}

// Pixels is Width × Height, saturated: each side is up to 2^32-1.
func (it Item) Pixels() int64 { return sat.Mul(int64(it.Width), int64(it.Height)) }

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
	var metaOff int64
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
			meta = make([]byte, n-hdr) // n was checked against the file's size
			if _, err := r.ReadAt(meta, off+hdr); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrFormat, err)
			}
			metaOff = off + hdr
		}
		off += n
	}
	if meta == nil || len(meta) < 4 {
		return nil, fmt.Errorf("%w: no meta box", ErrFormat)
	}
	m, err := parseMeta(info, meta[4:]) // meta is a full box: skip version and flags
	if err != nil {
		return nil, err
	}
	items := m.others
	if info.Type == "grid" {
		if err := checkGrid(info, m, r, size); err != nil {
			return nil, err
		}
	}
	for _, it := range items {
		// Every body is a slice of meta: its capacity tells where it starts.
		info.Hide = append(info.Hide, metaOff+int64(cap(meta)-cap(it.flags)))
	}
	return info, nil
}

// imageTypes are the item types that are pictures, as libheif counts them.
var imageTypes = map[string]bool{"hvc1": true, "av01": true, "grid": true, "iden": true, "iovl": true, "jpeg": true, "avc1": true, "vvc1": true, "j2k1": true, "unci": true}

type item struct {
	id     uint32
	typ    string
	hidden bool
	flags  []byte // the infe box from its last flags byte on
}

// metaBoxes is what parseMeta leaves for the caller: the image items to hide, and where item data is.
type metaBoxes struct {
	others     []item
	iloc, idat []byte
}

// parseMeta reads the primary image's properties into info and returns the other image items.
func parseMeta(info *Info, b []byte) (metaBoxes, error) {
	var m metaBoxes
	others, err := parseMetaBoxes(info, b, &m)
	m.others = others
	return m, err
}

func parseMetaBoxes(info *Info, b []byte, m *metaBoxes) ([]item, error) {
	children, err := boxes(b)
	if err != nil {
		return nil, err
	}
	var primary uint32
	var havePrimary bool
	var items []item
	notTop := map[uint32]bool{}
	var props []box
	var assoc map[uint32][]int
	seen := map[string][]byte{}
	for _, c := range children {
		switch c.typ {
		case "pitm", "iinf", "iref", "iprp", "iloc", "idat":
			// Readers differ on which of two such boxes they believe: only copies of one are accepted.
			if first, ok := seen[c.typ]; ok {
				if !bytes.Equal(first, c.body) {
					return nil, fmt.Errorf("%w: two %s boxes that disagree", ErrFormat, c.typ)
				}
				continue
			}
			seen[c.typ] = c.body
		}
		switch c.typ {
		case "pitm":
			if len(c.body) < 6 {
				return nil, fmt.Errorf("%w: short pitm", ErrFormat)
			}
			if c.body[0] == 0 {
				primary = uint32(binary.BigEndian.Uint16(c.body[4:]))
			} else if len(c.body) >= 8 {
				primary = binary.BigEndian.Uint32(c.body[4:])
			}
			havePrimary = true
		case "iinf":
			if items, err = parseIinf(c.body); err != nil {
				return nil, err
			}
		case "iref":
			if err := parseIref(c.body, notTop); err != nil {
				return nil, err
			}
		case "iprp":
			if props, assoc, err = parseIprp(c.body); err != nil {
				return nil, err
			}
		case "iloc":
			m.iloc = c.body
		case "idat":
			m.idat = c.body
		}
	}
	if !havePrimary {
		return nil, fmt.Errorf("%w: no primary item", ErrFormat)
	}
	info.PrimaryID = primary
	var others []item
	info.Images = 1 // the primary, which libheif decodes even when it is marked hidden
	for _, it := range items {
		if it.id == primary {
			info.Type = it.typ
			continue
		}
		if !imageTypes[it.typ] || it.hidden {
			continue
		}
		if !notTop[it.id] {
			info.Images++
		}
		others = append(others, it)
	}
	for _, idx := range assoc[primary] {
		if idx < 1 || idx > len(props) {
			continue
		}
		if err := applyProperty(info, props[idx-1]); err != nil {
			return nil, err
		}
	}
	if info.Width <= 0 || info.Height <= 0 {
		return nil, fmt.Errorf("%w: the primary image has no size (ispe)", ErrFormat)
	}
	info.AllPixels = Item{Width: info.Width, Height: info.Height}.Pixels()
	for _, it := range items {
		if it.id == primary || !imageTypes[it.typ] {
			continue
		}
		for _, idx := range assoc[it.id] {
			if idx < 1 || idx > len(props) || props[idx-1].typ != "ispe" || len(props[idx-1].body) < 12 {
				continue
			}
			b := props[idx-1].body
			size := Item{ID: it.id, Width: int(binary.BigEndian.Uint32(b[4:])), Height: int(binary.BigEndian.Uint32(b[8:]))}
			if size.Pixels() > info.Largest.Pixels() {
				info.Largest = size
			}
			info.AllPixels = sat.Add(info.AllPixels, size.Pixels())
			break
		}
	}
	return others, nil
}

// parseIref marks the images that are parts of another: thumbnails (thmb), auxiliary images (auxl:
// alpha, depth, gain maps) and the tiles of a grid or overlay (dimg).
func parseIref(b []byte, notTop map[uint32]bool) error {
	if len(b) < 4 {
		return fmt.Errorf("%w: short iref", ErrFormat)
	}
	wide := b[0] != 0
	refs, err := boxes(b[4:])
	if err != nil {
		return err
	}
	for _, r := range refs {
		ids := readIDs(r.body, wide)
		switch r.typ {
		case "thmb", "auxl": // from the part to its image
			if len(ids) > 0 {
				notTop[ids[0]] = true
			}
		case "dimg": // from the derived image to its parts (after the reference count)
			if len(ids) > 1 {
				for _, id := range ids[1:] {
					notTop[id] = true
				}
			}
		}
	}
	return nil
}

// readIDs reads an item reference: from_item_ID, then to_item_IDs, 16 or 32 bits each; the reference
// count between them is skipped (the box's length bounds the list).
func readIDs(b []byte, wide bool) []uint32 {
	n := 2
	if wide {
		n = 4
	}
	var ids []uint32
	read := func() uint32 {
		defer func() { b = b[n:] }()
		if wide {
			return binary.BigEndian.Uint32(b)
		}
		return uint32(binary.BigEndian.Uint16(b))
	}
	if len(b) < n+2 {
		return nil
	}
	ids = append(ids, read())
	b = b[2:]
	for len(b) >= n {
		ids = append(ids, read())
	}
	return ids
}

func parseIinf(b []byte) ([]item, error) {
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
	var items []item
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
		// The item type follows item_protection_index; the hidden flag is the low bit of the flags.
		items = append(items, item{id: id, typ: string(p[2:6]), hidden: e.body[3]&1 != 0, flags: e.body[3:]})
	}
	return items, nil
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
		w, h := int(binary.BigEndian.Uint32(b[4:])), int(binary.BigEndian.Uint32(b[8:]))
		if info.Width != 0 && (w != info.Width || h != info.Height) {
			return fmt.Errorf("%w: two ispe sizes for the primary image, %dx%d and %dx%d", ErrFormat, info.Width, info.Height, w, h)
		}
		info.Width, info.Height = w, h
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

// checkGrid holds a grid's own output size against its ispe: libheif sizes the picture it composes
// from the grid's data, which the guard does not otherwise read (a grid claiming 64x64 in ispe and
// 32768x32768 in its data would allocate a gigapixel).
func checkGrid(info *Info, m metaBoxes, r io.ReaderAt, size int64) error {
	method, off, n, ok := locate(m.iloc, info.PrimaryID)
	if !ok {
		return fmt.Errorf("%w: the grid image has no data (iloc)", ErrFormat)
	}
	var b []byte
	switch method {
	case 0: // in the file
		if off < 0 || n < 8 || off > size-8 {
			return fmt.Errorf("%w: the grid image's data lies outside the file", ErrFormat)
		}
		b = make([]byte, min(n, 12))
		if _, err := r.ReadAt(b, off); err != nil {
			return fmt.Errorf("%w: %w", ErrFormat, err)
		}
	case 1: // in idat
		if off < 0 || n < 8 || off > int64(len(m.idat))-8 {
			return fmt.Errorf("%w: the grid image's data lies outside idat", ErrFormat)
		}
		b = m.idat[off:min(int64(len(m.idat)), off+min(n, 12))]
	default:
		return fmt.Errorf("%w: grid data by construction method %d", ErrFormat, method)
	}
	var w, h int
	if b[1]&1 == 0 {
		w, h = int(binary.BigEndian.Uint16(b[4:])), int(binary.BigEndian.Uint16(b[6:]))
	} else if len(b) >= 12 {
		w, h = int(binary.BigEndian.Uint32(b[4:])), int(binary.BigEndian.Uint32(b[8:]))
	} else {
		return fmt.Errorf("%w: short grid", ErrFormat)
	}
	if w != info.Width || h != info.Height {
		return fmt.Errorf("%w: the grid composes a %dx%d picture but its ispe says %dx%d", ErrFormat, w, h, info.Width, info.Height)
	}
	return nil
}

// locate finds an item's first extent in an iloc box: its construction method (0: file offset, 1: in
// idat), offset and length.
func locate(b []byte, id uint32) (method int, off, n int64, ok bool) {
	if len(b) < 6 {
		return 0, 0, 0, false
	}
	version := b[0]
	offSize, lenSize, baseSize := int(b[4]>>4), int(b[4]&15), int(b[5]>>4)
	idxSize := 0
	if version == 1 || version == 2 {
		idxSize = int(b[5] & 15)
	}
	p := b[6:]
	bad := false
	u := func(size int) uint64 {
		if size == 0 {
			return 0
		}
		if (size != 2 && size != 4 && size != 8) || len(p) < size {
			bad = true
			return 0
		}
		var v uint64
		for _, c := range p[:size] {
			v = v<<8 | uint64(c)
		}
		p = p[size:]
		return v
	}
	idSize := 2
	if version == 2 {
		idSize = 4
	}
	count := u(idSize)
	for i := uint64(0); i < count && !bad; i++ {
		item := uint32(u(idSize))
		m := 0
		if version == 1 || version == 2 {
			m = int(u(2) & 15)
		}
		u(2) // data_reference_index
		base := u(baseSize)
		extents := u(2)
		var first [2]uint64
		for e := uint64(0); e < extents && !bad; e++ {
			if idxSize > 0 {
				u(idxSize)
			}
			o, l := u(offSize), u(lenSize)
			if e == 0 {
				first = [2]uint64{o, l}
			}
		}
		if !bad && item == id && extents > 0 {
			o := base + first[0]
			if o < base || o > 1<<62 || first[1] > 1<<62 {
				return 0, 0, 0, false
			}
			return m, int64(o), int64(first[1]), true
		}
	}
	return 0, 0, 0, false
}
