package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
)

// A message of several minutes, uploaded to `quinte run` on its embedded parts (what a new user
// meets) with a stall timeout far shorter than its main pass, ends ready; every video output lasts
// the whole clip; and while it is processed, GET /v1/messages/{id} says how far it is, with a figure
// that moves. The picture is small to keep the test quick; the length is a real message's.
func TestLongMessageEndToEnd(t *testing.T) {
	const seconds = 150
	env := map[string]string{"QUINTE_ADDR": "127.0.0.1:0", "QUINTE_DATA_DIR": t.TempDir(), "QUINTE_TEAM_TOKEN": token,
		"QUINTE_STALL_TIMEOUT": "15s"}
	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	clip := testenv.Clip(t, t.TempDir(), seconds, 360, 640, 30)
	id := c.Upload(t, clip, map[string]string{"artist": "Ada", "title": "Two and a half minutes"})

	// Follow the message as a page would, every quarter of a second.
	stages := map[string][]int{}
	var msg *testenv.Message
	deadline := time.Now().Add(20 * time.Minute)
	for {
		msg = c.Get(t, id)
		if msg.Status == "ready" || msg.Status == "failed" {
			break
		}
		if msg.Progress != nil {
			if msg.Status != "processing" {
				t.Errorf("a %s message shows progress %+v", msg.Status, *msg.Progress)
			}
			if pct := msg.Progress.Percent; pct < 0 || pct > 100 {
				t.Errorf("progress %+v is not a percent", *msg.Progress)
			}
			p := stages[msg.Progress.Stage]
			if len(p) == 0 || p[len(p)-1] != msg.Progress.Percent {
				stages[msg.Progress.Stage] = append(p, msg.Progress.Percent)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("a %d s message still %s after 20 minutes", seconds, msg.Status)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("progress seen: %v", stages)
	if msg.Status != "ready" {
		t.Fatalf("a %d s message failed: %+v", seconds, msg.Error)
	}
	if msg.Progress != nil {
		t.Errorf("a ready message still shows progress %+v", *msg.Progress)
	}
	if enc := stages["encode"]; len(enc) < 3 {
		t.Errorf("the main pass's progress was seen at %v: want a figure that moves", enc)
	}

	// Every video output, downloaded by its link, lasts the clip.
	dir := t.TempDir()
	checked := 0
	for _, o := range msg.Outputs {
		if o.ContentType != "video/mp4" || strings.HasPrefix(o.Name, "preview/") {
			continue
		}
		p, _ := testenv.Download(t, o.URL, dir, strings.ReplaceAll(o.Name, "/", "_")+".mp4")
		if d := testenv.MediaDuration(t, p); math.Abs(d-seconds) > 0.2 {
			t.Errorf("%s lasts %.2f s; the clip %d s", o.Name, d, seconds)
		}
		checked++
	}
	if checked < 4 {
		t.Errorf("only %d video outputs to check", checked)
	}
}
