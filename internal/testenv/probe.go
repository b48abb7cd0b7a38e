package testenv

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"testing"
)

// Probed is what ffprobe says about a file, read independently of the pipeline's own parser so that
// tests check outputs with a second pair of eyes.
type Probed struct {
	Format struct {
		FormatName string            `json:"format_name"`
		Duration   string            `json:"duration"`
		Tags       map[string]string `json:"tags"`
	} `json:"format"`
	Streams []struct {
		Index         int               `json:"index"`
		CodecType     string            `json:"codec_type"`
		CodecName     string            `json:"codec_name"`
		Profile       string            `json:"profile"`
		Width         int               `json:"width"`
		Height        int               `json:"height"`
		PixFmt        string            `json:"pix_fmt"`
		SAR           string            `json:"sample_aspect_ratio"`
		ColorSpace    string            `json:"color_space"`
		ColorTransfer string            `json:"color_transfer"`
		ColorPrim     string            `json:"color_primaries"`
		AvgFrameRate  string            `json:"avg_frame_rate"`
		SampleRate    string            `json:"sample_rate"`
		Channels      int               `json:"channels"`
		Duration      string            `json:"duration"`
		Disposition   map[string]int    `json:"disposition"`
		Tags          map[string]string `json:"tags"`
		SideData      []struct {
			Type     string  `json:"side_data_type"`
			Rotation float64 `json:"rotation"`
		} `json:"side_data_list"`
	} `json:"streams"`
}

// Probe runs ffprobe on path.
func Probe(t testing.TB, path string) *Probed {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p Probed
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// Duration is the container's duration in seconds.
func (p *Probed) Duration() float64 {
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return d
}

// Stream returns the first stream of the type ("video", "audio"), or -1.
func (p *Probed) Stream(kind string) int {
	for i, s := range p.Streams {
		if s.CodecType == kind {
			return i
		}
	}
	return -1
}

// DisplaySize is the first video stream's size as a player shows it (rotation applied).
func (p *Probed) DisplaySize() (w, h int) {
	i := p.Stream("video")
	if i < 0 {
		return 0, 0
	}
	s := p.Streams[i]
	w, h = s.Width, s.Height
	for _, sd := range s.SideData {
		if r := int(sd.Rotation); r == 90 || r == -90 || r == 270 || r == -270 {
			w, h = h, w
		}
	}
	return w, h
}

// Rotated reports whether the first video stream carries rotation metadata.
func (p *Probed) Rotated() bool {
	i := p.Stream("video")
	if i < 0 {
		return false
	}
	for _, sd := range p.Streams[i].SideData {
		if sd.Rotation != 0 {
			return true
		}
	}
	return false
}

// Frames counts the frames of path's first video stream by decoding it (ffprobe -count_frames), and
// gives its average frame rate as ffprobe states it ("30/1").
func Frames(t testing.TB, path string) (frames int, rate string) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "V:0",
		"-show_entries", "stream=nb_read_frames,avg_frame_rate", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe -count_frames %s: %v", path, err)
	}
	var p struct {
		Streams []struct {
			Frames string `json:"nb_read_frames"`
			Rate   string `json:"avg_frame_rate"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &p); err != nil || len(p.Streams) == 0 {
		t.Fatalf("ffprobe -count_frames %s: %v: %s", path, err, out)
	}
	n, _ := strconv.Atoi(p.Streams[0].Frames)
	return n, p.Streams[0].Rate
}
