package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
)

// teamBrowser is an HTTP client that keeps one cookie jar and never follows redirects, so a test sees
// each Set-Cookie and Location.
type teamBrowser struct {
	t      *testing.T
	base   string
	cookie *http.Cookie
	header http.Header
}

func (b *teamBrowser) do(method, path string, form url.Values, header http.Header) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	c := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		if strings.HasSuffix(ck.Name, "quinte-session") {
			if ck.MaxAge < 0 {
				b.cookie = nil
			} else {
				b.cookie = ck
			}
		}
	}
	return resp, string(raw)
}

func (b *teamBrowser) signIn(fields url.Values) *http.Response {
	b.t.Helper()
	resp, body := b.do("POST", "/team/signin", fields, http.Header{"Origin": {b.base}, "Sec-Fetch-Site": {"same-origin"}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign-in: %d, want 303: %s", resp.StatusCode, body)
	}
	return resp
}

// TestTeamSignIn: the gallery's sign-in on two API processes over the same redis-server and
// versitygw. A signed-out browser gets the sign-in page and no data; the team token and a member's
// password (quinte team add) open a session whose cookie is HttpOnly, SameSite=Lax, and Secure with
// the __Host- prefix behind HTTPS; the other API process accepts it; a session may GET and POST
// same-origin only, never DELETE; removing the member ends their session; sign-out clears it.
func TestTeamSignIn(t *testing.T) {
	env := realEnv(t)
	m := startMain(t, config.RoleRun, env)
	other := startMain(t, config.RoleAPI, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	id := c.Upload(t, testenv.Corpus(t, "image/exif-orientation/Landscape_6.jpg"), map[string]string{"artist": "Secret Artist"})

	anon := &teamBrowser{t: t, base: m.URL}
	for _, path := range []string{"/team", "/team/m/" + id, "/team/invites", "/team?status=ready"} {
		resp, body := anon.do("GET", path, nil, nil)
		if !strings.Contains(body, `data-testid="signin-token"`) || strings.Contains(body, "Secret Artist") || strings.Contains(body, `data-testid="grid"`) || strings.Contains(body, `"/v1/`) {
			t.Errorf("signed out, GET %s (%d) is not the bare sign-in page:\n%s", path, resp.StatusCode, body)
		}
	}
	if resp, _ := anon.do("GET", "/v1/messages", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed out, GET /v1/messages: %d, want 401", resp.StatusCode)
	}
	if resp, body := anon.do("POST", "/team/signin", url.Values{"token": {"wrong-token-0123456789"}}, nil); resp.StatusCode != http.StatusUnauthorized || anon.cookie != nil {
		t.Errorf("a wrong token: %d, cookie %v: %s", resp.StatusCode, anon.cookie, body)
	}

	// The team token, over plain HTTP, then as if behind an HTTPS proxy.
	tb := &teamBrowser{t: t, base: m.URL}
	resp := tb.signIn(url.Values{"token": {token}, "next": {"/team/invites"}})
	if loc := resp.Header.Get("Location"); loc != "/team/invites" {
		t.Errorf("after sign-in, Location %q, want /team/invites", loc)
	}
	ck := tb.cookie
	if ck == nil || ck.Name != "quinte-session" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" || ck.MaxAge != 12*3600 {
		t.Fatalf("plain-HTTP session cookie %+v: want quinte-session, HttpOnly, SameSite=Lax, Path=/, 12 h, not Secure", ck)
	}
	https := &teamBrowser{t: t, base: m.URL, header: http.Header{"X-Forwarded-Proto": {"https"}}}
	https.signIn(url.Values{"token": {token}})
	if ck := https.cookie; ck == nil || ck.Name != "__Host-quinte-session" || !ck.Secure || ck.Domain != "" || ck.Path != "/" {
		t.Errorf("HTTPS session cookie %+v: want __Host-quinte-session, Secure, no Domain, Path=/", ck)
	}
	if resp, body := tb.do("GET", "/team", nil, nil); resp.StatusCode != 200 || !strings.Contains(body, `data-testid="grid"`) || !strings.Contains(body, "Secret Artist") {
		t.Errorf("signed in, /team (%d) shows no grid with the message:\n%s", resp.StatusCode, body)
	}
	for _, base := range []string{m.URL, other.URL} {
		if resp, body := (&teamBrowser{t: t, base: base, cookie: tb.cookie}).do("GET", "/v1/messages", nil, nil); resp.StatusCode != 200 {
			t.Errorf("the session cookie on %s: GET /v1/messages %d: %s", base, resp.StatusCode, body)
		}
	}

	// State changes: same-origin POST passes, cross-origin POST and any DELETE are refused.
	inv := `{"label":"by session"}`
	post := func(h http.Header) int {
		req, _ := http.NewRequest("POST", m.URL+"/v1/invites", bytes.NewReader([]byte(inv)))
		req.AddCookie(tb.cookie)
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		testenv.Must(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(http.Header{"Sec-Fetch-Site": {"same-origin"}}); got != http.StatusCreated {
		t.Errorf("same-origin POST /v1/invites with the session: %d, want 201", got)
	}
	if got := post(http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}); got != http.StatusForbidden {
		t.Errorf("cross-site POST /v1/invites with the session: %d, want 403", got)
	}
	if got := post(http.Header{"Origin": {"https://evil.example"}}); got != http.StatusForbidden {
		t.Errorf("POST /v1/invites from another Origin with the session: %d, want 403", got)
	}
	var invID string
	if _, body, _ := c.Do(t, "GET", "/v1/invites", nil, nil); regexp.MustCompile(`"id": "([^"]+)"`).MatchString(string(body)) {
		invID = regexp.MustCompile(`"id": "([^"]+)"`).FindStringSubmatch(string(body))[1]
	}
	if resp, _ := tb.do("DELETE", "/v1/invites/"+invID, nil, http.Header{"Sec-Fetch-Site": {"same-origin"}}); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE with the session: %d, want 405", resp.StatusCode)
	}
	if resp, _ := tb.do("POST", "/team/signout", nil, http.Header{"Sec-Fetch-Site": {"cross-site"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /team/signout: %d, want 403", resp.StatusCode)
	}

	// A member: added, signed in with the printed password, removed.
	teamEnv := testenv.Env(env)
	var out bytes.Buffer
	testenv.Must(t, teamCommand(context.Background(), []string{"add", "ada"}, "", teamEnv, &out))
	pw := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out.String())
	if pw == nil {
		t.Fatalf("quinte team add printed no password:\n%s", out.String())
	}
	if err := teamCommand(context.Background(), []string{"add", "ada"}, "", teamEnv, io.Discard); err == nil {
		t.Error("adding ada twice: no error")
	}
	if err := teamCommand(context.Background(), []string{"add", "../x"}, "", teamEnv, io.Discard); err == nil {
		t.Error("a member named ../x: no error")
	}
	ada := &teamBrowser{t: t, base: other.URL}
	if resp, _ := ada.do("POST", "/team/signin", url.Values{"name": {"ada"}, "password": {"wrong"}}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("ada with a wrong password: %d, want 401", resp.StatusCode)
	}
	ada.signIn(url.Values{"name": {"ada"}, "password": {pw[1]}})
	if resp, body := ada.do("GET", "/team", nil, nil); !strings.Contains(body, `title="member:ada"`) {
		t.Errorf("ada's gallery (%d) does not say who is signed in:\n%s", resp.StatusCode, body)
	}
	// Her review records her name.
	if resp, body := ada.do("POST", "/v1/messages/"+id+"/review", url.Values{"state": {"rejected"}, "reason": {"blurry"}, "redirect": {"/team/m/" + id}},
		http.Header{"Sec-Fetch-Site": {"same-origin"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("ada's review form: %d, want 303: %s", resp.StatusCode, body)
	}
	if _, body, _ := c.Do(t, "GET", "/v1/messages/"+id, nil, nil); !strings.Contains(string(body), `"by": "member:ada"`) {
		t.Errorf("ada's review is not recorded as hers:\n%s", body)
	}
	testenv.Must(t, teamCommand(context.Background(), []string{"remove", "ada"}, "", teamEnv, io.Discard))
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, _ := ada.do("GET", "/v1/messages", nil, nil)
		if resp.StatusCode == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ada removed: her session still answers %d", resp.StatusCode)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Sign-out clears the cookie.
	tb.do("POST", "/team/signout", nil, http.Header{"Sec-Fetch-Site": {"same-origin"}})
	if tb.cookie != nil {
		t.Errorf("after sign-out the cookie is still %+v", tb.cookie)
	}
}
