package testenv

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

// FFmpeg runs ffmpeg with args (quiet, overwriting) and fails the test if it fails.
func FFmpeg(t testing.TB, args ...string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-v", "error", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v: %s", args, err, out)
	}
}

// LongClip makes an H.264/AAC MP4 of the given length at 1280x720, quick to make (ultrafast) and slow
// enough for the pipeline to transcode that a test can kill or cancel it in the middle.
func LongClip(t testing.TB, dir string, seconds int) string {
	t.Helper()
	return Clip(t, dir, seconds, 1280, 720, 30)
}

// Clip makes an H.264/AAC MP4 of the given length, picture size and frame rate: a moving test pattern
// and a tone, quick to make (ultrafast).
func Clip(t testing.TB, dir string, seconds, w, h, fps int) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("clip-%ds-%dx%d-%d.mp4", seconds, w, h, fps))
	if w == 1280 && h == 720 && fps == 30 {
		p = filepath.Join(dir, fmt.Sprintf("long-%ds.mp4", seconds))
	}
	FFmpeg(t, "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=s=%dx%d:r=%d:d=%d", w, h, fps, seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=f=440:d=%d", seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", p)
	return p
}
