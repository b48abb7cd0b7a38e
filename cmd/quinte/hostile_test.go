package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// workerMemoryCap is the most resident memory the worker process may reach while it chews through the
// hostile set: measured at 51-55 MiB here, with room for a photo near the 50 MP limit (~200 MiB
// decoded).
const workerMemoryCap = 512 << 20

// outcome is how one hostile file ended.
type outcome struct {
	name, why string
	http      int    // the upload's answer
	status    string // the message's final status, if it was accepted
	reason    string // the error code and message a person sees
}

// The file-read class is closed, and every hostile file ends with a clear refusal: 4xx at upload, or
// `failed` with a reason. A playlist, a concat list and Neex's AVI point at canary FIFOs and an HTTP
// canary on loopback; each goes in twice: uploaded through the API (the door), and put straight into
// the bucket as an original (as if the door had let it through), so the worker's own gate is tested.
// AVI is accepted at the door (camcorders write it): Neex's AVI (rawvideo, and Motion JPEG that quinte
// decodes) with its playlist past the sniffer's window goes through the API to the worker, and must end
// `failed` there (issue 5: a clear rejection).
// The canaries must never be opened or contacted. The bombs (huge headers, 1000 fps, 301 streams, ten
// hours, 100k frames) and all of corpus/malformed go through the API. Meanwhile the worker's memory
// stays under workerMemoryCap, it never crashes, and no job directory is left.
func TestHostileInputEndsInAClearRefusal(t *testing.T) {
	canary := testenv.NewCanary(t)
	c := newCluster(t, nil)
	c.StartAPI()
	w := c.StartWorker(nil)
	dir := t.TempDir()
	ctx := context.Background()

	// One reference per file: ffmpeg refuses a whole playlist for one bad entry, which would hide the
	// others.
	frame, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=16x16", "-frames:v", "1", "-f", "mjpeg", "-").Output()
	testenv.Must(t, err)
	var readers []testenv.Hostile
	for i, u := range canary.URLs() {
		readers = append(readers,
			testenv.Hostile{Name: fmt.Sprintf("playlist%d.m3u8", i), Data: testenv.HLSPlaylist(u), Why: "HLS playlist of " + u},
			testenv.Hostile{Name: fmt.Sprintf("gab2_%d.avi", i), Data: testenv.NeexAVI(testenv.HLSPlaylist(u)), Why: "AVI with an HLS playlist of " + u + " in GAB2 (Neex)"},
			testenv.Hostile{Name: fmt.Sprintf("gab2_deep_%d.avi", i), Data: testenv.NeexAVIPastTheSniffer(testenv.HLSPlaylist(u)), Why: "AVI with an HLS playlist of " + u + " in GAB2 (Neex), past the sniffer's window"},
			testenv.Hostile{Name: fmt.Sprintf("gab2_deep_mjpeg_%d.avi", i), Data: testenv.NeexMJPEGPastTheSniffer(testenv.HLSPlaylist(u), frame), Why: "Motion JPEG AVI with an HLS playlist of " + u + " in GAB2 (Neex), past the sniffer's window"})
	}
	for i, f := range canary.FIFOs {
		readers = append(readers, testenv.Hostile{Name: fmt.Sprintf("list%d.ffconcat", i), Data: testenv.ConcatList(f), Why: "ffconcat list of " + f})
	}
	var mu sync.Mutex
	var results []*outcome
	ids := map[*outcome]string{}
	add := func(o *outcome, id string) {
		mu.Lock()
		defer mu.Unlock()
		results = append(results, o)
		if id != "" {
			ids[o] = id
		}
	}

	// Through the door.
	upload := func(name, why string, data []byte) {
		status, body := c.Client.MultipartBytes(t, name, data, nil)
		o := &outcome{name: name, why: why, http: status}
		var out struct {
			ID    string
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal([]byte(body), &out)
		if status != http.StatusAccepted {
			o.reason = out.Error.Code + ": " + out.Error.Message
		}
		add(o, out.ID)
	}
	for _, h := range readers {
		upload(h.Name, h.Why, h.Data)
	}
	// Past the door: straight into the bucket, found by the reconciler.
	for _, h := range readers {
		id := message.NewID()
		testenv.Must(t, c.Store.Put(ctx, message.OriginalKey(id), strings.NewReader(string(h.Data)), int64(len(h.Data)), ""))
		testenv.Must(t, c.Store.PutJSON(ctx, message.MetaKey(id), message.Meta{ID: id, Kind: message.KindVideo, Via: "test"}))
		add(&outcome{name: h.Name + " (in the bucket)", why: h.Why}, id)
	}
	for _, b := range testenv.Bombs(t, dir) {
		upload(filepath.Base(b.Path), b.Why+" ("+testenv.Claims(t, b.Path)+")", mustRead(t, b.Path))
	}
	malformed, err := os.ReadDir(testenv.Corpus(t, "malformed"))
	testenv.Must(t, err)
	for _, e := range malformed {
		upload(e.Name(), "corpus/malformed", mustRead(t, testenv.Corpus(t, "malformed/"+e.Name())))
	}

	// Watch the worker's memory while it works.
	peak := testenv.Memory{}
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			m := testenv.ReadMemory(w.Pid())
			peak.RSS = max(peak.RSS, m.RSS)
			peak.Peak = max(peak.Peak, m.Peak)
			select {
			case <-stopWatch:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	for o, id := range ids {
		rec := c.waitStatus(id, 4*time.Minute, message.StatusReady, message.StatusFailed)
		o.status = string(rec.Status)
		if rec.Error != nil {
			o.reason = rec.Error.Code + ": " + rec.Error.Message
		}
	}
	close(stopWatch)
	<-watched

	sort.Slice(results, func(i, j int) bool { return results[i].name < results[j].name })
	var table strings.Builder
	for _, o := range results {
		fmt.Fprintf(&table, "  %-32s http %3d  %-7s %.300s\n", o.name, o.http, o.status, o.reason)
	}
	t.Logf("hostile set:\n%s", table.String())
	t.Logf("worker memory: peak RSS %d MiB (sampled %d MiB)", peak.Peak>>20, peak.RSS>>20)

	for _, o := range results {
		t.Run(strings.NewReplacer("/", "_", " ", "_").Replace(o.name), func(t *testing.T) {
			refusedAtDoor := o.http >= 400 && o.http < 500
			failed := o.status == string(message.StatusFailed) && len(o.reason) > 10
			if !refusedAtDoor && !failed {
				t.Errorf("%s (%s): http %d, status %q, reason %q; want a 4xx or failed with a reason", o.name, o.why, o.http, o.status, o.reason)
			}
			if strings.HasPrefix(o.name, "gab2_deep_") && !strings.Contains(o.name, "(in the bucket)") && o.http != http.StatusAccepted {
				t.Errorf("%s: the door answered %d; this AVI must reach the worker through the API", o.name, o.http)
			}
			if strings.Contains(o.reason, testenv.CanaryText) {
				t.Errorf("%s: the canary's content is in the answer", o.name)
			}
		})
	}
	t.Run("canaries_never_opened_or_contacted", func(t *testing.T) {
		if opens, conns := canary.Touched(); len(opens) > 0 || conns > 0 {
			t.Errorf("FIFO opens %v, HTTP connections %d", opens, conns)
		}
		// Nothing the hostile set produced carries the canary either.
		for o, id := range ids {
			if o.status != string(message.StatusReady) {
				continue
			}
			keys, err := c.Store.List(ctx, message.OutputPrefix(id))
			testenv.Must(t, err)
			for _, k := range keys {
				rc, err := c.Store.Open(ctx, k, -1)
				testenv.Must(t, err)
				b, _ := io.ReadAll(io.LimitReader(rc, 64<<20))
				rc.Close()
				if strings.Contains(string(b), testenv.CanaryText) {
					t.Errorf("%s: %s carries the canary", o.name, k)
				}
			}
		}
	})
	if peak.Peak > workerMemoryCap {
		t.Errorf("worker peak memory %d MiB, cap %d MiB", peak.Peak>>20, workerMemoryCap>>20)
	}
	if w.Exited() {
		t.Errorf("the worker died: %s", w.LogText())
	}
	c.tempEmpty("the hostile set")
}
