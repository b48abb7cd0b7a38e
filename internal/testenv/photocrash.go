package testenv

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// withSegment is a 320x240 JPEG with one extra segment (marker, payload) right after SOI.
func withSegment(t testing.TB, marker byte, payload []byte) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	Must(t, jpeg.Encode(&b, img, nil))
	seg := append([]byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
	return append(append(append([]byte{}, b.Bytes()[:2]...), seg...), b.Bytes()[2:]...)
}

// CrashPhoto is a valid JPEG whose comment carries the photo child's test hook marker for mode
// ("panic", "oom", "hang"): with pipeline.TestCrashEnv set in the worker's environment, its child
// panics on a goroutine of its own, allocates without bound, or hangs ignoring SIGINT. Without the
// variable it is an ordinary photo.
func CrashPhoto(t testing.TB, mode string) []byte {
	return withSegment(t, 0xFE, []byte("quinte-test-crash:"+mode))
}

// BadProfileJPEG is a JPEG whose APP2 ICC profile (RGB, no matrix, an 8-bit A2B0 table) declares
// four inputs for an RGB picture: the hand-written colour code of pipeline/photo/icc indexed past its
// three channels ("index out of range [3] with length 3") on a goroutine of par.Rows, which took the
// worker down (issue 9).
func BadProfileJPEG(t testing.TB) []byte {
	const inCh, outCh, grid = 4, 3, 2
	tag := make([]byte, 48+inCh*256+16*outCh+outCh*256)
	copy(tag, "mft1")
	tag[8], tag[9], tag[10] = inCh, outCh, grid
	for i := 48; i < len(tag); i++ {
		tag[i] = byte(i)
	}
	prof := make([]byte, 144, 144+len(tag))
	copy(prof[8:], []byte{2, 0x10})
	copy(prof[12:], "mntrRGB XYZ ")
	copy(prof[36:], "acsp")
	be := func(b []byte, v int) { b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
	be(prof[128:], 1)
	copy(prof[132:], "A2B0")
	be(prof[136:], 144)
	be(prof[140:], len(tag))
	prof = append(prof, tag...)
	be(prof[0:], len(prof))
	return withSegment(t, 0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), prof...))
}
