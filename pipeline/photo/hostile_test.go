package photo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/craft"
	"github.com/quinte-media/quinte/internal/testenv"
)

// Files whose headers lie about what decoding them will allocate, built byte by byte: each is
// refused with its code and a reason naming the lie, having allocated next to nothing.
func TestCraftedHeadersRefused(t *testing.T) {
	frames := func(n int, f craft.GIFFrame) []craft.GIFFrame {
		out := make([]craft.GIFFrame, n)
		for i := range out {
			out[i] = f
		}
		return out
	}
	tiles := func(n int, s [2]uint32) [][2]uint32 {
		out := make([][2]uint32, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	small := craft.ANMF(0, 0, 16, 16, craft.VP8L(16, 16))
	for _, c := range []struct {
		name, ext  string
		file       []byte
		code, says string
	}{
		// The guard read the last VP8X, the decoder sized its canvas from the first (64 TB).
		{"two VP8X, the first huge", ".webp", craft.WebP(craft.VP8X(1<<24, 1<<24, true), craft.ANIM(), small, craft.VP8X(16, 16, true)),
			CodeUnreadable, "two VP8X chunks that disagree"},
		{"two VP8X, the last huge", ".webp", craft.WebP(craft.VP8X(16, 16, true), craft.ANIM(), small, craft.VP8X(1<<24, 1<<24, true)),
			CodeUnreadable, "two VP8X chunks that disagree"},
		// Frames larger than the canvas the guard counted.
		{"WebP frame outside its canvas", ".webp", craft.WebP(craft.VP8X(16, 16, true), craft.ANIM(), craft.ANMF(0, 0, 16384, 16384, craft.VP8L(16384, 16384))),
			CodeUnreadable, "frame 1 (16384x16384 at 0,0) lies outside the 16x16 canvas"},
		{"WebP frame at an offset outside its canvas", ".webp", craft.WebP(craft.VP8X(16, 16, true), craft.ANIM(), small, craft.ANMF(1<<20, 1<<20, 16, 16, craft.VP8L(16, 16))),
			CodeUnreadable, "frame 2 (16x16 at 1048576,1048576) lies outside the 16x16 canvas"},
		{"WebP frame whose bitstream is larger than the frame", ".webp", craft.WebP(craft.VP8X(16, 16, true), craft.ANIM(), craft.ANMF(0, 0, 16, 16, craft.VP8L(16384, 16384))),
			CodeUnreadable, "frame 1 says 16x16 but its bitstream is 16384x16384"},
		{"WebP still larger than its canvas", ".webp", craft.WebP(craft.VP8X(16, 16, false), craft.VP8L(16384, 16384)),
			CodeUnreadable, "the 16x16 canvas holds a 16384x16384 picture"},
		{"GIF frames of 65535x65535 on a 16x16 screen", ".gif", craft.GIF(16, 16, frames(3, craft.GIFFrame{W: 65535, H: 65535})...),
			CodeTooLarge, "a frame of the animation is 65535x65535 pixels (4295 MP), larger than its 16x16 screen; the limit is 50 MP"},
		{"GIF of many large frames on a 16x16 screen", ".gif", craft.GIF(16, 16, frames(30, craft.GIFFrame{W: 7000, H: 7000})...),
			CodeAnimationLarge, "the frames of the animation hold 1470 MP in all; the limit is 1000 MP"},
		// Length fields that claim more than the file holds.
		{"WebP chunk claiming 4 GiB", ".webp", craft.WebP(craft.VP8X(16, 16, false), craft.ChunkClaiming("ICCP", 0xFFFFFFF0, []byte("short")), craft.VP8L(16, 16)),
			CodeTruncated, `chunk "ICCP" claims 4294967280 bytes where`},
		{"WebP bitstream claiming 4 GiB", ".webp", craft.WebP(craft.ChunkClaiming("VP8L", 0xFFFFFFF0, []byte{0x2f, 15, 192, 3, 0})),
			CodeTruncated, `chunk "VP8L" claims 4294967280 bytes where`},
		{"PNG iCCP claiming 8 MB", ".png", pngClaiming("iCCP", 8<<20), CodeTruncated, "cut short"},
		{"HEIF meta box claiming 2 GB", ".heic", heifMetaClaiming(1 << 31), CodeUnreadable, `box "meta" runs past the end of the file`},
		// width × height of two 32-bit fields overflows an int64 (and passed the pixel guard).
		{"HEIF ispe whose product overflows", ".heic", craft.HEIF(0xFFFFFFFF, 0xFFFFFFFF), CodeTooLarge, "claims 4294967295x4294967295 pixels"},
		{"HEIF ispe of 2^31 x 2^31", ".heic", craft.HEIF(1<<31, 1<<31), CodeTooLarge, "claims 2147483648x2147483648 pixels"},
		// Repeated header boxes: the guard and the decoder could each believe another.
		{"HEIF with two ispe for its primary", ".heic", craft.HEIFTwoIspe(64, 64, 1<<20, 1<<20), CodeUnreadable, "two ispe sizes for the primary image, 64x64 and 1048576x1048576"},
		{"HEIF with two pitm", ".heic", craft.HEIFTwoPitm(), CodeUnreadable, "two pitm boxes that disagree"},
		// libheif decodes a grid's tiles (and thumbnails, alpha and depth planes) at their own sizes.
		{"HEIF tile larger than the pixel limit", ".heic", craft.HEIFItems([2]uint32{64, 64}, [2]uint32{0xFFFFFFFF, 0xFFFFFFFF}),
			CodeTooLarge, "an image inside the HEIC (item 2) claims 4294967295x4294967295 pixels"},
		{"HEIF of many tiles", ".heic", craft.HEIFItems(append([][2]uint32{{64, 64}}, tiles(21, [2]uint32{7000, 7000})...)...),
			CodeTooLarge, "the images inside the HEIC (tiles, thumbnails, auxiliary images) claim 1029 MP in all"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "photo"+c.ext)
			testenv.Must(t, os.WriteFile(path, c.file, 0o644))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, _, err := Process(context.Background(), Config{}, path, t.TempDir())
			runtime.ReadMemStats(&after)
			var pe *Error
			if !errors.As(err, &pe) || pe.Code != c.code || !strings.Contains(pe.Message, c.says) {
				t.Fatalf("got %v (%T), want code %s saying %q", err, err, c.code, c.says)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes: %s: %s; allocated %.1f MB", len(c.file), pe.Code, pe.Message, float64(alloc)/(1<<20))
			if alloc > 8<<20 {
				t.Errorf("allocated %.0f MB to refuse it", float64(alloc)/(1<<20))
			}
		})
	}
}

// A GIF frame a little larger than the screen, as some encoders write, is not refused: it is decoded
// at its own size and clipped to the screen, as browsers show it.
func TestGIFFrameLargerThanScreen(t *testing.T) {
	red := image.NewPaletted(image.Rect(0, 0, 40, 40), color.Palette{color.NRGBA{A: 255}, color.NRGBA{R: 255, A: 255}})
	for i := range red.Pix {
		red.Pix[i] = 1
	}
	var b bytes.Buffer
	testenv.Must(t, gif.Encode(&b, red, nil))
	file := b.Bytes()
	binary.LittleEndian.PutUint16(file[6:], 32) // the logical screen: 32x32
	binary.LittleEndian.PutUint16(file[8:], 32)
	path := filepath.Join(t.TempDir(), "wide-frame.gif")
	testenv.Must(t, os.WriteFile(path, file, 0o644))
	plan, files, err := Process(context.Background(), Config{}, path, t.TempDir())
	if err != nil {
		t.Fatalf("a 40x40 frame on a 32x32 screen: %v", err)
	}
	if plan.Source != (Size{W: 32, H: 32}) {
		t.Errorf("source %v, want the 32x32 screen", plan.Source)
	}
	for _, f := range files {
		if f.Name == "image/web" {
			if m := means(load(t, f.Path)); m[0] < 240 || m[1] > 15 || m[2] > 15 {
				t.Errorf("image/web has mean colour %v, want red", m)
			}
		}
	}
}

// pngClaiming is a 16x16 PNG header followed by a chunk whose length says n, holding a few bytes.
func pngClaiming(typ string, n uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		b = append(append(b, typ...), data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 16), 16)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	b := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	b = binary.BigEndian.AppendUint32(b, n)
	return append(append(b, typ...), "profile\x00\x00x"...)
}

// heifMetaClaiming is a HEIF ftyp followed by a meta box whose size says n.
func heifMetaClaiming(n uint32) []byte {
	b := craft.HEIF(64, 64)
	i := bytes.Index(b, []byte("meta"))
	binary.BigEndian.PutUint32(b[i-4:], n)
	return b
}

// libheif composes a grid at the size in the grid's own data, which may disagree with the ispe the
// guard holds against the limit: the iPhone HEIC with its grid data rewritten to 32000x32000 (within
// libheif's own 32768 limit, a gigapixel) is refused before heif-convert runs.
func TestHEIFGridLargerThanItsIspe(t *testing.T) {
	b, err := os.ReadFile(testenv.Corpus(t, "image/iphone13promax_irot270_exif6_gainmap.heic"))
	testenv.Must(t, err)
	// idat holds the grid: version, flags (16-bit sizes), rows-1, columns-1, width, height.
	i := bytes.Index(b, []byte("idat")) + 4
	if i < 4 || binary.BigEndian.Uint16(b[i+4:]) != 4032 || binary.BigEndian.Uint16(b[i+6:]) != 3024 {
		t.Fatal("the corpus HEIC's grid is not where this test expects it")
	}
	binary.BigEndian.PutUint16(b[i+4:], 32000)
	binary.BigEndian.PutUint16(b[i+6:], 32000)
	path := filepath.Join(t.TempDir(), "grid.heic")
	testenv.Must(t, os.WriteFile(path, b, 0o644))
	_, _, err = Process(context.Background(), Config{HeifConvert: "/nonexistent/heif-convert-must-not-run"}, path, t.TempDir())
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != CodeUnreadable || !strings.Contains(pe.Message, "the grid composes a 32000x32000 picture but its ispe says 4032x3024") {
		t.Fatalf("got %v, want %s naming the grid's size", err, CodeUnreadable)
	}
}
