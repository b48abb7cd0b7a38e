package main

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
)

// What old camcorders and cameras write goes through the API and comes out like any phone clip: AVI
// (Motion JPEG with PCM, the digital cameras' format; MPEG-4 Part 2 with MP3, the XviD camcorders') and
// MPEG program streams (MPEG-2 with MP2, DVD camcorders' .mpg/.vob), made from a corpus recording, by
// multipart and by tus.
func TestCamcorderFormatsGoThrough(t *testing.T) {
	m := startMain(t, config.RoleRun, realEnv(t))
	c := &testenv.Client{Base: m.URL, Token: token}
	src := testenv.Corpus(t, "video/person_asl_gesture_640x480.mkv")
	srcDuration := testenv.MediaDuration(t, src)
	dir := t.TempDir()
	for i, f := range []struct {
		name string
		args []string
	}{
		{"camera_mjpeg_pcm.avi", []string{"-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p", "-c:a", "pcm_s16le"}},
		{"camcorder_xvid_mp3.avi", []string{"-c:v", "mpeg4", "-vtag", "XVID", "-q:v", "4", "-c:a", "libmp3lame"}},
		{"dvd_camcorder.mpg", []string{"-c:v", "mpeg2video", "-b:v", "6M", "-c:a", "mp2", "-f", "vob"}},
	} {
		p := filepath.Join(dir, f.name)
		testenv.FFmpeg(t, append(append([]string{"-i", src}, f.args...), p)...)
		var id string
		if i%2 == 0 {
			id = c.Upload(t, p, map[string]string{"artist": "Ada"})
		} else {
			id = c.Tus(t, p, map[string]string{"filename": f.name}, 256<<10)
		}
		v := c.Wait(t, id, 3*time.Minute)
		if v.Status != "ready" {
			t.Errorf("%s: %s %+v", f.name, v.Status, v.Error)
			continue
		}
		out := v.Output(t, "rendition/480p")
		got, _ := testenv.Download(t, out.URL, dir, f.name+"-480p.mp4")
		probed := testenv.Probe(t, got)
		if d := probed.Duration(); math.Abs(d-srcDuration) > 0.1 || probed.Streams[0].Width != 640 || probed.Streams[0].Height != 480 {
			t.Errorf("%s: rendition/480p is %dx%d, %.3f s; want 640x480, %.3f s", f.name, probed.Streams[0].Width, probed.Streams[0].Height, d, srcDuration)
		}
	}
}
