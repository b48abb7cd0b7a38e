package testenv

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bomb is a media file made to exhaust or confuse: valid enough to pass the door, hostile inside.
type Bomb struct {
	Path string
	Why  string
}

// Bombs makes the hostile media set in dir: headers that claim 65535x65535, 1000 fps, hundreds of
// streams, ten hours, and a GIF of 100,000 frames. Each is checked to really claim what it claims.
func Bombs(t testing.TB, dir string) []Bomb {
	t.Helper()
	return []Bomb{
		{write(t, dir, "huge_header_65535.png", PNGHeader(65535, 65535)), "PNG whose header claims 65535x65535"},
		{HugeMJPEG(t, dir), "MOV of MJPEG frames claiming 65535x65535"},
		{FPS1000(t, dir), "H.264 at 1000 fps"},
		{ManyStreams(t, dir, 300), "MKV with one video and 300 audio streams"},
		{TenHourHeader(t, dir), "MP4 of one second whose header claims ten hours"},
		{write(t, dir, "frames_100k.gif", GIFFrames(t, 100_000)), "GIF of 100,000 frames"},
	}
}

func write(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	Must(t, os.WriteFile(p, b, 0o644))
	return p
}

// PNGHeader is a valid PNG whose header claims w x h grey pixels, with one row of data: decoders that
// trust the header allocate w*h bytes before finding out.
func PNGHeader(w, h uint32) []byte {
	chunk := func(kind string, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		b = append(b, kind...)
		b = append(b, data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit greyscale
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 1+int(w))) // filter byte and one row
	zw.Close()
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, chunk("IHDR", ihdr)...)
	b = append(b, chunk("IDAT", z.Bytes())...)
	return append(b, chunk("IEND", nil)...)
}

// GIFFrames is a 1x1 animated GIF of n frames.
func GIFFrames(t testing.TB, n int) []byte {
	t.Helper()
	pal := color.Palette{color.Black, color.White}
	g := &gif.GIF{}
	for i := range n {
		img := image.NewPaletted(image.Rect(0, 0, 1, 1), pal)
		img.SetColorIndex(0, 0, uint8(i%2))
		g.Image = append(g.Image, img)
		g.Delay = append(g.Delay, 1)
	}
	var buf bytes.Buffer
	Must(t, gif.EncodeAll(&buf, g))
	return buf.Bytes()
}

// HugeMJPEG makes a QuickTime file of MJPEG frames, then patches both the sample description and every
// frame's JPEG header to claim 65535x65535.
func HugeMJPEG(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "huge_mjpeg_65535.mov")
	FFmpeg(t, "-f", "lavfi", "-i", "testsrc=s=64x64:r=10:d=1", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", p)
	b, err := os.ReadFile(p)
	Must(t, err)
	patched := 0
	for i := 0; i+9 < len(b); i++ {
		// SOF0: FF C0, length, precision, height, width.
		if b[i] == 0xFF && b[i+1] == 0xC0 && b[i+4] == 8 && binary.BigEndian.Uint16(b[i+5:]) == 64 && binary.BigEndian.Uint16(b[i+7:]) == 64 {
			binary.BigEndian.PutUint16(b[i+5:], 65535)
			binary.BigEndian.PutUint16(b[i+7:], 65535)
			patched++
		}
	}
	// The sample entry: its fourcc, then 6 reserved, 2 index, 16 of versions and vendor and quality,
	// then width and height.
	if i := bytes.Index(b, []byte("jpeg\x00\x00\x00\x00\x00\x00")); i > 0 {
		binary.BigEndian.PutUint16(b[i+28:], 65535)
		binary.BigEndian.PutUint16(b[i+30:], 65535)
		patched++
	}
	if patched < 2 {
		t.Fatalf("HugeMJPEG: patched %d headers", patched)
	}
	Must(t, os.WriteFile(p, b, 0o644))
	return p
}

// FPS1000 is half a second of 64x64 H.264 at 1000 frames per second.
func FPS1000(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "fps1000.mp4")
	FFmpeg(t, "-f", "lavfi", "-i", "testsrc=s=64x64:r=1000:d=0.5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", p)
	return p
}

// ManyStreams is one second of 64x64 video with n audio streams.
func ManyStreams(t testing.TB, dir string, n int) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("streams_%d.mkv", n+1))
	args := []string{"-f", "lavfi", "-i", "testsrc=s=64x64:r=10:d=1", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono:d=1", "-map", "0:v"}
	for range n {
		args = append(args, "-map", "1:a")
	}
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le", p)
	FFmpeg(t, args...)
	return p
}

// TenHourHeader is a one-second MP4 whose movie, track and media headers claim ten hours.
func TenHourHeader(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "ten_hours_header.mp4")
	FFmpeg(t, "-f", "lavfi", "-i", "testsrc=s=64x64:r=10:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", p)
	b, err := os.ReadFile(p)
	Must(t, err)
	const hours10 = 36000
	patch := func(box string, timescaleAt, durationAt int, movieScale uint32) uint32 {
		i := bytes.Index(b, []byte(box))
		if i < 0 || b[i+4] != 0 {
			t.Fatalf("TenHourHeader: no version-0 %s box", box)
		}
		scale := movieScale
		if timescaleAt > 0 {
			scale = binary.BigEndian.Uint32(b[i+timescaleAt:])
		}
		binary.BigEndian.PutUint32(b[i+durationAt:], scale*hours10)
		return scale
	}
	// Offsets from the box type: version+flags 4, then the fields.
	movie := patch("mvhd", 4+4+4+4, 4+4+4+4+4, 0) // creation, modification, timescale, duration
	patch("tkhd", 0, 4+4+4+4+4+4, movie)          // creation, modification, track id, reserved, duration (movie timescale)
	patch("mdhd", 4+4+4+4, 4+4+4+4+4, 0)
	Must(t, os.WriteFile(p, b, 0o644))
	return p
}

// Claims says what ffprobe reads in a file's headers, for tests to check a bomb claims what it should.
func Claims(t testing.TB, path string) string {
	t.Helper()
	p := Probe(t, path)
	var s []string
	s = append(s, fmt.Sprintf("duration=%.0f streams=%d", p.Duration(), len(p.Streams)))
	if i := p.Stream("video"); i >= 0 {
		v := p.Streams[i]
		s = append(s, fmt.Sprintf("%dx%d fps=%s", v.Width, v.Height, v.AvgFrameRate))
	}
	return strings.Join(s, " ")
}
