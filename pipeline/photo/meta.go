package photo

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"io"
	"sort"
)

// Metadata larger than this is not held (a real ICC profile is under 1 MB; the SWOP one is 557 KB).
const maxProfile = 8 << 20

// jpegMeta reads the segments before the first scan: the EXIF orientation (APP1) and the ICC profile
// (APP2, possibly split over several segments).
func jpegMeta(r io.Reader) (orientation int, icc []byte, err error) {
	br := bufio.NewReader(r)
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil {
		return 0, nil, err
	}
	type part struct {
		seq  byte
		data []byte
	}
	var parts []part
	total := 0
	for {
		var m [4]byte
		if _, err := io.ReadFull(br, m[:2]); err != nil {
			return 0, nil, err
		}
		for m[1] == 0xFF { // fill bytes
			if m[1], err = br.ReadByte(); err != nil {
				return 0, nil, err
			}
		}
		if m[0] != 0xFF {
			return 0, nil, errors.New("jpeg: bad marker")
		}
		marker := m[1]
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image: no more metadata
			break
		}
		if marker >= 0xD0 && marker <= 0xD7 || marker == 0x01 {
			continue
		}
		if _, err := io.ReadFull(br, m[2:4]); err != nil {
			return 0, nil, err
		}
		n := int(binary.BigEndian.Uint16(m[2:])) - 2
		if n < 0 {
			return 0, nil, errors.New("jpeg: bad segment length")
		}
		if marker != 0xE1 && marker != 0xE2 {
			if _, err := br.Discard(n); err != nil {
				return 0, nil, err
			}
			continue
		}
		seg, err := readN(br, int64(n))
		if err != nil {
			return 0, nil, err
		}
		switch {
		case marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) && orientation == 0:
			orientation = exifOrientation(seg[6:])
		case marker == 0xE2 && bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00")) && len(seg) > 14:
			total += len(seg) - 14
			if total <= maxProfile {
				parts = append(parts, part{seq: seg[12], data: seg[14:]})
			}
		}
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].seq < parts[j].seq })
	for _, p := range parts {
		icc = append(icc, p.data...)
	}
	return orientation, icc, nil
}

// pngMeta reads the chunks before the image data: iCCP (zlib-compressed profile) and eXIf.
func pngMeta(r io.Reader) (orientation int, icc []byte, err error) {
	br := bufio.NewReader(r)
	if _, err := br.Discard(8); err != nil {
		return 0, nil, err
	}
	for {
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return 0, nil, err
		}
		n, typ := binary.BigEndian.Uint32(h[:]), string(h[4:])
		if typ == "IDAT" || typ == "IEND" {
			return orientation, icc, nil
		}
		if (typ != "iCCP" && typ != "eXIf") || n > maxProfile {
			if _, err := br.Discard(int(n) + 4); err != nil {
				return 0, nil, err
			}
			continue
		}
		data, err := readN(br, int64(n)+4) // with the CRC
		if err != nil {
			return 0, nil, err
		}
		data = data[:n]
		if typ == "eXIf" {
			orientation = exifOrientation(data)
			continue
		}
		// Profile name, NUL, compression method (0 = zlib), compressed profile.
		if i := bytes.IndexByte(data, 0); i >= 0 && i+2 <= len(data) {
			if zr, err := zlib.NewReader(bytes.NewReader(data[i+2:])); err == nil {
				icc, _ = io.ReadAll(io.LimitReader(zr, maxProfile))
			}
		}
	}
}

// readN reads n bytes, allocating as they arrive rather than what the length field claims: a chunk
// that says 8 MB in a file of 1 KB costs 1 KB.
func readN(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) < n {
		return nil, io.ErrUnexpectedEOF
	}
	return b, nil
}

// exifOrientation reads tag 0x0112 from the first IFD of a TIFF structure (EXIF), 0 when absent.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	for i := range n {
		e := off + 2 + 12*i
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
	}
	return 0
}
