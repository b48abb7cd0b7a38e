package uploader

import (
	"bytes"

	"github.com/quinte-media/quinte/message"
)

// sniffLen is how many leading bytes Sniff needs.
const sniffLen = 512

// Sniff names what the first bytes of a file are, by their magic numbers alone: never by the file's name
// or the Content-Type the client sent. Anything not on the list (HTML, SVG, scripts, executables,
// archives, playlists) is refused. ffprobe and the image decoder confirm later; this only keeps what is
// plainly not media away from them.
func Sniff(head []byte) (kind message.Kind, contentType string, ok bool) {
	h := head
	switch {
	case bytes.HasPrefix(h, []byte{0xFF, 0xD8, 0xFF}):
		return message.KindImage, "image/jpeg", true
	case bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n")):
		return message.KindImage, "image/png", true
	case bytes.HasPrefix(h, []byte("GIF87a")), bytes.HasPrefix(h, []byte("GIF89a")):
		return message.KindImage, "image/gif", true
	case len(h) >= 12 && bytes.Equal(h[:4], []byte("RIFF")) && bytes.Equal(h[8:12], []byte("WEBP")):
		return message.KindImage, "image/webp", true
	case len(h) >= 12 && bytes.Equal(h[:4], []byte("RIFF")) && bytes.Equal(h[8:12], []byte("WAVE")):
		return message.KindAudio, "audio/wav", true
	case len(h) >= 12 && bytes.Equal(h[:4], []byte("RIFF")) && bytes.Equal(h[8:12], []byte("AVI ")):
		return message.KindVideo, "video/x-msvideo", true
	case len(h) >= 12 && bytes.Equal(h[4:8], []byte("ftyp")):
		return sniffISO(h)
	case bytes.HasPrefix(h, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return message.KindVideo, "video/x-matroska", true
	case bytes.HasPrefix(h, []byte("OggS")):
		return message.KindAudio, "audio/ogg", true
	case bytes.HasPrefix(h, []byte("fLaC")):
		return message.KindAudio, "audio/flac", true
	case bytes.HasPrefix(h, []byte("ID3")):
		return message.KindAudio, "audio/mpeg", true
	case len(h) >= 2 && h[0] == 0xFF && h[1]&0xE0 == 0xE0 && h[1]&0x06 != 0:
		// An MPEG audio frame header (MP3) or ADTS (AAC).
		return message.KindAudio, "audio/mpeg", true
	case isMPEGTS(h):
		return message.KindVideo, "video/mp2t", true
	case bytes.HasPrefix(h, []byte{0x00, 0x00, 0x01, 0xBA}):
		return message.KindVideo, "video/mpeg", true
	}
	return "", "", false
}

// sniffISO tells the ISO base media family apart by its major and compatible brands: HEIF/AVIF stills
// are photos, M4A is audio, the rest (mp4, mov, 3gp) is video.
func sniffISO(h []byte) (message.Kind, string, bool) {
	size := int(h[0])<<24 | int(h[1])<<16 | int(h[2])<<8 | int(h[3])
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
		return message.KindImage, "image/avif", true
	case major == "heic" || major == "heix" || major == "mif1" || major == "heim" || major == "heis" || major == "msf1":
		return message.KindImage, "image/heic", true
	case major == "M4A " || major == "M4B ":
		return message.KindAudio, "audio/mp4", true
	case major == "qt  ":
		return message.KindVideo, "video/quicktime", true
	case has("isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "3gp4", "3gp5", "3gp6", "3g2a", "dash", "MSNV", "M4V ", "mmp4", "qt  ", "XAVC", "hvc1", "iso8", "iso9"):
		return message.KindVideo, "video/mp4", true
	}
	return "", "", false
}

// isMPEGTS looks for the 0x47 sync byte at the start of three consecutive 188-byte (or 192-byte M2TS)
// packets.
func isMPEGTS(h []byte) bool {
	for _, n := range []int{188, 192} {
		off := 0
		if n == 192 {
			off = 4
		}
		if len(h) > off+2*n && h[off] == 0x47 && h[off+n] == 0x47 && h[off+2*n] == 0x47 {
			return true
		}
	}
	return false
}
