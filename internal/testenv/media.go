package testenv

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// These helpers measure media files with ffmpeg and ffprobe directly, independently of the pipeline's
// own code, so that tests check outputs with a second pair of eyes.

// Loudness is the integrated loudness (LUFS) and true peak (dBTP) of path's first audio stream, by
// ffmpeg's ebur128. A file shorter than 3 s is measured looped (R128 needs 400 ms blocks and gating
// needs several); the true peak is measured on the file as it is (a loop's seam is a peak of its own).
// Digital silence gives -70 LUFS and -inf dBTP (returned as -99).
func Loudness(t testing.TB, path string) (integrated, truePeak float64) {
	t.Helper()
	d := Probe(t, path).Duration()
	loops := 1
	if d > 0 && d < 3 {
		loops = int(math.Ceil(3 / d))
	}
	if loops == 1 { // one run gives both
		return r128(t, path, 1)
	}
	integrated, _ = r128(t, path, loops)
	_, truePeak = r128(t, path, 1)
	return integrated, truePeak
}

var (
	r128I  = regexp.MustCompile(`(?s)Summary:.*?I:\s+(\S+) LUFS`)
	r128TP = regexp.MustCompile(`(?s)Summary:.*?Peak:\s+(\S+) dBFS`)
)

func r128(t testing.TB, path string, loops int) (float64, float64) {
	t.Helper()
	args := []string{"-hide_banner", "-nostats", "-stream_loop", strconv.Itoa(loops - 1), "-i", path,
		"-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"}
	out, err := exec.Command("ffmpeg", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ebur128 %s: %v: %s", path, err, lastBytes(out, 800))
	}
	i, tp := r128I.FindSubmatch(out), r128TP.FindSubmatch(out)
	if i == nil || tp == nil {
		t.Fatalf("ebur128 %s: no summary: %s", path, lastBytes(out, 800))
	}
	return level(string(i[1])), level(string(tp[1]))
}

func level(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, -1) || v < -99 {
		return -99
	}
	return v
}

// MediaDuration is how long a source really lasts: its container's duration, or when the container
// does not say or only estimates it from the bit rate (MP3), the span of its first video (not cover
// art) and audio streams' packets.
func MediaDuration(t testing.TB, path string) float64 {
	t.Helper()
	p := Probe(t, path)
	if d := p.Duration(); d > 0 && !strings.Contains(p.Format.FormatName, "mp3") {
		return d
	}
	var keep []string
	for _, kind := range []string{"video", "audio"} {
		for _, s := range p.Streams {
			if s.CodecType == kind && s.Disposition["attached_pic"] == 0 {
				keep = append(keep, strconv.Itoa(s.Index))
				break
			}
		}
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=stream_index,pts_time,duration_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe packets %s: %v", path, err)
	}
	start, end := math.Inf(1), math.Inf(-1)
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 || !contains(keep, f[0]) {
			continue
		}
		pts, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		dur, _ := strconv.ParseFloat(f[2], 64)
		start, end = math.Min(start, math.Max(0, pts)), math.Max(end, pts+dur)
	}
	return end - start
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// MoovBeforeMdat reports whether an MP4's index comes before its media data (a player can start before
// the whole file has arrived).
func MoovBeforeMdat(t testing.TB, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off+8 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		switch string(b[off+4 : off+8]) {
		case "moov":
			return true
		case "mdat":
			return false
		}
		if size < 8 {
			return false
		}
		off += size
	}
	return false
}

// WebP is what the RIFF chunks of a WebP file say (ffprobe cannot read animated WebP).
type WebP struct {
	Width, Height int
	Animated      bool
	Frames        int
	Metadata      bool // EXIF or XMP chunks
}

// ReadWebP parses a WebP file's chunks.
func ReadWebP(t testing.TB, path string) WebP {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 16 || !bytes.Equal(b[:4], []byte("RIFF")) || !bytes.Equal(b[8:12], []byte("WEBP")) {
		t.Fatalf("%s is not a WebP file", path)
	}
	var w WebP
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		data := b[off+8 : min(len(b), off+8+size)]
		switch id {
		case "VP8X":
			if len(data) >= 10 {
				w.Animated = data[0]&0x02 != 0
				w.Width = 1 + int(data[4]) | int(data[5])<<8 | int(data[6])<<16
				w.Height = 1 + int(data[7]) | int(data[8])<<8 | int(data[9])<<16
			}
		case "VP8 ":
			if len(data) >= 10 && w.Width == 0 {
				w.Width = int(binary.LittleEndian.Uint16(data[6:])) & 0x3fff
				w.Height = int(binary.LittleEndian.Uint16(data[8:])) & 0x3fff
			}
			w.Frames = max(w.Frames, 1)
		case "ANMF":
			w.Frames++
		case "EXIF", "XMP ":
			w.Metadata = true
		}
		off += 8 + size + size%2
	}
	return w
}

// FrameLook is the average luma (0..255) and saturation of a picture, by ffmpeg's signalstats.
type FrameLook struct{ Luma, Saturation float64 }

var (
	yavg   = regexp.MustCompile(`lavfi\.signalstats\.YAVG=(\S+)`)
	satavg = regexp.MustCompile(`lavfi\.signalstats\.SATAVG=(\S+)`)
)

// Look measures one frame: the frame at seconds of path, after the filters vf (empty for none).
func Look(t testing.TB, path string, seconds float64, vf string) FrameLook {
	t.Helper()
	f := "signalstats,metadata=print:file=-"
	if vf != "" {
		f = vf + "," + f
	}
	out, err := exec.Command("ffmpeg", "-v", "error", "-ss", strconv.FormatFloat(seconds, 'f', 3, 64), "-i", path,
		"-map", "0:V:0", "-frames:v", "1", "-vf", f, "-f", "null", "-").Output()
	if err != nil {
		t.Fatalf("signalstats %s: %v", path, err)
	}
	y, s := yavg.FindSubmatch(out), satavg.FindSubmatch(out)
	if y == nil || s == nil {
		t.Fatalf("signalstats %s: nothing measured: %s", path, out)
	}
	l, _ := strconv.ParseFloat(string(y[1]), 64)
	sat, _ := strconv.ParseFloat(string(s[1]), 64)
	return FrameLook{Luma: l, Saturation: sat}
}
