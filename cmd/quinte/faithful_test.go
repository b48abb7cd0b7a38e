package main

import (
	"math"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
)

// Through the API, as an artist uploads them: a phone video whose first, default video track holds no
// sample ends ready with the real track's portrait outputs, and a 5 s picture with 9 s of sound is
// published 9 s long, every video output and the message alike.
func TestFaithfulUploads(t *testing.T) {
	m := startMain(t, config.RoleRun, realEnv(t))
	c := &testenv.Client{Base: m.URL, Token: token}
	dir := t.TempDir()

	empty := testenv.EmptyTrackMP4(t, dir, "640x360", 30, 2, 90)
	v := c.Wait(t, c.Upload(t, empty, map[string]string{"artist": "Ada"}), 3*time.Minute)
	if v.Status != "ready" {
		t.Fatalf("empty extra track: %s %+v", v.Status, v.Error)
	}
	if o := v.Output(t, "rendition/source"); o.Width != 360 || o.Height != 640 || math.Abs(o.Duration-2) > 0.05 {
		t.Errorf("empty extra track: rendition/source %dx%d, %.3f s; want the real track upright, 360x640, 2 s", o.Width, o.Height, o.Duration)
	}

	short := dir + "/short_picture.mp4"
	testenv.FFmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=5", "-f", "lavfi", "-i", "sine=f=330:d=9",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", short)
	v = c.Wait(t, c.Upload(t, short, map[string]string{"artist": "Ada"}), 3*time.Minute)
	if v.Status != "ready" {
		t.Fatalf("short picture: %s %+v", v.Status, v.Error)
	}
	for _, name := range []string{"rendition/source", "crop/9x16", "crop/1x1", "crop/4x5", "crop/16x9", "hls/master"} {
		if o := v.Output(t, name); math.Abs(o.Duration-9) > 0.05 {
			t.Errorf("short picture: %s lasts %.3f s, want the sound's 9 s", name, o.Duration)
		}
	}
	got, _ := testenv.Download(t, v.Output(t, "crop/4x5").URL, dir, "crop_4x5.mp4")
	p := testenv.Probe(t, got)
	if d := p.Streams[p.Stream("video")].Duration; d != "9.000000" {
		t.Errorf("short picture: crop/4x5's picture lasts %s s, want 9", d)
	}
}
