// Package browsertest drives Debian's Chromium headless (through chromedp) for the tests of quinte's
// pages: a fake camera playing a clip with a face, every console error collected (a test fails on any),
// and screenshots of each state at a phone's and a laptop's size under testdata-out/pages/.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/quinte-media/quinte/internal/testenv"
)

// Chromium is the browser the tests drive: Debian's package (scripts/deps.sh test installs it).
const Chromium = "/usr/bin/chromium"

// Sizes are the two viewports every screenshot is taken at: a phone (390×844, the size of most
// current iPhones) and a laptop.
var Sizes = [][2]int64{{390, 844}, {1280, 800}}

// FakeCamera is a Y4M clip Chromium's fake capture device plays in a loop: a real person's face (the
// corpus's ASL clip), 320×240 at 15 fps, made with ffmpeg into dir.
func FakeCamera(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "camera.y4m")
	testenv.FFmpeg(t, "-i", testenv.Corpus(t, "video/person_asl_gesture_640x480.mkv"),
		"-vf", "scale=320:240,fps=15,format=yuv420p", "-an", "-f", "yuv4mpegpipe", out)
	return out
}

// Browser is one headless Chromium.
type Browser struct {
	t     testing.TB
	ctx   context.Context
	close func()
}

// Start starts Chromium with a fake camera and microphone that need no permission prompt, and stops it
// when the test ends. camera is a Y4M file (FakeCamera); lang is the browser's language (en-GB, it-IT).
func Start(t testing.TB, camera, lang string) *Browser { return start(t, camera, lang, true) }

// StartRefusingCamera starts Chromium as Start does but with the camera and microphone refused, as a
// person who taps "Block": headless, with no prompt to show, Chromium refuses them itself.
func StartRefusingCamera(t testing.TB, camera, lang string) *Browser {
	return start(t, camera, lang, false)
}

func start(t testing.TB, camera, lang string, allow bool) *Browser {
	t.Helper()
	if _, err := exec.LookPath(Chromium); err != nil {
		t.Fatalf("the page tests need Debian's chromium (scripts/deps.sh test installs it): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true), // tests run as root in CI
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", allow),
		chromedp.Flag("use-file-for-fake-video-capture", camera),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Env("LANGUAGE="+strings.ReplaceAll(lang, "-", "_")),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	if err := chromedp.Do(ctx); err != nil {
		cancelB()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	b := &Browser{t: t, ctx: ctx, close: func() { cancelB(); cancelA() }}
	t.Cleanup(b.close)
	return b
}

// Page is one tab.
type Page struct {
	t      testing.TB
	Ctx    context.Context
	cancel func()
	mu     sync.Mutex
	errors []string
	// ExpectedStatus are the HTTP statuses a test expects the page to be answered (a refused file's 415,
	// a closed invite's 410): the browser reports them as console errors, which are not the page's fault.
	ExpectedStatus map[int64]bool
	size           [2]int64
}

// NewPage opens a tab at the phone size, collecting console errors and uncaught exceptions.
func (b *Browser) NewPage(t testing.TB) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	p := &Page{t: t, Ctx: ctx, cancel: cancel, ExpectedStatus: map[int64]bool{}}
	status := map[network.RequestID]int64{}
	err := chromedp.Listen(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				p.errors = append(p.errors, "console.error: "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			p.errors = append(p.errors, fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg))
		case *network.EventResponseReceived:
			status[e.RequestID] = e.Response.Status
		case *cdplog.EventEntryAdded:
			en := e.Entry
			if en.Level != cdplog.EntryLevelError {
				return
			}
			if en.Source == cdplog.EntrySourceNetwork && p.ExpectedStatus[status[en.NetworkRequestID]] {
				return
			}
			p.errors = append(p.errors, fmt.Sprintf("%s error: %s %s", en.Source, en.Text, en.URL))
		}
	})
	if err == nil {
		_, err = chromedp.Call(ctx, network.Enable, network.EnableParams{})
	}
	if err != nil {
		t.Fatalf("open tab: %v", err)
	}
	p.Resize(Sizes[0])
	t.Cleanup(func() {
		p.CheckConsole()
		cancel()
	})
	return p
}

// Run runs actions in the tab, failing the test on an error.
func (p *Page) Run(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 3*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v (console: %v)", err, p.Errors())
	}
}

// Eval evaluates the JavaScript expression js in the tab (awaiting a promise) and decodes its value
// into T.
func Eval[T any](p *Page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("browser: evaluate %s: %v (console: %v)", js, err, p.Errors())
	}
	return v
}

// Errors are the console errors collected so far.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// CheckConsole fails the test on any console error collected, and forgets them.
func (p *Page) CheckConsole() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errors {
		p.t.Errorf("console: %s", e)
	}
	p.errors = nil
}

// Resize sets the viewport: a touch phone under 600 px wide, a desktop otherwise.
func (p *Page) Resize(size [2]int64) {
	p.t.Helper()
	p.size = size
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if size[0] < 600 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.Run(chromedp.EmulateViewport(size[0], size[1], opts...))
	_ = p.size
}

// Shot saves the whole page at both Sizes as testdata-out/pages/<name>-<w>x<h>.png (under the
// repository root) and checks that the phone size has no horizontal scroll. The tab is left at the
// phone size.
func (p *Page) Shot(name string) {
	p.t.Helper()
	dir := filepath.Join(testenv.RepoRoot(p.t), "testdata-out", "pages")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	for _, size := range Sizes {
		p.Resize(size)
		time.Sleep(150 * time.Millisecond) // a layout pass after the resize
		overflow := Eval[bool](p, `document.documentElement.scrollWidth > window.innerWidth`)
		ctx, cancel := context.WithTimeout(p.Ctx, time.Minute)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			p.t.Fatalf("screenshot %s: %v", name, err)
		}
		if overflow {
			p.t.Errorf("%s at %dx%d scrolls sideways", name, size[0], size[1])
		}
		file := filepath.Join(dir, fmt.Sprintf("%s-%dx%d.png", name, size[0], size[1]))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
	p.Resize(Sizes[0])
}

// SmallTargets lists the visible buttons, links and inputs smaller than 44×44 CSS pixels.
func (p *Page) SmallTargets() []string {
	p.t.Helper()
	return Eval[[]string](p, `Array.from(document.querySelectorAll('button, a, input, label.btn, select')).filter(function (e) {
		var r = e.getBoundingClientRect();
		if (e.type === 'file' && e.closest('label')) return false; // the label is the target
		if (r.width === 0 && r.height === 0) return false; // hidden
		var s = getComputedStyle(e);
		if (s.visibility === 'hidden' || s.opacity === '0') return false;
		var target = e.type === 'checkbox' && e.closest('label') ? e.closest('label').getBoundingClientRect() : r;
		return target.width < 44 || target.height < 44;
	}).map(function (e) { return (e.dataset.testid || e.id || e.tagName) + ' ' + Math.round(e.getBoundingClientRect().width) + 'x' + Math.round(e.getBoundingClientRect().height); })`)
}

// Throttle limits the tab's upload (and download) to bytesPerSec; 0 lifts the limit.
func (p *Page) Throttle(bytesPerSec float64) {
	p.t.Helper()
	params := emulateNetworkConditionsParams{Latency: 20, DownloadThroughput: bytesPerSec, UploadThroughput: bytesPerSec}
	if bytesPerSec == 0 {
		params = emulateNetworkConditionsParams{DownloadThroughput: -1, UploadThroughput: -1}
	}
	if _, err := chromedp.Call(p.Ctx, emulateNetworkConditions, params); err != nil {
		p.t.Fatalf("throttle: %v", err)
	}
}

// emulateNetworkConditions is Network.emulateNetworkConditions, which throttles a tab's uploads too.
// Deprecated in the protocol (cdproto no longer lists it), it is what Chromium still applies to a
// request body; its successor, emulateNetworkConditionsByRule, refuses a rule for every URL here.
var emulateNetworkConditions = cdp.Command[emulateNetworkConditionsParams, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

type emulateNetworkConditionsParams struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

// WaitFor polls js (an expression) until it is true.
func (p *Page) WaitFor(what, js string, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		// Only a document parsed to its end is asked: while a page loads, a condition on its top part
		// can hold before the rows further down exist.
		ctx, cancel := context.WithTimeout(p.Ctx, 10*time.Second)
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState`))
		ok := false
		if err == nil && state != "loading" {
			ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		}
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			state, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`(document.querySelector('[data-testid=status]')||{}).textContent + ' | ' + (document.querySelector('[data-testid=error]')||{}).textContent + ' | ' + (document.querySelector('#progress-text')||{}).textContent`))
			p.t.Fatalf("waited %s for %s (%s); page: %s; console: %v", within, what, js, state, p.Errors())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Text is the textContent of the element matching sel.
func (p *Page) Text(sel string) string {
	p.t.Helper()
	return Eval[string](p, fmt.Sprintf(`(document.querySelector(%q)||{textContent:''}).textContent`, sel))
}

// SetFile sets the file of the file input matching sel (a CSS selector).
func (p *Page) SetFile(sel, path string) {
	p.t.Helper()
	p.Run(chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
}

// TestID is the CSS selector of data-testid id.
func TestID(id string) string { return `[data-testid="` + id + `"]` }

// Click clicks the element with data-testid id once it is visible.
func (p *Page) Click(id string) {
	p.t.Helper()
	p.Run(chromedp.WaitVisible(chromedp.CSS(TestID(id))), chromedp.Click(chromedp.CSS(TestID(id)), chromedp.NodeVisible))
}

// Type types text into the element with data-testid id.
func (p *Page) Type(id, text string) {
	p.t.Helper()
	p.Run(chromedp.WaitVisible(chromedp.CSS(TestID(id))), chromedp.SendKeys(chromedp.CSS(TestID(id)), text))
}
