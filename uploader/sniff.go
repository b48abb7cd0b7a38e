package uploader

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/quinte-media/quinte/message"
)

// sniffLen is how many leading bytes Sniff reads; markerWindow is the part of them searched for signs of
// another format (PDF readers look for %PDF in the first 1024 bytes, browsers for HTML in fewer).
const (
	sniffLen     = 4096
	markerWindow = 1024
)

// zipTailLen is the most a ZIP end-of-central-directory record can sit from the end of a file (22 bytes
// plus a comment of up to 65535): readers of ZIP, JAR, APK and DOCX look for it there.
const zipTailLen = 22 + 65535

// Sniff names what the first bytes of a file are, by their magic numbers alone: never by the file's name
// or the Content-Type the client sent. Anything not on the list (HTML, SVG, scripts, executables,
// archives, playlists) is refused, and so is media whose first bytes also hold a web page, a PDF or a
// playlist (a polyglot). ffprobe and the image decoder confirm later; this only keeps what is plainly
// not media away from them.
//
// AVI and MPEG program streams (old camcorders and cameras write them) are let in: what made AVI
// dangerous, a GAB2 subtitle chunk carrying a playlist that ffmpeg would follow (Neex, 2017), is closed
// where it happens, in the worker: ffmpeg 5.1 only hands GAB2 payloads to the SRT and ASS demuxers,
// and the worker's ffmpeg runs with -protocol_whitelist file and a demuxer allowlist without hls or
// concat (pipeline/gate.go). A playlist in the first kilobyte is still refused here as a polyglot.
func Sniff(head []byte) (kind message.Kind, contentType string, ok bool) {
	kind, contentType = sniffMagic(head)
	if kind == "" || hiddenFormat(head) != "" {
		return "", "", false
	}
	return kind, contentType, true
}

// Refusal says, in words for the person who sent it, what a file Sniff refused looks like.
func Refusal(head []byte) string {
	if k, _ := sniffMagic(head); k != "" {
		if what := hiddenFormat(head); what != "" {
			return "a media file that also carries " + what + " (a polyglot)"
		}
	}
	return describe(head)
}

// PolyglotTail reports what a file's last bytes show besides media (a ZIP archive appended to a photo
// is still a valid ZIP), or "".
func PolyglotTail(tail []byte) string {
	// The end-of-central-directory record: its comment length must reach exactly the end of the file.
	for i := len(tail) - 22; i >= 0; i-- {
		if tail[i] == 'P' && bytes.HasPrefix(tail[i:], []byte("PK\x05\x06")) &&
			i+22+int(binary.LittleEndian.Uint16(tail[i+20:])) == len(tail) {
			return "a ZIP archive"
		}
	}
	return ""
}

func sniffMagic(h []byte) (message.Kind, string) {
	switch {
	case len(h) >= 4 && bytes.HasPrefix(h, []byte{0xFF, 0xD8, 0xFF}) && h[3] >= 0xC0: // SOI, then a marker (or fill bytes)
		return message.KindImage, "image/jpeg"
	case bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")):
		return message.KindImage, "image/png"
	case bytes.HasPrefix(h, []byte("GIF87a")), bytes.HasPrefix(h, []byte("GIF89a")):
		return message.KindImage, "image/gif"
	case riff(h, "WEBP") && len(h) >= 16 && (string(h[12:16]) == "VP8 " || string(h[12:16]) == "VP8L" || string(h[12:16]) == "VP8X"):
		return message.KindImage, "image/webp"
	case riff(h, "WAVE"):
		return message.KindAudio, "audio/wav"
	case len(h) >= 12 && bytes.Equal(h[4:8], []byte("ftyp")):
		return sniffISO(h)
	case bytes.HasPrefix(h, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return sniffEBML(h)
	case bytes.HasPrefix(h, []byte("OggS\x00")):
		return message.KindAudio, "audio/ogg"
	case bytes.HasPrefix(h, []byte("fLaC")) && len(h) > 4 && h[4]&0x7F == 0:
		return message.KindAudio, "audio/flac"
	case isID3(h):
		return message.KindAudio, "audio/mpeg"
	case isMPEGAudio(h):
		return message.KindAudio, "audio/mpeg"
	case isADTS(h):
		return message.KindAudio, "audio/aac"
	case isMPEGTS(h):
		return message.KindVideo, "video/mp2t"
	case riff(h, "AVI "):
		return message.KindVideo, "video/x-msvideo"
	case isMPEGPS(h):
		return message.KindVideo, "video/mpeg"
	}
	return "", ""
}

func riff(h []byte, form string) bool {
	return len(h) >= 12 && bytes.Equal(h[:4], []byte("RIFF")) && string(h[8:12]) == form
}

// sniffISO tells the ISO base media family apart by its major and compatible brands: HEIF/AVIF stills
// are photos, M4A is audio, the rest (mp4, mov, 3gp) is video.
func sniffISO(h []byte) (message.Kind, string) {
	size := int(binary.BigEndian.Uint32(h))
	if size < 16 || size > len(h) {
		size = min(len(h), 64)
	}
	brands := [][]byte{h[8:12]}
	for i := 16; i+4 <= size; i += 4 {
		brands = append(brands, h[i:i+4])
	}
	has := func(names ...string) bool {
		for _, b := range brands {
			for _, n := range names {
				if string(b) == n {
					return true
				}
			}
		}
		return false
	}
	major := string(h[8:12])
	switch {
	case major == "avif" || major == "avis":
		return message.KindImage, "image/avif"
	case major == "heic" || major == "heix" || major == "mif1" || major == "heim" || major == "heis" || major == "msf1":
		return message.KindImage, "image/heic"
	case major == "M4A " || major == "M4B ":
		return message.KindAudio, "audio/mp4"
	case major == "qt  ":
		return message.KindVideo, "video/quicktime"
	case has("isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "3gp4", "3gp5", "3gp6", "3g2a", "dash", "MSNV", "M4V ", "mmp4", "qt  ", "XAVC", "hvc1", "iso8", "iso9"):
		return message.KindVideo, "video/mp4"
	}
	return "", ""
}

// sniffEBML accepts Matroska and WebM, whose EBML header names its DocType near the start.
func sniffEBML(h []byte) (message.Kind, string) {
	first := h[:min(len(h), 64)]
	switch {
	case bytes.Contains(first, []byte("webm")):
		return message.KindVideo, "video/webm"
	case bytes.Contains(first, []byte("matroska")):
		return message.KindVideo, "video/x-matroska"
	}
	return "", ""
}

func isID3(h []byte) bool {
	// "ID3", major version 2..4, a revision, flags, and a 28-bit "syncsafe" size (top bits clear).
	return len(h) >= 10 && bytes.HasPrefix(h, []byte("ID3")) && h[3] >= 2 && h[3] <= 4 && h[4] != 0xFF &&
		h[6]&0x80 == 0 && h[7]&0x80 == 0 && h[8]&0x80 == 0 && h[9]&0x80 == 0
}

// MPEG audio frame headers (MP1/2/3): two bytes of sync are too weak a magic (a UTF-16 text's byte
// order mark passes), so the header must be valid and, when the head is long enough, be followed by a
// second one exactly one frame later.
var (
	mpegBitrates = [2][3][16]int{ // [MPEG-1, MPEG-2/2.5][layer I, II, III][index] kbit/s
		{
			{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, -1},
			{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, -1},
			{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, -1},
		},
		{
			{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, -1},
			{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1},
			{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, -1},
		},
	}
	mpegRates = [4][3]int{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}} // by version bits
)

// mpegFrameLen returns the length of the MPEG audio frame whose header starts h, or 0.
func mpegFrameLen(h []byte) int {
	if len(h) < 4 || h[0] != 0xFF || h[1]&0xE0 != 0xE0 {
		return 0
	}
	version, layer := int(h[1]>>3&3), int(h[1]>>1&3)
	bri, sri, pad := int(h[2]>>4), int(h[2]>>2&3), int(h[2]>>1&1)
	if version == 1 || layer == 0 || bri == 0 || bri == 15 || sri == 3 {
		return 0
	}
	v := 1
	if version == 3 {
		v = 0
	}
	l := 3 - layer // layer bits 3,2,1 = layer I, II, III
	br, sr := mpegBitrates[v][l][bri]*1000, mpegRates[version][sri]
	switch {
	case l == 0:
		return (12*br/sr + pad) * 4
	case l == 2 && v == 1:
		return 72*br/sr + pad
	}
	return 144*br/sr + pad
}

func isMPEGAudio(h []byte) bool {
	n := mpegFrameLen(h)
	if n < 4 {
		return false
	}
	return n+4 > len(h) || mpegFrameLen(h[n:]) > 0
}

// isADTS checks an AAC ADTS header and, when it fits, the next one.
func isADTS(h []byte) bool {
	frame := func(h []byte) int {
		if len(h) < 7 || h[0] != 0xFF || h[1]&0xF6 != 0xF0 || h[2]>>2&0xF > 12 {
			return 0
		}
		return int(h[3]&3)<<11 | int(h[4])<<3 | int(h[5]>>5)
	}
	n := frame(h)
	if n < 7 {
		return false
	}
	return n+7 > len(h) || frame(h[n:]) > 0
}

// isMPEGTS requires the 0x47 sync byte at the start of every 188-byte (or 192-byte M2TS) packet in the
// head, and at least three of them.
func isMPEGTS(h []byte) bool {
	for _, c := range []struct{ size, off int }{{188, 0}, {192, 4}} {
		n := 0
		for i := c.off; i < len(h); i += c.size {
			if h[i] != 0x47 {
				n = -1
				break
			}
			n++
		}
		if n >= 3 {
			return true
		}
	}
	return false
}

// isMPEGPS checks an MPEG program stream's pack header (DVD and tape camcorders, .mpg, .vob): the start
// code 00 00 01 BA, then the marker bits of MPEG-2 ('01' … 1) or MPEG-1 ('0010' … 1).
func isMPEGPS(h []byte) bool {
	return len(h) >= 12 && bytes.HasPrefix(h, []byte{0, 0, 1, 0xBA}) && (h[4]&0xC4 == 0x44 || h[4]&0xF1 == 0x21)
}

// hiddenFormat looks in the first bytes of media for another format's markers: the pieces that let a
// browser render a page, a PDF reader open a document or ffmpeg follow a playlist.
func hiddenFormat(h []byte) string {
	w := bytes.ToLower(h[:min(len(h), markerWindow)])
	for _, m := range []struct{ marker, what string }{
		{"<script", "a script"}, {"<html", "a web page"}, {"<!doctype", "a web page"}, {"<body", "a web page"},
		{"<iframe", "a web page"}, {"<svg", "an SVG drawing"}, {"<?php", "a PHP script"}, {"%pdf-", "a PDF document"},
		{"#extm3u", "a playlist"}, {"ffconcat", "a playlist"},
	} {
		if bytes.Contains(w, []byte(m.marker)) {
			return m.what
		}
	}
	return ""
}

// describe names common non-media files, so a refusal can say what was sent.
func describe(h []byte) string {
	lower := bytes.ToLower(h[:min(len(h), markerWindow)])
	trimmed := bytes.TrimLeft(lower, "\xef\xbb\xbf \t\r\n")
	switch {
	case len(h) == 0:
		return "an empty file"
	case bytes.HasPrefix(h, []byte("\x7fELF")):
		return "a program (ELF executable)"
	case bytes.HasPrefix(h, []byte("MZ")):
		return "a Windows program"
	case bytes.HasPrefix(h, []byte("#!")):
		return "a script"
	case bytes.HasPrefix(h, []byte("PK\x03\x04")), bytes.HasPrefix(h, []byte("PK\x05\x06")):
		return "a ZIP archive"
	case bytes.HasPrefix(h, []byte("%PDF")):
		return "a PDF document"
	case bytes.HasPrefix(h, []byte{0, 0, 1, 0xBA}):
		return "an MPEG program stream whose header is damaged"
	case bytes.Contains(lower, []byte("<svg")):
		return "an SVG drawing"
	case bytes.HasPrefix(trimmed, []byte("<")) && (bytes.Contains(lower, []byte("<html")) || bytes.Contains(lower, []byte("<!doctype"))):
		return "a web page"
	case bytes.HasPrefix(trimmed, []byte("#extm3u")), bytes.HasPrefix(trimmed, []byte("ffconcat")):
		return "a playlist"
	case utf8.Valid(h[:min(len(h), 512)]) && !bytes.ContainsAny(h[:min(len(h), 512)], "\x00"):
		return "text"
	}
	return "a file of an unknown kind"
}
