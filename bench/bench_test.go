// Package bench holds `make bench`: quinte against bare ffmpeg and against one ffmpeg process per
// output, measured in the same run on deterministic inputs, printed side by side. Ratios only: the
// machines are shared, so absolute times mean little and nothing here asserts a time.
//
// video_test.go is the video job (figures a, b and c of the media issue); the photo side's figure (d),
// a photo's crop set with imaging against vipsthumbnail, belongs in photo_test.go next to it, using the
// helpers below. floor_test.go is the whole job against the encode floor (issue 14): the main pass's
// encodes alone, with each step's share of the job and when the poster exists.
package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// cost is what running something took: wall time, and CPU time of this process and of the programs it
// ran (CPU time suffers less from the other work on a shared machine).
type cost struct{ wall, cpu time.Duration }

// measure runs f and returns its cost.
func measure(b *testing.B, f func() error) cost {
	b.Helper()
	cpu0, start := cpuTime(), time.Now()
	if err := f(); err != nil {
		b.Fatal(err)
	}
	return cost{wall: time.Since(start), cpu: cpuTime() - cpu0}
}

// best keeps, of several measurements of the same work, the fastest wall time and the least CPU: what
// the work costs when the machine's other users got least in the way.
func best(cs ...cost) cost {
	m := cs[0]
	for _, c := range cs[1:] {
		m.wall, m.cpu = min(m.wall, c.wall), min(m.cpu, c.cpu)
	}
	return m
}

// cpuTime is the user and system time of this process and of its waited-for children so far.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

// run runs one program with args, failing the benchmark with its output if it fails. What it writes
// on stdout (the analysis decode's raw frames) is thrown away.
func run(name string, args []string) error {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, &out
	if err := cmd.Run(); err != nil {
		tail := out.String()
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
		fmt.Printf("  %-58s %16s   %s\n", r[0], r[1], r[2])
	}
	fmt.Println()
}
