package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/team"
)

// The queue dashboard (asynqmon) at /team/queues: in full for the team token, read-only for a
// signed-in member, closed to everyone else, and no queue change from another origin.
func TestQueueDashboard(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		m := startMain(t, config.RoleRun, env)
		c := &testenv.Client{Base: m.URL, Token: token}
		c.WaitReady(t, c.Upload(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), nil), 2*time.Minute)
		pw, err := team.Roster{Store: m.Store}.Add(context.Background(), "rosa")
		testenv.Must(t, err)

		// browser signs in with the form fields of the gallery's sign-in page and keeps its cookie.
		browser := func(fields url.Values) *http.Client {
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar, Timeout: 30 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			req, _ := http.NewRequest("POST", m.URL+"/team/signin", strings.NewReader(fields.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", m.URL)
			resp, err := hc.Do(req)
			testenv.Must(t, err)
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-in %v: %s", fields.Get("name"), resp.Status)
			}
			return hc
		}
		do := func(hc *http.Client, method, path string, hdr map[string]string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest(method, m.URL+path, nil)
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			resp, err := hc.Do(req)
			testenv.Must(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		anon := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		bearer := map[string]string{"Authorization": "Bearer " + token}
		sameOrigin := map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": m.URL}
		member := browser(url.Values{"name": {"rosa"}, "password": {pw}})
		lead := browser(url.Values{"token": {token}})

		for _, tc := range []struct {
			name         string
			hc           *http.Client
			method, path string
			hdr          map[string]string
			want         int
			body         string
		}{
			{"anonymous API", anon, "GET", "/team/queues/api/queues", nil, http.StatusUnauthorized, "unauthorized"},
			{"anonymous page", anon, "GET", "/team/queues", map[string]string{"Accept": "text/html"}, http.StatusSeeOther, ""},
			{"wrong token", anon, "GET", "/team/queues/api/queues", map[string]string{"Authorization": "Bearer nope-nope-nope-nope"}, http.StatusUnauthorized, ""},
			{"token: the UI", anon, "GET", "/team/queues/", bearer, http.StatusOK, "<html"},
			{"token: the queues", anon, "GET", "/team/queues/api/queues", bearer, http.StatusOK, `"queue":"media-light"`},
			{"member: the UI", member, "GET", "/team/queues/", nil, http.StatusOK, "<html"},
			{"member: the queues", member, "GET", "/team/queues/api/queues", nil, http.StatusOK, `"queue":"media-light"`},
			{"member: pause refused", member, "POST", "/team/queues/api/queues/media:pause", sameOrigin, http.StatusMethodNotAllowed, "read-only"},
			{"member: delete refused", member, "DELETE", "/team/queues/api/queues/media", sameOrigin, http.StatusMethodNotAllowed, "read-only"},
			{"team session: cross-site pause refused", lead, "POST", "/team/queues/api/queues/media:pause", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden, ""},
			{"team session: pause", lead, "POST", "/team/queues/api/queues/media:pause", sameOrigin, http.StatusNoContent, ""},
			{"token: resume", anon, "POST", "/team/queues/api/queues/media:resume", bearer, http.StatusNoContent, ""},
		} {
			status, body := do(tc.hc, tc.method, tc.path, tc.hdr)
			if status != tc.want || !strings.Contains(body, tc.body) {
				t.Errorf("%s: %s %s answered %d %.200s, want %d with %q", tc.name, tc.method, tc.path, status, body, tc.want, tc.body)
			}
		}
		// The queue works after the pause and resume.
		c.WaitReady(t, c.Upload(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), nil), 2*time.Minute)
	})
}
