package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/browsertest"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/invite"
)

// The artist's page (issue 10), driven in Chromium with a fake camera. Each test saves its screenshots
// under testdata-out/pages/ at 390×844 and 1280×800, and fails on any console error.

var (
	cameraOnce sync.Once
	cameraFile string
)

// fakeCamera is the Y4M clip (a face) Chromium's fake camera plays, made once per test binary.
func fakeCamera(t *testing.T) string {
	cameraOnce.Do(func() {
		dir, err := os.MkdirTemp("", "quinte-camera-")
		testenv.Must(t, err)
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
	_, tok := pageInvite(t, c, 3)
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
