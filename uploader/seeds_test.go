package uploader

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
)

// TestWriteFuzzSeeds rewrites testdata/fuzz/FuzzSniff when QUINTE_WRITE_SEEDS=1; otherwise it checks
// that the committed seeds are there. The seeds are made here (tiny ffmpeg files of every accepted
// container, and the hostile set), never copied from the shared corpus; FuzzSniff adds the corpus heads
// at run time.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzSniff")
	if os.Getenv("QUINTE_WRITE_SEEDS") != "1" {
		if entries, err := os.ReadDir(dir); err != nil || len(entries) < 20 {
			t.Fatalf("fuzz seeds missing in %s (%v): run QUINTE_WRITE_SEEDS=1 go test ./uploader -run TestWriteFuzzSeeds", dir, err)
		}
		return
	}
	testenv.Must(t, os.RemoveAll(dir))
	testenv.Must(t, os.MkdirAll(dir, 0o755))
	write := func(name string, data []byte) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data[:min(len(data), 1024)])
		testenv.Must(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	tmp := t.TempDir()
	made := map[string][]byte{}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"mp4", []string{"-f", "lavfi", "-i", "testsrc=s=32x32:d=0.2", "-c:v", "libx264", "-movflags", "+faststart"}},
		{"mov", []string{"-f", "lavfi", "-i", "testsrc=s=32x32:d=0.2", "-c:v", "libx264"}},
		{"webm", []string{"-f", "lavfi", "-i", "testsrc=s=32x32:d=0.2", "-c:v", "libvpx"}},
		{"mkv", []string{"-f", "lavfi", "-i", "testsrc=s=32x32:d=0.2", "-c:v", "libx264"}},
		{"ts", []string{"-f", "lavfi", "-i", "testsrc=s=32x32:d=0.2", "-c:v", "libx264", "-f", "mpegts"}},
		{"avi", []string{"-f", "lavfi", "-i", "testsrc=s=32x32:d=0.2", "-c:v", "mjpeg"}},
		{"mpg", []string{"-f", "lavfi", "-i", "testsrc=s=32x32:d=0.2", "-c:v", "mpeg2video", "-f", "vob"}},
		{"m4a", []string{"-f", "lavfi", "-i", "sine=d=0.2", "-c:a", "aac"}},
		{"mp3", []string{"-f", "lavfi", "-i", "sine=d=0.2", "-c:a", "libmp3lame", "-write_xing", "0", "-id3v2_version", "0"}},
		{"aac", []string{"-f", "lavfi", "-i", "sine=d=0.2", "-c:a", "aac", "-f", "adts"}},
		{"opus", []string{"-f", "lavfi", "-i", "sine=d=0.2", "-c:a", "libopus"}},
		{"wav", []string{"-f", "lavfi", "-i", "sine=d=0.2"}},
		{"flac", []string{"-f", "lavfi", "-i", "sine=d=0.2"}},
		{"png", []string{"-f", "lavfi", "-i", "testsrc=s=32x32", "-frames:v", "1"}},
		{"jpg", []string{"-f", "lavfi", "-i", "testsrc=s=32x32", "-frames:v", "1"}},
		{"gif", []string{"-f", "lavfi", "-i", "testsrc=s=32x32:d=0.2"}},
		{"webp", []string{"-f", "lavfi", "-i", "testsrc=s=32x32", "-frames:v", "1"}},
	} {
		out := filepath.Join(tmp, "seed."+c.name)
		args := append(append([]string{"-v", "error", "-y"}, c.args...), out)
		if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %s: %v %s", c.name, err, b)
		}
		b, err := os.ReadFile(out)
		testenv.Must(t, err)
		made[c.name] = b
		write("made-"+c.name, b)
	}
	for i, h := range append(testenv.NotMedia(t), testenv.Polyglots(t, made["jpg"], made["gif"], made["mp4"])...) {
		write(fmt.Sprintf("hostile-%02d-%s", i, h.Name), h.Data)
	}
}

func TestReadableSize(t *testing.T) {
	for n, want := range map[int64]string{200000: "200 kB", 1 << 20: "1 MiB", 1536 << 10: "1.5 MiB", 2 << 30: "2 GiB", 999: "999 bytes"} {
		if got := readableSize(n); got != want {
			t.Errorf("readableSize(%d) = %q, want %q", n, got, want)
		}
	}
}
