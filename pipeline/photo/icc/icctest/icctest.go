// Package icctest crafts ICC profiles for tests: a well-formed one to start from, and one of each
// class of malformed profile that panicked the hand-written colour code lcms2 replaced (issue 9). It
// is imported by tests only.
package icctest

import (
	"bytes"
	"encoding/binary"
	"math"
)

// Tag is one tag of a crafted profile: its signature and its bytes (type signature first).
type Tag struct {
	Sig  string
	Data []byte
}

// Profile lays out a profile: a 128-byte header of the given class and colour space, the tag table,
// then the tags, each 4-byte aligned.
func Profile(class, space string, tags ...Tag) []byte {
	head := make([]byte, 128)
	copy(head[4:], "lcms")
	head[8], head[9] = 4, 0x30 // version 4.3
	copy(head[12:], class)
	copy(head[16:], pad4(space))
	copy(head[20:], "XYZ ")
	copy(head[36:], "acsp")
	// The PCS illuminant, D50.
	putS15(head[68:], 0.9642)
	putS15(head[72:], 1)
	putS15(head[76:], 0.8249)
	table := make([]byte, 4+12*len(tags))
	binary.BigEndian.PutUint32(table, uint32(len(tags)))
	off := 128 + len(table)
	var data []byte
	for i, t := range tags {
		for (off+len(data))%4 != 0 {
			data = append(data, 0)
		}
		e := table[4+12*i:]
		copy(e, t.Sig)
		binary.BigEndian.PutUint32(e[4:], uint32(off+len(data)))
		binary.BigEndian.PutUint32(e[8:], uint32(len(t.Data)))
		data = append(data, t.Data...)
	}
	b := append(append(head, table...), data...)
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

func pad4(s string) string {
	for len(s) < 4 {
		s += " "
	}
	return s
}

func putS15(b []byte, v float64) { binary.BigEndian.PutUint32(b, uint32(int32(math.Round(v*65536)))) }

// XYZ is an XYZType tag.
func XYZ(x, y, z float64) []byte {
	b := make([]byte, 20)
	copy(b, "XYZ ")
	putS15(b[8:], x)
	putS15(b[12:], y)
	putS15(b[16:], z)
	return b
}

// Curv is a curveType tag with the given 16-bit entries (one entry: a gamma in u8Fixed8).
func Curv(entries ...uint16) []byte {
	b := make([]byte, 12+2*len(entries))
	copy(b, "curv")
	binary.BigEndian.PutUint32(b[8:], uint32(len(entries)))
	for i, e := range entries {
		binary.BigEndian.PutUint16(b[12+2*i:], e)
	}
	return b
}

// Para is a parametricCurveType tag of the given function type and parameters.
func Para(kind int, params ...float64) []byte {
	b := make([]byte, 12+4*len(params))
	copy(b, "para")
	binary.BigEndian.PutUint16(b[8:], uint16(kind))
	for i, p := range params {
		putS15(b[12+4*i:], p)
	}
	return b
}

// Desc is a multiLocalizedUnicodeType description.
func Desc(s string) []byte {
	b := make([]byte, 28+2*len(s))
	copy(b, "mluc")
	binary.BigEndian.PutUint32(b[8:], 1)
	binary.BigEndian.PutUint32(b[12:], 12)
	copy(b[16:], "enUS")
	binary.BigEndian.PutUint32(b[20:], uint32(2*len(s)))
	binary.BigEndian.PutUint32(b[24:], 28)
	for i, r := range s {
		binary.BigEndian.PutUint16(b[28+2*i:], uint16(r))
	}
	return b
}

// matrixTRC are the tags of an sRGB-like display profile, with the given TRC for all three channels.
func matrixTRC(trc []byte) []Tag {
	return []Tag{
		{"desc", Desc("crafted")},
		{"wtpt", XYZ(0.9642, 1, 0.8249)},
		{"rXYZ", XYZ(0.4361, 0.2225, 0.0139)},
		{"gXYZ", XYZ(0.3851, 0.7169, 0.0971)},
		{"bXYZ", XYZ(0.1431, 0.0606, 0.7141)},
		{"rTRC", trc}, {"gTRC", trc}, {"bTRC", trc},
	}
}

// Good is a well-formed RGB display profile (sRGB primaries, gamma 2.2).
func Good() []byte { return Profile("mntr", "RGB", matrixTRC(Curv(0x0233))...) }

// Mft2 is a lut16Type with in inputs, out outputs and grid points per input, its tables filled with
// a ramp; entries sets how many entries the input and output tables have. cut drops that many
// bytes from the end.
func Mft2(in, out, grid, entries, cut int) []byte {
	b := make([]byte, 52)
	copy(b, "mft2")
	b[8], b[9], b[10] = byte(in), byte(out), byte(grid)
	for i := range 3 { // identity matrix
		putS15(b[12+16*i:], 1)
	}
	binary.BigEndian.PutUint16(b[48:], uint16(entries))
	binary.BigEndian.PutUint16(b[50:], uint16(entries))
	cells := int(math.Min(math.Pow(float64(grid), float64(in))*float64(out), 1<<15)) // a claimed grid larger than this gets no more data: that is the point
	n := in*entries + cells + out*entries
	for i := range n {
		b = binary.BigEndian.AppendUint16(b, uint16(i*7919))
	}
	return b[:max(0, len(b)-cut)]
}

// MAB is a lutAToBType with in inputs and out outputs: B curves (identity para), a CLUT of the given
// grid points per input (8-bit), and A curves of the given tag (one per input).
func MAB(in, out int, grid []byte, aCurve []byte, cut int) []byte {
	b := make([]byte, 32)
	copy(b, "mAB ")
	b[8], b[9] = byte(in), byte(out)
	align := func() {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	binary.BigEndian.PutUint32(b[12:], uint32(len(b))) // B curves
	for range out {
		b = append(b, Para(0, 1)...)
		align()
	}
	binary.BigEndian.PutUint32(b[24:], uint32(len(b))) // CLUT
	g := make([]byte, 20)
	copy(g, grid)
	g[16] = 1
	b = append(b, g...)
	cells := out
	for _, p := range grid[:min(len(grid), in)] {
		cells *= int(p)
		if cells > 1<<12 {
			break
		}
	}
	for i := range min(cells, 1<<12) {
		b = append(b, byte(i*31))
	}
	align()
	binary.BigEndian.PutUint32(b[28:], uint32(len(b))) // A curves
	for range in {
		b = append(b, aCurve...)
		align()
	}
	return b[:max(0, len(b)-cut)]
}

// Case is one crafted malformed profile and the crash class it stands for.
type Case struct {
	Name    string
	Profile []byte
}

// Malformed are the crafted profiles, one or more per class of crash in issue 9: short tags, tables
// whose input count disagrees with the colour space, grids whose cell count overflows, parametric
// curves that yield NaN, and tag tables that point past the profile.
func Malformed() []Case {
	trcs := func(trc []byte) []Tag { return matrixTRC(trc) }
	lutProfile := func(space string, a2b []byte) []byte {
		return Profile("prtr", space, Tag{"desc", Desc("crafted lut")}, Tag{"wtpt", XYZ(0.9642, 1, 0.8249)}, Tag{"A2B0", a2b})
	}
	nan := Para(1, 2.2, 0, 0) // a = 0, b = 0: -b/a is NaN
	good := Good()
	lying := Curv(0, 0x8000, 0xffff)
	binary.BigEndian.PutUint32(lying[8:], 40000)
	shortXYZ := trcs(Curv(0x0233))
	shortXYZ[2].Data = shortXYZ[2].Data[:12]
	tableCount := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(tableCount[128:], 0x7fffffff)
	pastEnd := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(pastEnd[132+4:], 0xfffffff0) // first tag's offset
	return []Case{
		{"short curv tag", Profile("mntr", "RGB", trcs(Curv(1, 2, 3)[:13])...)},
		{"curv claiming more entries than it has", Profile("mntr", "RGB", trcs(lying)...)},
		{"short XYZ tag", Profile("mntr", "RGB", shortXYZ...)},
		{"mft2 with four inputs in an RGB profile", lutProfile("RGB", Mft2(4, 3, 2, 2, 0))},
		{"mft2 with three inputs in a CMYK profile", lutProfile("CMYK", Mft2(3, 3, 2, 2, 0))},
		{"mAB with four inputs in an RGB profile", lutProfile("RGB", MAB(4, 3, []byte{2, 2, 2, 2}, Para(0, 1), 0))},
		{"mft2 grid of 255 points on 8 inputs", lutProfile("CMYK", Mft2(8, 3, 255, 2, 0))},
		{"mAB grid whose cell count overflows", lutProfile("CMYK", MAB(4, 3, []byte{255, 255, 255, 255}, Para(0, 1), 0))},
		{"mAB grid of one point", lutProfile("RGB", MAB(3, 3, []byte{1, 1, 1}, Para(0, 1), 0))},
		{"mft2 cut short", lutProfile("CMYK", Mft2(4, 3, 9, 256, 1000))},
		{"parametric TRC yielding NaN", Profile("mntr", "RGB", trcs(nan)...)},
		{"mAB A curves yielding NaN", lutProfile("RGB", MAB(3, 3, []byte{2, 2, 2}, nan, 0))},
		{"para of unknown type", Profile("mntr", "RGB", trcs(Para(9, 1, 2, 3))...)},
		{"tag table count past the profile", tableCount},
		{"tag offset past the profile", pastEnd},
		{"header only", good[:132]},
	}
}

// JPEGProfile joins the APP2 ICC_PROFILE segments of a JPEG, in file order (nil without any).
func JPEGProfile(b []byte) []byte {
	var prof []byte
	for rest := b; ; {
		i := bytes.Index(rest, []byte("ICC_PROFILE\x00"))
		if i < 4 {
			return prof
		}
		n := int(rest[i-2])<<8 | int(rest[i-1])
		if n < 16 || i-2+n > len(rest) {
			return prof
		}
		prof = append(prof, rest[i+14:i-2+n]...)
		rest = rest[i-2+n:]
	}
}

// HEICProfile is the profile of the corpus iPhone HEIC (its colr box of type prof: Display P3, 548
// bytes), nil when not found.
func HEICProfile(b []byte) []byte {
	i := bytes.Index(b, []byte("prof"))
	if i < 0 || i+4+548 > len(b) {
		return nil
	}
	return b[i+4 : i+4+548]
}
