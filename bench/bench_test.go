// Package bench holds `make bench`: quinte against bare ffmpeg and against one ffmpeg process per
// output, measured in the same run on deterministic inputs, printed side by side. Ratios only: the
// machines are shared, so absolute times mean little and nothing here asserts a time.
//
// video_test.go is the video job (figures a, b and c of the media issue); the photo side's figure (d),
// a photo's crop set with imaging against vipsthumbnail, belongs in photo_test.go next to it, using the
// helpers below.
package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// generated returns a file made by ffmpeg with args (everything but the output name), cached across runs
// under the user's cache directory by a hash of the arguments: inputs are deterministic, and making a
// 30 s 1080x1920 clip takes longer than some of what is measured.
func generated(b *testing.B, ext string, args ...string) string {
	b.Helper()
	h := sha256.Sum256([]byte(strings.Join(args, "\x00")))
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "quinte-bench")
	path := filepath.Join(dir, hex.EncodeToString(h[:8])+ext)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	tmp := path + ".part" + ext
	cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-v", "error", "-y"}, args...), tmp)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("generating the input: %v: %s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// timed runs f and returns how long it took.
func timed(b *testing.B, f func() error) time.Duration {
	b.Helper()
	start := time.Now()
	if err := f(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// run runs one program with args, failing the benchmark with its output if it fails.
func run(name string, args []string) error {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		tail := string(out)
		if len(tail) > 600 {
			tail = tail[len(tail)-600:]
		}
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args[:min(4, len(args))], " "), err, tail)
	}
	return nil
}

// table prints rows of name, value, goal as an aligned table on stdout (a benchmark's log is printed
// too, but indented under the benchmark's name).
func table(title string, rows [][3]string) {
	fmt.Printf("\n%s\n", title)
	for _, r := range rows {
		fmt.Printf("  %-58s %10s   %s\n", r[0], r[1], r[2])
	}
	fmt.Println()
}
