// Package craft builds small hostile photo files byte by byte, for the tests and fuzz seeds of the
// parsers: WebP chunks, GIF blocks and HEIF boxes whose headers claim what an attacker wants them to.
// Each builder writes a structure a parser accepts up to the field that lies.
package craft

import (
	"bytes"
	"encoding/binary"
	"runtime"
)

// Allocated runs fn and returns the bytes it allocated (the heap's running total, so what fn freed
// again counts too): the fuzz targets hold each input's cost to a bound with it.
func Allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Chunk is a RIFF chunk: id, little-endian length, payload, padding to an even size.
func Chunk(id string, data []byte) []byte {
	return ChunkClaiming(id, uint32(len(data)), data)
}

// ChunkClaiming is a chunk whose length field says n whatever the payload holds.
func ChunkClaiming(id string, n uint32, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(id)
	_ = binary.Write(&b, binary.LittleEndian, n)
	b.Write(data)
	if len(data)&1 == 1 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

// WebP wraps chunks in a RIFF WEBP file with a correct RIFF size.
func WebP(chunks ...[]byte) []byte {
	body := bytes.Join(chunks, nil)
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(4+len(body)))
	b.WriteString("WEBP")
	b.Write(body)
	return b.Bytes()
}

func u24(b []byte, v int) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }

// VP8X is the extended header chunk of a w×h canvas (1 to 2^24 each side), animated or not.
func VP8X(w, h int, animated bool) []byte {
	x := make([]byte, 10)
	if animated {
		x[0] = 1 << 1
	}
	u24(x[4:], w-1)
	u24(x[7:], h-1)
	return Chunk("VP8X", x)
}

// ANIM is the animation parameters chunk: white background, endless loop.
func ANIM() []byte { return Chunk("ANIM", []byte{255, 255, 255, 255, 0, 0}) }

// VP8L is a lossless bitstream chunk whose header says w×h (1 to 16384 each side), followed by a few
// bytes of picture data that decode to nothing valid: enough for every header reader.
func VP8L(w, h int) []byte {
	v := uint32(w-1) | uint32(h-1)<<14
	b := []byte{0x2f, byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), 0, 0, 0, 0, 0, 0, 0}
	return Chunk("VP8L", b)
}

// ANMF is a frame of w×h at (x, y) (x and y even) holding the sub-chunks (ALPH, VP8 or VP8L).
func ANMF(x, y, w, h int, sub ...[]byte) []byte {
	hd := make([]byte, 16)
	u24(hd, x/2)
	u24(hd[3:], y/2)
	u24(hd[6:], w-1)
	u24(hd[9:], h-1)
	u24(hd[12:], 100) // 100 ms
	return Chunk("ANMF", append(hd, bytes.Join(sub, nil)...))
}

// GIFFrame is one image block: where it sits and how large its descriptor says it is.
type GIFFrame struct{ X, Y, W, H int }

// GIF is a GIF89a with a w×h logical screen (a two-colour global table) and the frames given, each
// with a graphic control extension (100 ms) and a minimal LZW stream (clear code, end code): the
// descriptors say the sizes, the data holds no pixels.
func GIF(w, h int, frames ...GIFFrame) []byte {
	var b bytes.Buffer
	b.WriteString("GIF89a")
	_ = binary.Write(&b, binary.LittleEndian, [2]uint16{uint16(w), uint16(h)})
	b.Write([]byte{0x80, 0, 0})         // global table of 2 colours
	b.Write([]byte{0, 0, 0, 255, 0, 0}) // black, red
	for _, f := range frames {
		b.Write([]byte{0x21, 0xF9, 4, 0, 10, 0, 0, 0})
		b.WriteByte(0x2C)
		_ = binary.Write(&b, binary.LittleEndian, [4]uint16{uint16(f.X), uint16(f.Y), uint16(f.W), uint16(f.H)})
		b.WriteByte(0)
		b.Write([]byte{2, 1, 0x2C, 0}) // LZW minimum code size 2; one sub-block: clear (4), end (5), 3 bits each
	}
	b.WriteByte(0x3B)
	return b.Bytes()
}

// Box is an ISO BMFF box.
func Box(typ string, body ...[]byte) []byte {
	p := bytes.Join(body, nil)
	b := make([]byte, 8, 8+len(p))
	binary.BigEndian.PutUint32(b, uint32(8+len(p)))
	copy(b[4:], typ)
	return append(b, p...)
}

// FullBox is a box with a version and flags.
func FullBox(typ string, version byte, flags uint32, body ...[]byte) []byte {
	vf := []byte{version, byte(flags >> 16), byte(flags >> 8), byte(flags)}
	return Box(typ, append([][]byte{vf}, body...)...)
}

func be16(v int) []byte    { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// HEIF is a HEIC whose primary image (item 1, hvc1) has an ispe of w×h: the boxes a guard reads, no
// coded picture.
func HEIF(w, h uint32) []byte { return HEIFItems([2]uint32{w, h}) }

// HEIFItems is a HEIC of hvc1 items 1, 2… with these ispe sizes, item 1 primary, the others hidden
// (as the tiles of a grid are).
func HEIFItems(sizes ...[2]uint32) []byte {
	ftyp := Box("ftyp", []byte("heic"), be32(0), []byte("mif1heic"))
	hdlr := FullBox("hdlr", 0, 0, be32(0), []byte("pict"), make([]byte, 13))
	pitm := FullBox("pitm", 0, 0, be16(1))
	var infes, ispes [][]byte
	ipma := [][]byte{be32(uint32(len(sizes)))}
	for i, s := range sizes {
		flags := uint32(0)
		if i > 0 {
			flags = 1
		}
		infes = append(infes, FullBox("infe", 2, flags, be16(i+1), be16(0), []byte("hvc1"), []byte{0}))
		ispes = append(ispes, FullBox("ispe", 0, 0, be32(s[0]), be32(s[1])))
		ipma = append(ipma, be16(i+1), []byte{1, 0x80 | byte(i+1)})
	}
	iinf := FullBox("iinf", 0, 0, append([][]byte{be16(len(sizes))}, infes...)...)
	iprp := Box("iprp", Box("ipco", ispes...), FullBox("ipma", 0, 0, ipma...))
	return heic(ftyp, FullBox("meta", 0, 0, hdlr, pitm, iinf, iprp))
}

func heic(ftyp, meta []byte) []byte {
	return append(append(ftyp, meta...), Box("mdat", make([]byte, 16))...)
}

// HEIFTwoIspe is a HEIC whose primary image has two ispe properties: w1×h1, then w2×h2.
func HEIFTwoIspe(w1, h1, w2, h2 uint32) []byte {
	ftyp := Box("ftyp", []byte("heic"), be32(0), []byte("mif1heic"))
	hdlr := FullBox("hdlr", 0, 0, be32(0), []byte("pict"), make([]byte, 13))
	pitm := FullBox("pitm", 0, 0, be16(1))
	iinf := FullBox("iinf", 0, 0, be16(1), FullBox("infe", 2, 0, be16(1), be16(0), []byte("hvc1"), []byte{0}))
	ipco := Box("ipco", FullBox("ispe", 0, 0, be32(w1), be32(h1)), FullBox("ispe", 0, 0, be32(w2), be32(h2)))
	ipma := FullBox("ipma", 0, 0, be32(1), be16(1), []byte{2, 0x81, 0x82})
	return heic(ftyp, FullBox("meta", 0, 0, hdlr, pitm, iinf, Box("iprp", ipco, ipma)))
}

// HEIFTwoPitm is a HEIC of two images whose meta holds two pitm boxes, naming item 1 then item 2.
func HEIFTwoPitm() []byte {
	b := HEIFItems([2]uint32{64, 64}, [2]uint32{1 << 20, 1 << 20})
	i := bytes.Index(b, []byte("pitm")) - 4
	second := FullBox("pitm", 0, 0, be16(2))
	out := append(append(append([]byte{}, b[:i]...), second...), b[i:]...)
	// The meta box grew by the second pitm.
	m := bytes.Index(out, []byte("meta")) - 4
	binary.BigEndian.PutUint32(out[m:], binary.BigEndian.Uint32(out[m:])+uint32(len(second)))
	return out
}
