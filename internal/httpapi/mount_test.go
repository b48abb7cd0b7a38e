package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Handler mounts routes behind their access and answers everything else in the API's JSON error
// shape: 401 before anything about the routes to a request without a token, then 404 or 405 with
// Allow; a signed route serves its link itself; CORS lists every method of the table, a tus-like
// route's too.
func TestHandlerMountsRoutesBehindTheirAccess(t *testing.T) {
	const tok = "team-token-0123456789abcdef"
	ok := func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"who": Principal(r)})
	}
	routes := []Route{
		{Pattern: "GET /team", Handler: http.HandlerFunc(ok), Access: AccessTeam},
		{Pattern: "GET /open", Handler: http.HandlerFunc(ok), Access: AccessPublic},
		{Pattern: "GET /signed/{id}", Handler: http.HandlerFunc(ok), Access: AccessSigned, Link: func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Query().Get("sig") == "" {
				return false
			}
			WriteJSON(w, http.StatusOK, map[string]string{"who": "link " + r.PathValue("id")})
			return true
		}},
		{Pattern: "/resumable/", Handler: http.HandlerFunc(ok), Access: AccessInvite, Methods: []string{"POST", "PATCH"}},
	}
	h := Handler(NewAuth(tok, noMembers{}, slog.New(slog.NewTextHandler(io.Discard, nil))), []string{"https://app.example.org"}, routes)
	for _, c := range []struct {
		method, path string
		token        bool
		status       int
		want         string // the JSON error's code, or the route's "who"
	}{
		{"GET", "/open", false, 200, ""},
		{"GET", "/team", false, 401, "unauthorized"},
		{"GET", "/team", true, 200, "team"},
		{"GET", "/nothing-here", false, 401, "unauthorized"},
		{"GET", "/nothing-here", true, 404, "not_found"},
		{"POST", "/team", true, 405, "method_not_allowed"},
		{"GET", "/signed/x7?sig=s", false, 200, "link x7"},
		{"GET", "/signed/x7", false, 401, "unauthorized"},
		{"GET", "/signed/x7", true, 200, "team"},
		{"PATCH", "/resumable/u1", true, 200, "team"},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		if c.token {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body struct {
			Who   string
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != c.status {
			t.Errorf("%s %s: %d %q, want %d JSON", c.method, c.path, rec.Code, rec.Body.String(), c.status)
			continue
		}
		if got := body.Who + body.Error.Code; got != c.want {
			t.Errorf("%s %s: %q, want %q", c.method, c.path, got, c.want)
		}
		if c.status == 405 && rec.Header().Get("Allow") == "" {
			t.Errorf("%s %s: a 405 without Allow", c.method, c.path)
		}
	}
	req := httptest.NewRequest("OPTIONS", "/resumable/u1", nil)
	req.Header.Set("Origin", "https://app.example.org")
	req.Header.Set("Access-Control-Request-Method", "PATCH")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("Access-Control-Allow-Methods"); rec.Code != 204 || got != "GET, HEAD, OPTIONS, PATCH, POST" {
		t.Errorf("preflight: %d, methods %q", rec.Code, got)
	}
	if strings.Contains(rec.Header().Get("Access-Control-Allow-Origin"), "*") {
		t.Error("preflight allows every origin")
	}
}
