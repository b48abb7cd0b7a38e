package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quinte-media/quinte/client"
	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// cliResult is one run of a CLI command.
type cliResult struct {
	code           int
	stdout, stderr string
}

// quinteCLI runs `quinte ARGS…` in-process with env as its environment.
func quinteCLI(t *testing.T, ctx context.Context, env map[string]string, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := runCLI(ctx, args, testenv.Env(env), &out, &errb)
	t.Logf("quinte %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return cliResult{code, out.String(), errb.String()}
}

// countingProxy stands in front of the API and counts the bytes of tus PATCH bodies it passes on;
// cutAt, when set, is called each time with the count so far.
type countingProxy struct {
	URL     string
	patched atomic.Int64
	mu      sync.Mutex
	cutAt   func(n int64)
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	u, err := url.Parse(target)
	testenv.Must(t, err)
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			r.Body = &proxyBody{ReadCloser: r.Body, p: p}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

type proxyBody struct {
	io.ReadCloser
	p *countingProxy
}

func (b *proxyBody) Read(buf []byte) (int, error) {
	n, err := b.ReadCloser.Read(buf)
	total := b.p.patched.Add(int64(n))
	b.p.mu.Lock()
	cut := b.p.cutAt
	b.p.mu.Unlock()
	if cut != nil {
		cut(total)
	}
	return n, err
}

// TestCLIResumedUpload: `quinte upload` cut off partway (its context cancelled once the server has
// 40% of the file) exits 130 and remembers the upload; the same command run again resumes it, the
// server receiving at most 1.3× the file's bytes in all, and the message becomes ready.
func TestCLIResumedUpload(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		m := startMain(t, config.RoleRun, env)
		proxy := newCountingProxy(t, m.URL)
		cache := t.TempDir()
		cliEnv := map[string]string{"QUINTE_SERVER": proxy.URL, "QUINTE_TOKEN": token, "QUINTE_CACHE_DIR": cache}
		clip := cliClip(t)
		size := fileSize(t, clip)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		proxy.mu.Lock()
		proxy.cutAt = func(n int64) {
			if n >= size*4/10 {
				cancel()
			}
		}
		proxy.mu.Unlock()
		r := quinteCLI(t, ctx, cliEnv, "upload", clip, "--title", "Resumed", "--chunk-size", "64KiB")
		if r.code != exitInterrupted || !strings.Contains(r.stderr, "run the same command again") {
			t.Fatalf("the cut upload: exit %d, want %d with a hint to run it again", r.code, exitInterrupted)
		}
		resumes := &client.Resumes{Path: filepath.Join(cache, "uploads.json")}
		if resumes.Len() != 1 {
			t.Fatalf("after the cut, %d uploads remembered, want 1", resumes.Len())
		}
		first := proxy.patched.Load()
		proxy.mu.Lock()
		proxy.cutAt = nil
		proxy.mu.Unlock()

		r = quinteCLI(t, context.Background(), cliEnv, "upload", "--json", clip, "--title", "Resumed", "--chunk-size", "64KiB")
		if r.code != exitOK {
			t.Fatalf("the resumed upload: exit %d", r.code)
		}
		var got struct{ Uploads []uploadResult }
		testenv.Must(t, json.Unmarshal([]byte(r.stdout), &got))
		if len(got.Uploads) != 1 || got.Uploads[0].ID == "" || got.Uploads[0].ResumedFrom == 0 {
			t.Fatalf("the resumed upload's answer: %s", r.stdout)
		}
		total := proxy.patched.Load()
		t.Logf("file %d bytes; the server received %d before the cut, %d in all (%.2f×), resumed from %d",
			size, first, total, float64(total)/float64(size), got.Uploads[0].ResumedFrom)
		if float64(total) > 1.3*float64(size) {
			t.Errorf("the server received %d bytes for a file of %d: more than 1.3×", total, size)
		}
		if resumes.Len() != 0 {
			t.Errorf("the finished upload is still remembered (%d entries)", resumes.Len())
		}
		id := got.Uploads[0].ID
		r = quinteCLI(t, context.Background(), cliEnv, "status", id, "--wait", "--every", "200ms", "--json")
		var msg client.Message
		testenv.Must(t, json.Unmarshal([]byte(r.stdout), &msg))
		if r.code != exitOK || msg.Status != "ready" || msg.Title != "Resumed" {
			t.Fatalf("status --wait of the resumed upload: exit %d, %s %q", r.code, msg.Status, msg.Title)
		}
		// The message is the whole file: its original has the file's bytes.
		rc, err := m.Store.Open(context.Background(), message.OriginalKey(id), size+1)
		testenv.Must(t, err)
		orig, err := io.ReadAll(rc)
		rc.Close()
		testenv.Must(t, err)
		if !bytes.Equal(orig, mustRead(t, clip)) {
			t.Errorf("the resumed original is %d bytes and differs from the %d-byte file", len(orig), size)
		}
	})
}

// TestCLICommands runs every command of the CLI against `quinte run` on its embedded parts: several
// files uploaded at once with captions on one, status, ls, fetch with --only, kit, invite create with
// its QR code, and the exit code of each kind of failure.
func TestCLICommands(t *testing.T) {
	m := startMain(t, config.RoleRun, embeddedEnv(t))
	env := map[string]string{"QUINTE_SERVER": m.URL, "QUINTE_TOKEN": token, "QUINTE_CACHE_DIR": t.TempDir()}
	bg := context.Background()
	dir := t.TempDir()
	clip := cliClip(t)
	photo := testenv.Corpus(t, "image/exif-orientation/Landscape_6.jpg")

	// Two files at once; --json lists both ids.
	r := quinteCLI(t, bg, env, "upload", "--json", clip, photo, "--artist", "Ada", "--parallel", "2")
	var up struct{ Uploads []uploadResult }
	testenv.Must(t, json.Unmarshal([]byte(r.stdout), &up))
	if r.code != exitOK || len(up.Uploads) != 2 || up.Uploads[0].ID == "" || up.Uploads[1].ID == "" {
		t.Fatalf("upload of two files: exit %d: %s", r.code, r.stdout)
	}
	clipID, photoID := up.Uploads[0].ID, up.Uploads[1].ID

	// Not ready yet: fetch says so (8) unless the clip was quicker than this test.
	if r := quinteCLI(t, bg, env, "fetch", clipID, "--out", dir); r.code != exitNotReady && r.code != exitOK {
		t.Errorf("fetch of a message being processed: exit %d, want %d", r.code, exitNotReady)
	}

	// A text upload (no --json) prints the id and the file; captions go with it.
	srt := filepath.Join(dir, "thanks.srt")
	testenv.Must(t, os.WriteFile(srt, []byte("1\n00:00:00,500 --> 00:00:02,000\nThank you!\n"), 0o644))
	r = quinteCLI(t, bg, env, "upload", clip, "--title", "With captions", "--captions", srt)
	capID, _, _ := strings.Cut(r.stdout, "\t")
	if r.code != exitOK || !strings.Contains(r.stdout, clip) || len(capID) != 26 {
		t.Fatalf("upload with captions: exit %d: %q", r.code, r.stdout)
	}

	for _, id := range []string{clipID, photoID, capID} {
		r := quinteCLI(t, bg, env, "status", id, "--wait", "--every", "200ms")
		if r.code != exitOK || !strings.Contains(r.stdout, id+"\tready") {
			t.Fatalf("status --wait %s: exit %d: %s", id, r.code, r.stdout)
		}
	}
	r = quinteCLI(t, bg, env, "status", capID, "--json")
	var capMsg client.Message
	testenv.Must(t, json.Unmarshal([]byte(r.stdout), &capMsg))
	if !strings.Contains(r.stdout, `"consent"`) {
		t.Errorf("status --json is not the server's whole answer (no consent): %s", r.stdout)
	}
	if !capMsg.Captions || !slices.ContainsFunc(capMsg.Outputs, func(o message.Output) bool { return o.Role == "caption" }) {
		t.Errorf("the message uploaded with --captions has captions %v and no caption output", capMsg.Captions)
	}

	// ls: the three, newest first; --status and --limit reach the server.
	// The list follows the change feed every second: it may lag the record by that much.
	var page client.Page
	for try := 0; try < 20; try++ {
		r = quinteCLI(t, bg, env, "ls", "--json", "--status", "ready", "--limit", "2")
		testenv.Must(t, json.Unmarshal([]byte(r.stdout), &page))
		if len(page.Messages) > 0 && page.Messages[0].ID == capID {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if r.code != exitOK || len(page.Messages) != 2 || page.Messages[0].ID != capID || page.NextBefore == "" {
		t.Errorf("ls --status ready --limit 2: exit %d, %d messages, next %q", r.code, len(page.Messages), page.NextBefore)
	}
	if r := quinteCLI(t, bg, env, "ls"); r.code != exitOK || !strings.Contains(r.stdout, "STATUS") || !strings.Contains(r.stdout, photoID) {
		t.Errorf("ls: exit %d: %s", r.code, r.stdout)
	}

	// fetch --only crops,posters: those outputs, downloaded whole.
	out := filepath.Join(dir, "fetched")
	r = quinteCLI(t, bg, env, "fetch", clipID, "--only", "crops|poster", "--out", out, "--json")
	var f struct{ Files []fetched }
	testenv.Must(t, json.Unmarshal([]byte(r.stdout), &f))
	if r.code != exitOK || len(f.Files) == 0 {
		t.Fatalf("fetch --only crops|poster: exit %d: %s", r.code, r.stdout)
	}
	for _, file := range f.Files {
		if file.Role != "crop" && file.Role != "poster" {
			t.Errorf("fetch --only crops|poster wrote %s (%s)", file.Name, file.Role)
		}
		if fileSize(t, file.Path) != file.Size || file.Size == 0 {
			t.Errorf("%s: %d bytes on disk, %d reported", file.Path, fileSize(t, file.Path), file.Size)
		}
	}
	crop := slices.IndexFunc(f.Files, func(f fetched) bool { return f.Name == "crop/9x16" })
	if crop < 0 {
		t.Fatalf("fetch --only crops wrote no crop/9x16: %+v", f.Files)
	}
	if w, h := testenv.Probe(t, f.Files[crop].Path).DisplaySize(); math.Abs(float64(w)/float64(h)-9.0/16) > 0.02 {
		t.Errorf("the fetched crop/9x16 is %dx%d", w, h)
	}

	// kit: the zip streamed by GET /v1/messages/{id}/kit, where the server has the route.
	kit := filepath.Join(dir, "kit.zip")
	r = quinteCLI(t, bg, env, "kit", clipID, "--out", kit)
	if slices.Contains(m.API.Routes(), "GET /v1/messages/{id}/kit") {
		zr, err := zip.OpenReader(kit)
		if r.code != exitOK || err != nil || len(zr.File) == 0 {
			t.Errorf("kit: exit %d, zip %v", r.code, err)
		}
		if err == nil {
			zr.Close()
		}
		// Into a folder, the kit takes the server's name for it.
		kits := t.TempDir()
		r := quinteCLI(t, bg, env, "kit", clipID, "--out", kits)
		if got, _ := filepath.Glob(filepath.Join(kits, "*_kit.zip")); r.code != exitOK || len(got) != 1 || strings.TrimSpace(r.stdout) != got[0] {
			t.Errorf("kit without --out: exit %d, wrote %v, said %q", r.code, got, r.stdout)
		}
	} else if r.code != exitNotFound {
		t.Errorf("kit on a server without the route: exit %d, want %d", r.code, exitNotFound)
	}

	// invite create: the link (or the token) and a QR code in half blocks; --json the server's answer.
	r = quinteCLI(t, bg, env, "invite", "create", "--label", "Ada", "--uploads", "2", "--expires", "72h", "--prompt", "Say hi", "--prompt", "Show the stage")
	if r.code != exitOK || !strings.ContainsAny(r.stdout, "▀▄") || !strings.Contains(r.stdout, "link (shown once): "+m.URL+"/a/qi_") {
		t.Errorf("invite create: exit %d: %s", r.code, r.stdout)
	}
	r = quinteCLI(t, bg, env, "invite", "create", "--json", "--uploads", "1", "--max-seconds", "30")
	var inv client.Invite
	testenv.Must(t, json.Unmarshal([]byte(r.stdout), &inv))
	if r.code != exitOK || inv.Token == "" || inv.MaxUploads != 1 || inv.MaxSeconds != 30 || !strings.HasSuffix(inv.URL, "/a/"+inv.Token) {
		t.Errorf("invite create --json: exit %d: %s", r.code, r.stdout)
	}
	// The invite's token uploads, and its status is visible to it.
	invEnv := map[string]string{"QUINTE_SERVER": m.URL, "QUINTE_TOKEN": inv.Token, "QUINTE_CACHE_DIR": env["QUINTE_CACHE_DIR"]}
	if r := quinteCLI(t, bg, invEnv, "upload", photo, "--artist", "Ada", "--title", "Hi"); r.code != exitRefused || !strings.Contains(r.stderr, "consent") {
		t.Errorf("upload with an invite token and no consent: exit %d, want %d naming the consent", r.code, exitRefused)
	}
	if r := quinteCLI(t, bg, invEnv, "upload", photo, "--artist", "Ada", "--title", "Hi", "--agree-release", "en"); r.code != exitOK {
		t.Errorf("upload with an invite token: exit %d", r.code)
	}
	if r := quinteCLI(t, bg, invEnv, "upload", photo, "--artist", "Ada", "--title", "Hi", "--agree-release", "en"); r.code != exitAuth {
		t.Errorf("upload with a used-up invite: exit %d, want %d", r.code, exitAuth)
	}

	// Failures, each with its exit code and, with --json, a JSON error on stderr.
	notMedia := filepath.Join(dir, "notes.txt")
	testenv.Must(t, os.WriteFile(notMedia, []byte("not a video at all, just some text\n"), 0o644))
	truncated := filepath.Join(dir, "truncated.mp4")
	testenv.Must(t, os.WriteFile(truncated, mustRead(t, clip)[:64<<10], 0o644))
	closed := closedPort(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want int
	}{
		{"no such message", env, []string{"status", "01m8xvbzk891fc26g3yj035s86"}, exitNotFound},
		{"bad token", map[string]string{"QUINTE_SERVER": m.URL, "QUINTE_TOKEN": "wrong"}, []string{"ls"}, exitAuth},
		{"no token", map[string]string{"QUINTE_SERVER": m.URL}, []string{"ls"}, exitAuth},
		{"no server", map[string]string{"QUINTE_TOKEN": token}, []string{"ls"}, exitUsage},
		{"unknown flag", env, []string{"ls", "--colour"}, exitUsage},
		{"no file", env, []string{"upload", filepath.Join(dir, "missing.mp4")}, exitUsage},
		{"unknown command", env, []string{"frobnicate"}, exitUsage},
		{"server down", map[string]string{"QUINTE_SERVER": closed, "QUINTE_TOKEN": token}, []string{"ls"}, exitServer},
		{"not media", env, []string{"upload", notMedia}, exitRefused},
		{"bad status filter", env, []string{"ls", "--status", "lost"}, exitRefused},
	} {
		r := quinteCLI(t, bg, tc.env, append(tc.args, "--json")...)
		if r.code != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, r.code, tc.want)
		}
		if tc.name == "unknown command" {
			continue
		}
		var e struct {
			Error struct {
				Code string
				Exit int
			}
		}
		if err := json.Unmarshal([]byte(lastLine(r.stderr)), &e); err != nil || e.Error.Code == "" || e.Error.Exit != tc.want {
			t.Errorf("%s: stderr is not a JSON error with its exit code: %q", tc.name, r.stderr)
		}
	}

	// A message that fails in the worker: status --wait exits 6 with the reason.
	r = quinteCLI(t, bg, env, "upload", truncated)
	failID, _, _ := strings.Cut(r.stdout, "\t")
	r = quinteCLI(t, bg, env, "status", failID, "--wait", "--every", "200ms")
	if r.code != exitFailed || !strings.Contains(r.stdout, "failed") {
		t.Errorf("status --wait of a message that fails: exit %d, want %d: %s", r.code, exitFailed, r.stdout)
	}
	if r := quinteCLI(t, bg, env, "fetch", failID); r.code != exitFailed {
		t.Errorf("fetch of a failed message: exit %d, want %d", r.code, exitFailed)
	}
}

// cliClip is a 3 s 320x240 clip at a high bitrate (about 700 kB: enough chunks to cut in the middle).
func cliClip(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "clip.mp4")
	testenv.FFmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-f", "lavfi", "-i", "sine=f=440:d=3",
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", p)
	return p
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// closedPort is the URL of a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testenv.Must(t, err)
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// A command line is the CLI's when its first word is a command, flags before it or not; a role's
// stays the role's.
func TestCLIArgs(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
	}{
		{[]string{"ls", "--json"}, []string{"ls", "--json"}},
		{[]string{"--json", "ls", "--limit", "2"}, []string{"ls", "--json", "--limit", "2"}},
		{[]string{"--server", "http://x", "--token=t", "status", "ID"}, []string{"status", "--server", "http://x", "--token=t", "ID"}},
		{[]string{"help"}, []string{"help"}},
		{[]string{"run"}, nil},
		{[]string{"-config", "ls", "run"}, nil}, // a config file called ls
		{[]string{"-v", "worker"}, nil},
		{[]string{"health", "api"}, nil},
		{nil, nil},
	} {
		got, ok := cliArgs(tc.in)
		if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("cliArgs(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}
