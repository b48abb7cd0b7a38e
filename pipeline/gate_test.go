package pipeline

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// rejected runs a job that must fail as the input's fault, and returns its error. A retryable error, a
// success or a hang (the context's minute) fails the test.
func rejected(t *testing.T, p *Pipeline, path string) *InputError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := p.Process(ctx, Input{ID: "hostile", Path: path, Kind: message.KindVideo, WorkDir: t.TempDir()})
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("%s: got %v (result %v), want an InputError", filepath.Base(path), err, res != nil)
	}
	t.Logf("%s → %s: %s", filepath.Base(path), ie.Code, ie.Message)
	return ie
}

// TestMalformedCorpusFailsWithReason: every broken video or audio file of the corpus ends as an
// InputError (never retried) with a specific code and a message that says what to do.
func TestMalformedCorpusFailsWithReason(t *testing.T) {
	p := testPipeline()
	for file, want := range map[string]struct{ code, says string }{
		"corrupt_ebml_header.mkv":            {"corrupt_container", "EBML header"},
		"truncated_mov_first_1024_bytes.mov": {"truncated_file", "upload the complete file"},
		"malformed_free_box_no_moov.mp4":     {"mp4_index_missing", "moov"},
		"vp9_invalid_bitstream.webm":         {"undecodable_video", "could not be decoded"},
		// ffmpeg reads the 100 kB of garbage as AMR and would exit 0 after 890 errors.
		"mp3_100kB_garbage_prefix.mp3": {"unsupported_format", "amrnb"},
		// 40 000 frames of 1x1 pixel: 66 minutes, refused from the header before any decoding.
		"uber_40000_frames_1x1.gif": {"too_long", "1h06m40s"},
	} {
		t.Run(file, func(t *testing.T) {
			ie := rejected(t, p, testenv.Corpus(t, "malformed/"+file))
			if ie.Code != want.code || !strings.Contains(ie.Message, want.says) {
				t.Errorf("code %q, message %q; want %q saying %q", ie.Code, ie.Message, want.code, want.says)
			}
		})
	}
}

// lavfi writes a synthetic file with ffmpeg (argv after the output options) for the gate's tests.
func lavfi(t *testing.T, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-v", "error", "-y"}, args...), out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("making %s: %v: %s", name, err, b)
	}
	return out
}

// TestGateRefusesHostileInputs: what the gate must refuse, before decoding, with a reason.
func TestGateRefusesHostileInputs(t *testing.T) {
	dir := t.TempDir()
	playlist := filepath.Join(dir, "evil.m3u8")
	testenv.Must(t, os.WriteFile(playlist, []byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"), 0o600))
	concat := filepath.Join(dir, "evil.ffconcat")
	testenv.Must(t, os.WriteFile(concat, []byte("ffconcat version 1.0\nfile /etc/passwd\n"), 0o600))
	many := []string{"-f", "lavfi", "-i", "anullsrc=d=0.2"}
	for i := 0; i < 17; i++ {
		many = append(many, "-map", "0:a")
	}
	many = append(many, "-c:a", "aac")

	small := testPipeline()
	small.cfg.MaxDuration, small.cfg.MaxFrames = 2*time.Second, 40
	// Neex's AVI around a Motion JPEG frame quinte decodes: only its GAB2 playlist can refuse it.
	frame, err := os.ReadFile(lavfi(t, "frame.jpg", "-f", "lavfi", "-i", "testsrc2=s=16x16", "-frames:v", "1"))
	testenv.Must(t, err)
	neex := filepath.Join(dir, "neex_mjpeg.avi")
	testenv.Must(t, os.WriteFile(neex, testenv.NeexMJPEGPastTheSniffer(testenv.HLSPlaylist("file://"+filepath.Join(dir, "secret")), frame), 0o600))

	for _, c := range []struct {
		name string
		p    *Pipeline
		file string
		code string
	}{
		{"hls playlist", testPipeline(), playlist, "unsupported_format"}, // and /etc/passwd is never read
		{"concat list", testPipeline(), concat, "unsupported_format"},
		{"AVI with a playlist in GAB2, MJPEG video", testPipeline(), neex, "hidden_payload"},
		{"magicyuv", testPipeline(), lavfi(t, "magic.avi", "-f", "lavfi", "-i", "testsrc2=s=64x64:r=5", "-t", "1", "-c:v", "magicyuv"), "unsupported_codec"},
		{"1000 fps", testPipeline(), lavfi(t, "fast.mp4", "-f", "lavfi", "-i", "testsrc2=s=64x64:r=1000", "-t", "0.1", "-c:v", "libx264"), "frame_rate_too_high"},
		{"17 streams", testPipeline(), lavfi(t, "many.mkv", many...), "too_many_streams"},
		{"wider than 4096", testPipeline(), lavfi(t, "wide.mp4", "-f", "lavfi", "-i", "color=s=4112x64:d=0.1", "-c:v", "libx264"), "video_too_large"},
		{"longer than the limit", small, lavfi(t, "long.mp4", "-f", "lavfi", "-i", "color=s=32x32:r=5:d=3", "-c:v", "libx264"), "too_long"},
		{"more frames than the limit", small, lavfi(t, "frames.mp4", "-f", "lavfi", "-i", "testsrc2=s=32x32:r=30:d=1.5", "-c:v", "libx264"), "too_many_frames"},
		{"tiny picture", testPipeline(), lavfi(t, "tiny.mp4", "-f", "lavfi", "-i", "color=s=8x8:d=0.5", "-c:v", "mpeg4"), "video_too_small"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ie := rejected(t, c.p, c.file)
			if ie.Code != c.code || ie.Message == "" {
				t.Errorf("code %q (%s), want %q", ie.Code, ie.Message, c.code)
			}
		})
	}
}

// TestCheckLimits: the limits are checked on the probe alone (the 66-minute GIF is refused without
// reading its 40 000 frames), with the reason in the code.
func TestCheckLimits(t *testing.T) {
	c := Config{}.withDefaults()
	ok := probe.Media{Streams: 2, Duration: 30, Video: &probe.VideoInfo{Codec: "h264", Width: 1920, Height: 1080, PixFmt: "yuv420p", FrameRate: 30, Frames: 900}}
	if err := c.limits().Check(&ok); err != nil {
		t.Fatalf("a plain phone clip is refused: %v", err)
	}
	for name, m := range map[string]probe.Media{
		"too_long":            {Duration: 601},
		"video_too_large":     {Video: &probe.VideoInfo{Codec: "h264", Width: 8192, Height: 4320, PixFmt: "yuv420p"}},
		"undecodable_video":   {Video: &probe.VideoInfo{Codec: "vp9", Width: 320, Height: 240}},
		"frame_rate_too_high": {Video: &probe.VideoInfo{Codec: "h264", Width: 320, Height: 240, PixFmt: "yuv420p", FrameRate: 480}},
		"unsupported_codec":   {Audio: &probe.AudioInfo{Codec: "wmav2"}},
	} {
		m.Streams = 2
		err := c.limits().Check(&m)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code != name {
			t.Errorf("%s: got %v", name, err)
		}
	}
	many := ok
	many.Streams = 17
	if err := c.limits().Check(&many); err == nil || !strings.Contains(err.Error(), strconv.Itoa(DefaultMaxStreams)) {
		t.Errorf("17 streams: %v", err)
	}
}
