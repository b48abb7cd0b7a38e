package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/browsertest"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/invite"
	"github.com/quinte-media/quinte/message"
)

// The artist's page (issue 10), driven in Chromium with a fake camera. Each test saves its screenshots
// under testdata-out/pages/ at 390×844 and 1280×800, and fails on any console error.

var (
	cameraOnce sync.Once
	cameraFile string
)

// fakeCamera is the Y4M clip (a face) Chromium's fake camera plays, made once per test binary under
// testdata-out/ (ignored by git; no temporary directory left behind).
func fakeCamera(t *testing.T) string {
	cameraOnce.Do(func() {
		dir := filepath.Join(testenv.RepoRoot(t), "testdata-out", "camera")
		testenv.Must(t, os.MkdirAll(dir, 0o755))
		cameraFile = browsertest.FakeCamera(t, dir)
	})
	return cameraFile
}

// pageInvite creates an invite and returns its id and token.
func pageInvite(t *testing.T, c *testenv.Client, uploads int) (string, string) {
	t.Helper()
	return createInvite(t, c, fmt.Sprintf(`{"label":"page test","max_uploads":%d,"expires_in":"24h","prompts":["Who are you, and where are you playing tonight?","A word for the crew"]}`, uploads))
}

// openArtistPage opens the invite's page in a new tab and waits for its script to have loaded the invite.
func openArtistPage(t *testing.T, b *browsertest.Browser, base, tok string) *browsertest.Page {
	t.Helper()
	p := b.NewPage(t)
	p.Run(chromedp.Navigate(base + "/a/" + tok))
	p.WaitFor("the invite loaded", `document.getElementById('limit') && document.getElementById('limit').textContent !== ''`, 30*time.Second)
	return p
}

// fillDetails types the artist and title, waits for the release text and agrees.
func fillDetails(p *browsertest.Page, artist, title string) {
	p.Type("artist", artist)
	p.Type("title", title)
	p.WaitFor("the release text", `!document.querySelector('[data-testid=consent]').disabled`, 30*time.Second)
	p.Click("consent")
}

// TestArtistPageClosedLinks: an unknown and a malformed token get the same page (and status), an
// expired and a withdrawn invite pages of their own, each with the security headers, in the browser's
// language or the one asked for; no page has console errors.
func TestArtistPageClosedLinks(t *testing.T) {
	m := startMain(t, config.RoleRun, embeddedEnv(t))
	c := &testenv.Client{Base: m.URL, Token: token}
	expiredID, expiredTok := pageInvite(t, c, 3)
	withdrawnID, withdrawnTok := pageInvite(t, c, 3)
	if s, _, _ := c.Do(t, "DELETE", "/v1/invites/"+withdrawnID, nil, nil); s != http.StatusOK {
		t.Fatalf("withdraw invite: %d", s)
	}
	// Expire the invite in the bucket: the book has no way to do it before its time.
	book := &invite.Book{Store: m.Store}
	inv, err := book.Get(context.Background(), expiredID)
	testenv.Must(t, err)
	inv.ExpiresAt = time.Now().Add(-time.Hour)
	testenv.Must(t, m.Store.PutJSON(context.Background(), invite.Key(expiredID), inv))

	get := func(path, lang string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("GET", m.URL+path, nil)
		req.Header.Set("Accept-Language", lang)
		resp, err := http.DefaultClient.Do(req)
		testenv.Must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	unknownTok := "qi_" + expiredID[:len(expiredID)-1] + "x_" + strings.Repeat("ab", 32)
	s1, b1, h := get("/a/"+unknownTok, "en")
	s2, b2, _ := get("/a/not-a-token", "en")
	s3, b3, _ := get("/a/"+expiredTok[:len(expiredTok)-2]+"00", "en") // the right invite, the wrong secret
	if s1 != http.StatusNotFound || s1 != s2 || b1 != b2 || s1 != s3 || b1 != b3 {
		t.Errorf("unknown, malformed and wrong-secret tokens must look the same: %d, %d, %d; bodies equal %v %v", s1, s2, s3, b1 == b2, b1 == b3)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'", "style-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers: CSP %q, Referrer-Policy %q, nosniff %q", csp, h.Get("Referrer-Policy"), h.Get("X-Content-Type-Options"))
	}
	if strings.Contains(b1, "<script>") || strings.Contains(b1, "style=") || strings.Contains(b1, unknownTok) {
		t.Errorf("the page has inline script or style, or repeats the token:\n%s", b1)
	}
	if s, b, _ := get("/a/"+expiredTok, "it-IT,it;q=0.9"); s != http.StatusGone || !strings.Contains(b, "è scaduto") {
		t.Errorf("expired invite in Italian: %d\n%s", s, b)
	}

	br := browsertest.Start(t, fakeCamera(t), "en-GB")
	for _, tc := range []struct{ name, tok, kind, want string }{
		{"closed-unknown", unknownTok, "unknown", "This link does not work"},
		{"closed-expired", expiredTok, "expired", "This link has expired"},
		{"closed-withdrawn", withdrawnTok, "withdrawn", "This link was withdrawn"},
	} {
		p := br.NewPage(t)
		p.ExpectedStatus[404], p.ExpectedStatus[410] = true, true
		p.Run(chromedp.Navigate(m.URL + "/a/" + tc.tok))
		p.WaitFor("the page", `document.querySelector('[data-testid=closed]') !== null`, 20*time.Second)
		if got := p.Text("h1"); got != tc.want {
			t.Errorf("%s: h1 %q, want %q", tc.name, got, tc.want)
		}
		if small := p.SmallTargets(); len(small) > 0 {
			t.Errorf("%s: touch targets under 44 px: %v", tc.name, small)
		}
		p.Shot(tc.name)
	}
	// The switch is a link to the other language, remembered for the next page.
	p := br.NewPage(t)
	p.ExpectedStatus[410] = true
	p.Run(chromedp.Navigate(m.URL + "/a/" + expiredTok))
	p.WaitFor("the page", `document.querySelector('[data-testid=lang]') !== null`, 20*time.Second)
	p.Click("lang")
	p.WaitFor("the Italian page", `document.documentElement.lang === 'it'`, 20*time.Second)
	if got := p.Text("h1"); got != "Questo link è scaduto" {
		t.Errorf("after the switch: h1 %q", got)
	}
	p.Shot("closed-expired-it")
	p.Run(chromedp.Navigate(m.URL + "/a/" + withdrawnTok))
	p.WaitFor("the remembered language", `document.documentElement.lang === 'it' && document.querySelector('h1').textContent === 'Questo link è stato ritirato'`, 20*time.Second)
}

// TestArtistPageItalianAndRefusedFile: a browser in Italian gets the page in Italian; the switch to
// English is remembered across a reload; a text file named .mp4 is refused with its reason in the
// page's language; the page fits a phone with no sideways scroll and no target under 44 px.
func TestArtistPageItalianAndRefusedFile(t *testing.T) {
	m := startMain(t, config.RoleRun, embeddedEnv(t))
	c := &testenv.Client{Base: m.URL, Token: token}
	// Recordings of at most 4 s: the voice note below stops by itself.
	_, tok := createInvite(t, c, `{"label":"page test","max_uploads":3,"max_seconds":4,"prompts":["Who are you, and where are you playing tonight?","A word for the crew"]}`)
	br := browsertest.Start(t, fakeCamera(t), "it-IT")
	p := openArtistPage(t, br, m.URL, tok)
	if got := p.Text("h1"); got != "Registra un messaggio" {
		t.Errorf("Italian browser: h1 %q", got)
	}
	if got := p.Text("#prompt-list li"); got != "Who are you, and where are you playing tonight?" {
		t.Errorf("first prompt %q", got)
	}
	if small := p.SmallTargets(); len(small) > 0 {
		t.Errorf("touch targets under 44 px: %v", small)
	}
	p.Shot("artist-start-it")

	fake := filepath.Join(t.TempDir(), "message.mp4")
	testenv.Must(t, os.WriteFile(fake, []byte(strings.Repeat("this is a text file, not a video\n", 200)), 0o644))
	p.ExpectedStatus[415] = true
	p.SetFile(`[data-testid="file"]`, fake)
	fillDetails(p, "Ada Lovelace", "<b>Grazie</b> a tutti")
	p.Shot("artist-details-it")
	p.Click("submit")
	p.WaitFor("the refusal", `!document.querySelector('[data-testid=error]').hidden`, time.Minute)
	if got := p.Text(browsertest.TestID("error")); !strings.Contains(got, "non è un video") {
		t.Errorf("refused file: error %q, want the Italian reason", got)
	}
	p.Shot("artist-refused-it")

	p.Click("lang")
	p.WaitFor("English", `document.documentElement.lang === 'en'`, 10*time.Second)
	if got := p.Text(browsertest.TestID("error")); !strings.Contains(got, "is not a video") {
		t.Errorf("refusal after switching to English: %q", got)
	}
	p.Run(chromedp.Reload())
	p.WaitFor("the invite loaded", `document.getElementById('limit') && document.getElementById('limit').textContent !== ''`, 30*time.Second)
	if got := p.Text("h1"); got != "Record a message" {
		t.Errorf("after a reload, the language chosen is not remembered: h1 %q", got)
	}
	p.Shot("artist-start-en")

	// The camera on, switched to the back one; then a voice note, recorded and heard back.
	p.Run(chromedp.Click(chromedp.CSS("#start-camera"), chromedp.NodeVisible))
	p.WaitFor("the camera", `document.getElementById('live').readyState >= 2`, 20*time.Second)
	p.Click("switch-camera")
	p.WaitFor("the other camera", `document.getElementById('live').readyState >= 2 && !document.getElementById('live').classList.contains('mirror')`, 20*time.Second)
	p.Shot("artist-camera-on")
	p.Click("voice-note")
	p.Click("record")
	p.WaitFor("recording", `!document.getElementById('timer').hidden`, 20*time.Second)
	time.Sleep(2 * time.Second)
	if got := p.Text("#timer-text"); !strings.HasSuffix(got, "/ 0:04") {
		t.Errorf("the timer shows %q, want the invite's 4 s limit", got)
	}
	p.Shot("artist-voice-recording")
	// No stop: the recording ends at the invite's max_seconds.
	p.WaitFor("the voice note's preview", `!document.getElementById('preview-audio').hidden && document.getElementById('preview-audio').readyState >= 1 && document.getElementById('preview-video').hidden`, 20*time.Second)
	p.Shot("artist-voice-preview")
	p.Click("retake")
	p.WaitFor("the recorder again", `!document.querySelector('[data-testid=record]').hidden && document.getElementById('preview').hidden`, 20*time.Second)

	// A browser without MediaRecorder (an old one, or one that blocks it): the page says it cannot
	// record here and offers the phone's own camera and the file picker.
	r := br.NewPage(t)
	r.Run(chromedp.Navigate("about:blank")) // the tab exists once something ran in it
	_, err := chromedp.Call(r.Ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `delete window.MediaRecorder`})
	testenv.Must(t, err)
	r.Run(chromedp.Navigate(m.URL + "/a/" + tok))
	r.WaitFor("the invite loaded", `document.getElementById('limit').textContent !== ''`, 30*time.Second)
	r.WaitFor("the explanation", `!document.getElementById('camera-problem').hidden`, 20*time.Second)
	if !browsertest.Eval[bool](r, `document.querySelector('[data-testid=record]').disabled`) {
		t.Error("without MediaRecorder the record button is offered")
	}
	if key := browsertest.Eval[string](r, `document.getElementById('camera-problem').dataset.key`); key != "no_recorder" {
		t.Errorf("without MediaRecorder the page explains %q, want no_recorder", key)
	}
	if offered := browsertest.Eval[bool](r, `!document.getElementById('native-camera').closest('[hidden]') && !!document.querySelector('[data-testid=file]')`); !offered {
		t.Error("without MediaRecorder the phone's own camera and the file picker are not offered")
	}
	r.Shot("artist-no-recorder")

	// A camera refused: the page says so and offers the phone's own camera; picking a file still works.
	q := browsertest.StartRefusingCamera(t, fakeCamera(t), "en-GB").NewPage(t)
	q.Run(chromedp.Navigate(m.URL + "/a/" + tok))
	q.WaitFor("the invite loaded", `document.getElementById('limit').textContent !== ''`, 30*time.Second)
	q.Click("record")
	q.WaitFor("the refusal", `!document.getElementById('camera-problem').hidden`, 20*time.Second)
	if got := q.Text("#camera-problem-text"); !strings.Contains(got, "not allowed") {
		t.Errorf("camera refused: %q", got)
	}
	if accept := browsertest.Eval[string](q, `document.getElementById('native-camera').accept + ' ' + document.getElementById('native-camera').hasAttribute('capture')`); accept != "video/* true" {
		t.Errorf("the phone's own camera is offered as %q", accept)
	}
	q.Shot("artist-camera-refused")

	// A file longer than the invite allows is made into nothing, and the page says why in its words.
	q.SetFile(`[data-testid="file"]`, testenv.Clip(t, t.TempDir(), 8, 160, 120, 15))
	const markup = `<b>Too</b> long <img src=x onerror="document.title='owned'">`
	fillDetails(q, "Ada <i>L</i>", markup)
	q.Click("submit")
	q.WaitFor("the failure", `document.querySelector('[data-testid=status]').dataset.state === 'failed'`, 2*time.Minute)
	if got := q.Text(browsertest.TestID("status")); !strings.Contains(got, "longer than the 4 seconds this link allows") {
		t.Errorf("too long: the page says %q", got)
	}
	// What the artist typed is shown as the text it is, never as markup.
	q.WaitFor("the message listed", `!!document.querySelector('.message .message-title')`, 10*time.Second)
	if got := q.Text(".message .message-title"); got != markup {
		t.Errorf("the title typed shows as %q, want the text %q", got, markup)
	}
	if n := browsertest.Eval[int](q, `document.querySelectorAll('.message b, .message i, .message img[src="x"]').length`); n != 0 || !strings.HasPrefix(q.Text(".message .message-sub"), "Ada <i>L</i>") {
		t.Errorf("typed text became %d elements; the artist shows as %q", n, q.Text(".message .message-sub"))
	}
	q.Shot("artist-failed-too-long")
}

// freeAddr is a loopback address nobody listens on, so a restarted quinte keeps its address (the page
// resumes at the URL it was given).
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	testenv.Must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// recordSeconds is how long TestArtistPageRecordsAndSends records: 4 s, or QUINTE_PAGE_RECORD_SECONDS
// (20 for the figure of the README: from the last byte sent to the poster on screen).
func recordSeconds() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("QUINTE_PAGE_RECORD_SECONDS"), &n); err == nil && n > 0 {
		return n
	}
	return 4
}

// TestArtistPageRecordsAndSends is the artist's whole visit on both backends: open the link, record
// with the fake camera (the prompts on screen), preview, name and title, agree to the release, send,
// watch it being made, see its poster and its 9:16 crop playing, then withdraw it and find no media of
// it left in S3.
func TestArtistPageRecordsAndSends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		m, logs := startMainLogged(t, env)
		c := &testenv.Client{Base: m.URL, Token: token}
		_, tok := pageInvite(t, c, 2)
		defer func() {
			if strings.Contains(logs.String(), tok) || strings.Contains(logs.String(), tok[len(tok)-64:]) {
				t.Error("the invite token is in quinte's log")
			}
		}()
		// The whole visit in both languages: in English on the embedded parts, in Italian on
		// versitygw (each language's screenshots at both sizes).
		locale, lang, ready := "en-GB", "en", "Your message is ready. Thank you!"
		if strings.HasSuffix(t.Name(), "/versitygw") {
			locale, lang, ready = "it-IT", "it", "Il tuo messaggio è pronto. Grazie!"
		}
		br := browsertest.Start(t, fakeCamera(t), locale)
		p := openArtistPage(t, br, m.URL, tok)
		shot := func(name string) {
			if lang == "en" {
				p.Shot(name)
			} else {
				p.Shot("artist-visit-" + lang + "-" + strings.TrimPrefix(name, "artist-"))
			}
		}
		shot("artist-start")

		p.Click("record")
		p.WaitFor("the countdown", `!document.getElementById('countdown').hidden`, 20*time.Second)
		shot("artist-countdown")
		p.WaitFor("recording", `!document.getElementById('timer').hidden`, 10*time.Second)
		time.Sleep(1500 * time.Millisecond)
		if got := p.Text("#prompts-overlay li"); got != "Who are you, and where are you playing tonight?" {
			t.Errorf("while recording, the first prompt on screen is %q", got)
		}
		shot("artist-recording")
		time.Sleep(time.Duration(recordSeconds())*time.Second - 1500*time.Millisecond)
		p.Click("stop")
		p.WaitFor("the preview", `!document.getElementById('preview').hidden && document.getElementById('preview-video').readyState >= 1`, 20*time.Second)
		shot("artist-preview")
		p.Click("use-recording")
		fillDetails(p, "  Ada   Lovelace ", "Thank you, crew")
		if small := p.SmallTargets(); len(small) > 0 {
			t.Errorf("the form has touch targets under 44 px: %v", small)
		}
		shot("artist-details")
		p.Click("submit")
		p.WaitFor("the upload", `!document.getElementById('result').hidden`, 2*time.Minute)
		shot("artist-processing")
		p.WaitFor("made", `['ready', 'failed'].indexOf(document.querySelector('[data-testid=status]').dataset.state) >= 0`, 3*time.Minute)
		if p.Text(browsertest.TestID("status")) != ready {
			keepOriginal(t, m, browsertest.Eval[string](p, `document.querySelector('.message').dataset.id`))
			t.Fatalf("the recording was not made: %s", p.Text(browsertest.TestID("status")))
		}
		p.WaitFor("the poster and the crop playing", `(function () {
			var img = document.querySelector('[data-testid=poster]'), v = document.querySelector('[data-testid=crop]');
			return img.complete && img.naturalWidth > 0 && v.readyState >= 2 && !v.paused;
		})()`, time.Minute)
		last := browsertest.Eval[float64](p, `Number(document.getElementById('result').dataset.uploadedAt)`)
		poster := browsertest.Eval[float64](p, `Number(document.getElementById('result').dataset.posterAt)`)
		// The poster is published before the main pass: it is usually on screen while the message is still
		// processing (logged, not asserted: a short recording may be made between two polls).
		t.Logf("artist page, %d s recording (%s): last byte sent to poster on screen %.1f s, the message then %s",
			recordSeconds(), strings.TrimPrefix(t.Name(), "TestArtistPageRecordsAndSends/"), (poster-last)/1000,
			browsertest.Eval[string](p, `document.getElementById('result').dataset.posterWhile || ''`))
		if got := p.Text(".message .message-sub"); !strings.HasPrefix(got, "Ada Lovelace") {
			t.Errorf("the list shows %q: the name is not trimmed", got)
		}
		if small := p.SmallTargets(); len(small) > 0 {
			t.Errorf("the ready page has touch targets under 44 px: %v", small)
		}
		shot("artist-ready")

		id := browsertest.Eval[string](p, `document.querySelector('.message').dataset.id`)
		var msg struct {
			Artist, Title string
			Consent       message.Consent
		}
		_, body, _ := c.Do(t, "GET", "/v1/messages/"+id, nil, nil)
		testenv.Must(t, json.Unmarshal(body, &msg))
		if msg.Artist != "Ada Lovelace" || msg.Title != "Thank you, crew" {
			t.Errorf("the message records artist %q, title %q", msg.Artist, msg.Title)
		}
		if !msg.Consent.Recorded || msg.Consent.Lang != lang || msg.Consent.SHA256 == "" {
			t.Errorf("the message's consent: %+v, want the release agreed to in %q", msg.Consent, lang)
		}
		p.Click("withdraw")
		p.WaitFor("the confirmation", `document.querySelector('.message.confirming') !== null`, 10*time.Second)
		shot("artist-withdraw-confirm")
		p.Click("withdraw")
		p.WaitFor("withdrawn", `document.querySelector('.message').dataset.state === 'revoked' && document.querySelector('[data-testid=status]').dataset.state === 'revoked'`, time.Minute)
		shot("artist-withdrawn")
		p.Run(chromedp.Click(chromedp.CSS("#another"), chromedp.NodeVisible))
		p.WaitFor("the recorder again", `!document.getElementById('capture').hidden && document.getElementById('result').hidden && !document.querySelector('[data-testid=record]').disabled`, 10*time.Second)
		for _, prefix := range []string{"messages/" + id + "/", "originals/" + id + "/"} {
			keys, err := m.Store.List(context.Background(), prefix)
			testenv.Must(t, err)
			for _, k := range keys {
				if !strings.HasSuffix(k, ".json") {
					t.Errorf("after withdrawal S3 still holds %s", k)
				}
			}
		}
	})
}

// pageProxy forwards to whichever quinte is up (target), counting the bytes of every tus PATCH
// body it passes on, and answers 502 while none is.
type pageProxy struct {
	log     func(string, ...any)
	mu      sync.Mutex
	target  string
	patched int64
}

func (cp *pageProxy) set(target string) { cp.mu.Lock(); cp.target = target; cp.mu.Unlock() }

func (cp *pageProxy) bytes() int64 { cp.mu.Lock(); defer cp.mu.Unlock(); return cp.patched }

func (cp *pageProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cp.mu.Lock()
	target := cp.target
	cp.mu.Unlock()
	if target == "" {
		http.Error(w, "quinte is down", http.StatusBadGateway)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	req.Host = r.Host // tusd builds the upload's URL from it: the proxy's
	req.ContentLength = r.ContentLength
	var body *pageProxyBody
	if r.Method == http.MethodPatch {
		body = &pageProxyBody{ReadCloser: r.Body, cp: cp}
		req.Body = body
		cp.log("PATCH at offset %s, %d bytes", r.Header.Get("Upload-Offset"), r.ContentLength)
		defer func() {
			cp.log("PATCH answered: offset %s, %d bytes in all so far", w.Header().Get("Upload-Offset"), cp.bytes())
		}()
	}
	if r.Method == http.MethodHead {
		defer func() { cp.log("HEAD: offset %s", w.Header().Get("Upload-Offset")) }()
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if body != nil {
		// Once quinte has answered, it reads no more: what the transport may still pull from the
		// browser goes nowhere and is not counted.
		body.stop()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

type pageProxyBody struct {
	io.ReadCloser
	cp      *pageProxy
	stopped bool // guarded by cp.mu
}

func (b *pageProxyBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.cp.mu.Lock()
	if !b.stopped {
		b.cp.patched += int64(n)
	}
	b.cp.mu.Unlock()
	return n, err
}

func (b *pageProxyBody) stop() { b.cp.mu.Lock(); b.stopped = true; b.cp.mu.Unlock() }

// TestArtistPageUploadSurvivesReloadAndRestart picks the iPhone's Dolby Vision clip on a slow network,
// reloads the page halfway (the upload resumes from IndexedDB, the page says so), then stops quinte and
// starts it again on the same data: the upload finishes without starting over (the PATCH bytes, counted
// on the way in, stay under 1.3× the file), and the message is made.
func TestArtistPageUploadSurvivesReloadAndRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		env["QUINTE_ADDR"] = freeAddr(t)
		m := startMain(t, config.RoleRun, env)
		c := &testenv.Client{Base: m.URL, Token: token}
		_, tok := pageInvite(t, c, 1)
		proxy := &pageProxy{target: m.URL, log: t.Logf}
		front := &http.Server{Handler: proxy}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		testenv.Must(t, err)
		go func() { _ = front.Serve(ln) }()
		t.Cleanup(func() { _ = front.Close() })
		base := "http://" + ln.Addr().String()

		clip := testenv.Corpus(t, "video/iphone14pro_dolbyvision_hlg_portrait.mov")
		fi, err := os.Stat(clip)
		testenv.Must(t, err)
		br := browsertest.Start(t, fakeCamera(t), "en-GB")
		p := openArtistPage(t, br, base, tok)
		p.ExpectedStatus[502], p.ExpectedStatus[503] = true, true
		p.SetFile(`[data-testid="file"]`, clip)
		fillDetails(p, "Ada", "From the iPhone")
		p.Throttle(float64(fi.Size()) / 24) // about 24 s for the whole file
		p.Click("submit")
		// What the server has received, counted on the way in (the browser's own progress runs ahead of
		// it on a throttled network: Chromium reports a block as sent before it trickles out).
		waitBytes := func(what string, n int64) {
			t.Helper()
			deadline := time.Now().Add(2 * time.Minute)
			for proxy.bytes() < n {
				if time.Now().After(deadline) {
					t.Fatalf("waited for %s: %d bytes received", what, proxy.bytes())
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		waitBytes("a third of the file", fi.Size()/3)
		shot := t.Name() == "TestArtistPageUploadSurvivesReloadAndRestart/embedded"
		if shot {
			p.Shot("artist-uploading")
		}

		// A reload: the page finds the file in IndexedDB and carries on from the server's offset.
		p.Run(chromedp.Reload())
		p.WaitFor("the resumed upload", `!document.querySelector('[data-testid=resumed]').hidden && !document.getElementById('upload').hidden`, 30*time.Second)
		p.Throttle(float64(fi.Size()) / 24)
		p.WaitFor("progress after the reload", fmt.Sprintf(`Number(document.getElementById('progress').dataset.sent || 0) >= %d`, fi.Size()/4), 30*time.Second)
		if shot {
			p.Shot("artist-resumed")
		}

		// Pause holds the upload where it is; resume carries on.
		p.Click("pause")
		p.WaitFor("paused", `!document.querySelector('[data-testid=resume]').hidden && document.querySelector('[data-testid=pause]').hidden`, 10*time.Second)
		held := proxy.bytes()
		time.Sleep(1500 * time.Millisecond)
		if moved := proxy.bytes() - held; moved > 0 {
			t.Errorf("paused, yet %d more bytes arrived", moved)
		}
		if shot {
			p.Shot("artist-paused")
		}
		p.Click("resume")

		// quinte stops two thirds in and starts again on the same data.
		waitBytes("two thirds of the file", fi.Size()*2/3)
		proxy.set("")
		testenv.Must(t, m.Close())
		time.Sleep(2 * time.Second)
		m = startMain(t, config.RoleRun, env)
		proxy.set(m.URL)
		p.Throttle(0)
		p.WaitFor("the upload finished", `!document.getElementById('result').hidden`, 3*time.Minute)
		if got, limit := proxy.bytes(), fi.Size()*13/10; got > limit {
			t.Errorf("PATCH bodies carried %d bytes for a %d-byte file: more than 1.3× (the upload started over)", got, fi.Size())
		} else {
			t.Logf("PATCH bodies carried %d bytes for a %d-byte file (%.2f×) across a reload, a pause and a restart", got, fi.Size(), float64(got)/float64(fi.Size()))
		}
		p.WaitFor("ready", `document.querySelector('[data-testid=status]').dataset.state === 'ready'`, 3*time.Minute)
		if n := browsertest.Eval[float64](p, `document.querySelectorAll('.message').length`); n != 1 {
			t.Errorf("the invite lists %v messages, want 1", n)
		}
		pending := browsertest.Eval[float64](p, `new Promise(function (ok) { var r = indexedDB.open('quinte', 1); r.onsuccess = function () { var q = r.result.transaction('pending').objectStore('pending').count(); q.onsuccess = function () { ok(q.result); }; }; })`)
		if pending != 0 {
			t.Errorf("IndexedDB still holds %v uploads after the upload finished", pending)
		}
		if shot {
			p.Shot("artist-ready-picked")
		}

		// That was the invite's last upload: no "send another", and the link now opens a page of its own
		// that still lists the message, with its withdraw button.
		if !browsertest.Eval[bool](p, `document.getElementById('another').hidden && !document.getElementById('no-more').hidden`) {
			t.Error("the invite has no uploads left, yet the page offers another")
		}
		p.Run(chromedp.Navigate(base + "/a/" + tok))
		p.WaitFor("the used-up page and its list", `document.querySelector('[data-testid=closed]') !== null && document.querySelectorAll('.message [data-testid=withdraw]').length === 1`, 30*time.Second)
		if got := p.Text("h1"); got != "All uploads of this link are used" {
			t.Errorf("used-up invite: h1 %q", got)
		}
		if shot {
			p.Shot("closed-used-up")
		}
	})
}

// startMainLogged is startMain keeping quinte's log (at debug level) for the test to read, as well as
// in the test's output.
func startMainLogged(t *testing.T, env map[string]string) (*Main, *lockedBuffer) {
	t.Helper()
	cfg, err := config.Load("", testenv.Env(env))
	testenv.Must(t, err)
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewMain(cfg, config.RoleRun, log, io.Discard)
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, logs
}

// keepOriginal saves a message's original under testdata-out/pages/ and logs what ffprobe says of it,
// for a recording the pipeline refused.
func keepOriginal(t *testing.T, m *Main, id string) {
	rc, err := m.Store.Open(context.Background(), message.OriginalKey(id), 1<<30)
	if err != nil {
		t.Logf("original of %s: %v", id, err)
		return
	}
	defer rc.Close()
	path := filepath.Join(testenv.RepoRoot(t), "testdata-out", "pages", "refused-recording-"+id)
	f, err := os.Create(path)
	testenv.Must(t, err)
	_, _ = io.Copy(f, rc)
	f.Close()
	out, _ := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,r_frame_rate,avg_frame_rate,time_base,nb_frames:format=duration", "-of", "compact", path).CombinedOutput()
	t.Logf("kept the refused recording at %s: %s", path, out)
}

// TestArtistPageStorageDown: S3 stops as the artist sends; the page says to try again in a minute and
// keeps trying (the file stays on the device), and once S3 is back the message arrives and is made.
func TestArtistPageStorageDown(t *testing.T) {
	redis := testenv.Redis(t)
	s3, s3cfg := testenv.S3(t)
	env := map[string]string{
		"QUINTE_ADDR": "127.0.0.1:0", "QUINTE_DATA_DIR": t.TempDir(), "QUINTE_TEAM_TOKEN": token,
		"QUINTE_REDIS_URL": redis.URL(), "QUINTE_S3_ENDPOINT": s3cfg.Endpoint, "QUINTE_S3_BUCKET": s3cfg.Bucket,
		"AWS_ACCESS_KEY_ID": s3cfg.AccessKey, "AWS_SECRET_ACCESS_KEY": s3cfg.SecretKey,
	}
	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	_, tok := pageInvite(t, c, 2)
	br := browsertest.Start(t, fakeCamera(t), "en-GB")
	p := openArtistPage(t, br, m.URL, tok)
	p.ExpectedStatus[503] = true
	p.SetFile(`[data-testid="file"]`, testenv.Corpus(t, "video/iphone14pro_dolbyvision_hlg_portrait.mov"))
	fillDetails(p, "Ada", "While the storage was down")

	s3.Stop()
	p.Click("submit")
	p.WaitFor("the storage message", `document.getElementById('progress-text').textContent.indexOf('storage is not answering') >= 0`, time.Minute)
	p.Shot("artist-storage-down")
	s3.Start()
	p.WaitFor("ready once S3 is back", `document.querySelector('[data-testid=status]').dataset.state === 'ready'`, 4*time.Minute)
}
