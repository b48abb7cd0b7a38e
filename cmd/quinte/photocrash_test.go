package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/craft"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline"
)

// No upload can end more than its own job: photos whose decoder panics, allocates without bound or
// hangs each end `failed` with a reason, the process that runs the worker stays up (and its own memory
// small: the bomb was in the photo's child), and the next photo is `ready`. Through `quinte run` on its
// embedded parts, and through separate `quinte api` and `quinte worker` processes on redis-server and
// versitygw.
func TestPhotoCrashEndsItsJobAlone(t *testing.T) {
	cases := []struct{ mode, code, reason string }{
		{"panic", pipeline.CodePhotoCrashed, "its decoder crashed"},
		{"oom", pipeline.CodePhotoCrashed, "its decoder ran out of memory"},
		{"hang", pipeline.CodePhotoStalled, "stopped making progress"},
	}
	check := func(t *testing.T, c *testenv.Client, alive func() bool) {
		dir := t.TempDir()
		for _, tc := range cases {
			m := c.Wait(t, c.Upload(t, writeFile(t, dir, tc.mode+".jpg", testenv.CrashPhoto(t, tc.mode)), map[string]string{"artist": "Ada"}), 3*time.Minute)
			if m.Status != "failed" || m.Error == nil || m.Error.Code != tc.code || !strings.Contains(m.Error.Message, tc.reason) {
				t.Fatalf("%s: %s %+v, want failed %s saying %q", tc.mode, m.Status, m.Error, tc.code, tc.reason)
			}
			t.Logf("%s: %s: %s", tc.mode, m.Error.Code, m.Error.Message)
			if !alive() {
				t.Fatalf("the worker died with the %s photo", tc.mode)
			}
		}
		// No hook: a profile that made the hand-written colour code panic (and whatever lcms2 makes of
		// it after it): failed with a reason or ready, the worker still up.
		m := c.Wait(t, c.Upload(t, writeFile(t, dir, "bad_profile.jpg", testenv.BadProfileJPEG(t)), map[string]string{"artist": "Ada"}), 3*time.Minute)
		if m.Status == "failed" && (m.Error == nil || m.Error.Message == "") {
			t.Fatalf("the bad profile failed without a reason: %+v", m)
		}
		t.Logf("bad profile: %s %+v", m.Status, m.Error)
		if !alive() {
			t.Fatal("the worker died with the bad profile")
		}
		// The parsers' lies, crafted byte by byte (issue 9's classes): each ends failed with its reason.
		small := craft.ANMF(0, 0, 16, 16, craft.VP8L(16, 16))
		for _, f := range []struct {
			name string
			data []byte
		}{
			{"two-vp8x.webp", craft.WebP(craft.VP8X(1<<24, 1<<24, true), craft.ANIM(), small, craft.VP8X(16, 16, true))},
			{"frame-outside-canvas.webp", craft.WebP(craft.VP8X(16, 16, true), craft.ANIM(), craft.ANMF(0, 0, 16384, 16384, craft.VP8L(16384, 16384)))},
			{"huge-frames.gif", craft.GIF(16, 16, craft.GIFFrame{W: 65535, H: 65535}, craft.GIFFrame{W: 65535, H: 65535})},
			{"chunk-claiming-4gib.webp", craft.WebP(craft.VP8X(16, 16, false), craft.ChunkClaiming("ICCP", 0xFFFFFFF0, []byte("short")), craft.VP8L(16, 16))},
			{"ispe-overflow.heic", craft.HEIF(0xFFFFFFFF, 0xFFFFFFFF)},
		} {
			m := c.Wait(t, c.Upload(t, writeFile(t, dir, f.name, f.data), map[string]string{"artist": "Ada"}), 3*time.Minute)
			if m.Status != "failed" || m.Error == nil || m.Error.Code == "" || m.Error.Message == "" {
				t.Fatalf("%s: %s %+v, want failed with a reason", f.name, m.Status, m.Error)
			}
			t.Logf("%s: %s: %s", f.name, m.Error.Code, m.Error.Message)
			if !alive() {
				t.Fatalf("the worker died with %s", f.name)
			}
		}
		c.WaitReady(t, c.Upload(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), map[string]string{"artist": "Ada"}), 3*time.Minute)
	}
	env := map[string]string{pipeline.TestCrashEnv: "1", "QUINTE_STALL_TIMEOUT": "15s"}

	t.Run("quinte run", func(t *testing.T) {
		// The worker is this process: its children inherit the hook's variable from it.
		t.Setenv(pipeline.TestCrashEnv, "1")
		data := t.TempDir()
		env := map[string]string{"QUINTE_ADDR": "127.0.0.1:0", "QUINTE_DATA_DIR": data, "QUINTE_STALL_TIMEOUT": "15s"}
		m := startMain(t, config.RoleRun, env)
		c := &testenv.Client{Base: m.URL, Token: m.Config.TeamToken}
		check(t, c, func() bool { return true }) // had it died, so would this test

		// A restart does not bring the crashes back: the reconciler leaves the failed messages alone.
		failed := map[string]bool{}
		for _, v := range c.List(t, "failed") {
			failed[v] = true
		}
		testenv.Must(t, m.Close())
		m2 := startMain(t, config.RoleRun, env)
		c2 := &testenv.Client{Base: m2.URL, Token: m2.Config.TeamToken}
		c2.WaitReady(t, c2.Upload(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), nil), 3*time.Minute)
		for id := range failed {
			if got := c2.Get(t, id); got.Status != "failed" {
				t.Errorf("after a restart, failed message %s is %s again", id, got.Status)
			}
		}
		if len(failed) < len(cases)+5 {
			t.Errorf("%d failed messages before the restart, want at least %d", len(failed), len(cases)+5)
		}
	})

	t.Run("api and worker", func(t *testing.T) {
		cl := newCluster(t, nil)
		cl.StartAPI()
		w := cl.StartWorker(env)
		check(t, cl.Client, func() bool { return !w.Exited() })
		if mem := testenv.ReadMemory(w.Pid()); mem.Peak == 0 || mem.Peak > workerMemoryCap {
			t.Errorf("the worker's own peak memory is %d MiB, over %d MiB (or unread)", mem.Peak>>20, workerMemoryCap>>20)
		} else {
			t.Logf("worker peak RSS after the bombs: %d MiB", mem.Peak>>20)
		}
	})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	testenv.Must(t, os.WriteFile(path, data, 0o644))
	return path
}
