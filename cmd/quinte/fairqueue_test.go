package main

import (
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// A photo and a voice note uploaded while a long video is being encoded, on a worker with one heavy
// slot (one per two cores on a two-core machine), are ready while the video is still encoding: they
// run on the light queue's slot (queue/queues.go). The order of events is the test; how long each
// waited is logged.
func TestLightWorkDoesNotWaitForVideo(t *testing.T) {
	env := realEnv(t)
	env["QUINTE_WORKER_CONCURRENCY"] = "1"
	env["QUINTE_WORKER_SHUTDOWN_TIMEOUT"] = "1s" // the video is not waited for at the end
	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}

	video := c.Upload(t, testenv.Clip(t, t.TempDir(), 120, 320, 240, 30), nil)
	// Wait until the video holds the heavy slot and is in its main pass.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if p := c.Get(t, video); p.Status == string(message.StatusProcessing) && p.Progress != nil && p.Progress.Stage == "encode" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the video never reached its encode: %+v", c.Get(t, video))
		}
	}

	start := time.Now()
	photo := c.Upload(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), nil)
	voice := c.Upload(t, testenv.Corpus(t, "audio/opus_stereo.opus"), nil)
	waited := map[string]time.Duration{}
	for deadline := time.Now().Add(3 * time.Minute); len(waited) < 2; time.Sleep(100 * time.Millisecond) {
		for name, id := range map[string]string{"photo": photo, "voice note": voice} {
			if _, done := waited[name]; done {
				continue
			}
			switch got := c.Get(t, id); got.Status {
			case string(message.StatusReady):
				waited[name] = time.Since(start)
				if v := c.Get(t, video); v.Status == string(message.StatusReady) {
					t.Fatalf("the %s was ready only after the video", name)
				}
			case string(message.StatusFailed):
				t.Fatalf("the %s failed: %+v", name, got.Error)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the photo and the voice note are not ready: %v (video %s)", waited, c.Get(t, video).Status)
		}
	}
	v := c.Get(t, video)
	t.Logf("while the 120 s video was at %s %d%%: the photo was ready %s after its upload, the voice note %s",
		v.Progress.Stage, v.Progress.Percent, waited["photo"].Round(time.Millisecond), waited["voice note"].Round(time.Millisecond))
}
