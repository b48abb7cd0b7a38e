package main

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline"
)

// crashPhoto writes a valid JPEG carrying the test hook's marker for mode in a comment: with
// pipeline.TestCrashEnv set in the worker's environment, its photo child panics on a goroutine of its
// own, allocates without bound, or hangs ignoring SIGINT.
func crashPhoto(t *testing.T, dir, mode string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	testenv.Must(t, jpeg.Encode(&b, img, nil))
	com := []byte("quinte-test-crash:" + mode)
	seg := append([]byte{0xFF, 0xFE, byte((len(com) + 2) >> 8), byte(len(com) + 2)}, com...)
	data := append(append(append([]byte{}, b.Bytes()[:2]...), seg...), b.Bytes()[2:]...)
	path := filepath.Join(dir, mode+".jpg")
	testenv.Must(t, os.WriteFile(path, data, 0o644))
	return path
}

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
			m := c.Wait(t, c.Upload(t, crashPhoto(t, dir, tc.mode), map[string]string{"artist": "Ada"}), 3*time.Minute)
			if m.Status != "failed" || m.Error == nil || m.Error.Code != tc.code || !strings.Contains(m.Error.Message, tc.reason) {
				t.Fatalf("%s: %s %+v, want failed %s saying %q", tc.mode, m.Status, m.Error, tc.code, tc.reason)
			}
			t.Logf("%s: %s: %s", tc.mode, m.Error.Code, m.Error.Message)
			if !alive() {
				t.Fatalf("the worker died with the %s photo", tc.mode)
			}
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
