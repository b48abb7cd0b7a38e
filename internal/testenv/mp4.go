package testenv

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EmptyTrackMP4 writes an MP4 whose first video track holds no samples, before a real video track
// and its sound: the shape some Android cameras write (a trak whose sample tables are empty). ffmpeg's
// muxer leaves out a track without samples, so the file is muxed with two real video tracks and the
// first one's tables are then emptied in place (entry counts, durations), which is what such a camera
// leaves behind. The real track is size at rate for seconds, with sound and ffmpeg's rotate tag (which
// ffmpeg 5.1 writes as a display matrix of that many degrees counter-clockwise, as ffprobe reports it:
// 90 is a Pixel's portrait, shown turned a quarter counter-clockwise); the empty one is 320x240, marked
// default; both
// keep time in 90 kHz units as Android's MediaMuxer does, so ffprobe gives the empty one a base rate of
// 90000/1 (it has no frames to measure one from).
func EmptyTrackMP4(t testing.TB, dir, size string, rate, seconds, rotate int) string {
	t.Helper()
	small := filepath.Join(dir, "empty-track-small.mp4")
	real := filepath.Join(dir, "empty-track-real.mp4")
	out := filepath.Join(dir, "empty-track.mp4")
	FFmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", small)
	FFmpeg(t, "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=s=%s:r=%d:d=%d", size, rate, seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=f=440:d=%d", seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", real)
	FFmpeg(t, "-i", small, "-i", real, "-map", "0:v", "-map", "1:v", "-map", "1:a", "-c", "copy",
		"-disposition:v:0", "default", "-disposition:v:1", "0", "-metadata:s:v:1", fmt.Sprintf("rotate=%d", rotate),
		"-video_track_timescale", "90000", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := emptyFirstTrack(b); err != nil {
		t.Fatalf("empty the first track of %s: %v", out, err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// emptyFirstTrack zeroes, in place, the sample tables and durations of the first trak of an MP4's moov.
func emptyFirstTrack(b []byte) error {
	moov, ok := findBox(b, "moov")
	if !ok {
		return fmt.Errorf("no moov")
	}
	trak, ok := findBox(moov, "trak")
	if !ok {
		return fmt.Errorf("no trak")
	}
	if tkhd, ok := findBox(trak, "tkhd"); ok {
		zeroDuration(tkhd, 12, 20) // v0: flags, ctime, mtime, id, reserved; v1: 8-byte times
	}
	if edts, ok := findBox(trak, "edts"); ok {
		if elst, ok := findBox(edts, "elst"); ok && len(elst) >= 8 {
			binary.BigEndian.PutUint32(elst[4:], 0)
		}
	}
	mdia, ok := findBox(trak, "mdia")
	if !ok {
		return fmt.Errorf("no mdia")
	}
	if mdhd, ok := findBox(mdia, "mdhd"); ok {
		zeroDuration(mdhd, 16, 24)
	}
	minf, _ := findBox(mdia, "minf")
	stbl, ok := findBox(minf, "stbl")
	if !ok {
		return fmt.Errorf("no stbl")
	}
	for _, name := range []string{"stts", "stss", "ctts", "stsc", "stco", "co64"} {
		if box, ok := findBox(stbl, name); ok && len(box) >= 8 {
			binary.BigEndian.PutUint32(box[4:], 0) // entry_count
		}
	}
	stsz, ok := findBox(stbl, "stsz")
	if !ok || len(stsz) < 12 {
		return fmt.Errorf("no stsz")
	}
	binary.BigEndian.PutUint32(stsz[4:], 0) // sample_size
	binary.BigEndian.PutUint32(stsz[8:], 0) // sample_count
	return nil
}

// zeroDuration clears the duration field of a full box's payload, at off0 in version 0 and off1
// (8 bytes) in version 1.
func zeroDuration(p []byte, off0, off1 int) {
	if len(p) > 0 && p[0] == 1 && len(p) >= off1+8 {
		binary.BigEndian.PutUint64(p[off1:], 0)
	} else if len(p) >= off0+4 {
		binary.BigEndian.PutUint32(p[off0:], 0)
	}
}

// findBox returns the payload (a slice of b, after the 8-byte header) of the first box of type name
// among the boxes that b holds.
func findBox(b []byte, name string) ([]byte, bool) {
	for off := 0; off+8 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		if size < 8 || off+size > len(b) {
			return nil, false
		}
		if string(b[off+4:off+8]) == name {
			return b[off+8 : off+size], true
		}
		off += size
	}
	return nil, false
}
