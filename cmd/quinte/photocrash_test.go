package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
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
		c.WaitReady(t, c.Upload(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), map[string]string{"artist": "Ada"}), 3*time.Minute)
	}
	env := map[string]string{pipeline.TestCrashEnv: "1", "QUINTE_STALL_TIMEOUT": "15s"}

	t.Run("quinte run", func(t *testing.T) {
		// The worker is this process: its children inherit the hook's variable from it.
		t.Setenv(pipeline.TestCrashEnv, "1")
		data := t.TempDir()
		m := startMain(t, config.RoleRun, map[string]string{"QUINTE_ADDR": "127.0.0.1:0", "QUINTE_DATA_DIR": data, "QUINTE_STALL_TIMEOUT": "15s"})
		c := &testenv.Client{Base: m.URL, Token: m.Config.TeamToken}
		check(t, c, func() bool { return true }) // had it died, so would this test
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
