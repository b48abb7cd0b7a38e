package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

const allowedOrigin = "https://artists.example.org"

// accessEnv is realEnv with a CORS origin.
func accessEnv(t *testing.T) map[string]string {
	env := realEnv(t)
	env["QUINTE_CORS_ORIGINS"] = allowedOrigin + ", http://localhost:5173"
	return env
}

// createInvite makes an invite with the team token and returns its id and token.
func createInvite(t *testing.T, c *testenv.Client, body string) (string, string) {
	t.Helper()
	status, b, _ := c.Do(t, "POST", "/v1/invites", strings.NewReader(body), http.Header{"Content-Type": {"application/json"}})
	if status != http.StatusCreated {
		t.Fatalf("create invite: %d %s", status, b)
	}
	var v struct{ ID, Token string }
	testenv.Must(t, json.Unmarshal(b, &v))
	if v.ID == "" || !strings.HasPrefix(v.Token, "qi_") {
		t.Fatalf("create invite answered %s", b)
	}
	return v.ID, v.Token
}

// tusCreate starts a tus upload of n bytes with token and returns its path under the API. It sends
// what an invite's upload must carry (testenv.ArtistFields), which the team's may.
func tusCreate(t *testing.T, base, token string, n int) string {
	t.Helper()
	resp, _ := tusRequest(t, "POST", base+"/v1/uploads/", token, nil, map[string]string{"Upload-Length": fmt.Sprint(n),
		"Upload-Metadata": testenv.TusMetadata(testenv.ArtistFields(nil))})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("tus create: %d", resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	testenv.Must(t, err)
	return u.Path
}

// TestEveryRouteWithEveryCredential walks every route with no token, wrong tokens, a withdrawn and an
// expired-looking invite, a valid invite and the team token, and checks the status of each.
func TestEveryRouteWithEveryCredential(t *testing.T) {
	m := startMain(t, config.RoleRun, accessEnv(t))
	team := &testenv.Client{Base: m.URL, Token: token}
	wav := testenv.Corpus(t, "audio/pcm_s16le_mono_44k.wav")

	invID, invTok := createInvite(t, team, `{"label":"Ada","max_uploads":50,"expires_in":"24h","prompts":["Who would you like to thank?"]}`)
	artist := &testenv.Client{Base: m.URL, Token: invTok}
	teamMsg := team.Upload(t, wav, nil)
	invMsg := artist.Upload(t, wav, testenv.ArtistFields(nil))
	withdrawnID, withdrawnTok := createInvite(t, team, `{"max_uploads":1}`)
	if status, _, _ := team.Do(t, "DELETE", "/v1/invites/"+withdrawnID, nil, nil); status != http.StatusOK {
		t.Fatalf("disable invite: %d", status)
	}

	creds := []struct{ name, token string }{
		{"none", ""},
		{"wrong", "not-the-team-token-0123456789"},
		{"team_token_prefix", token[:len(token)-1]},
		{"forged_invite", "qi_" + invID + "_" + strings.Repeat("ab", 32)},
		{"withdrawn_invite", withdrawnTok},
		{"invite", invTok},
		{"team", token},
	}
	type route struct {
		method string
		path   func(cred string) string // a fresh target when the request changes state
		body   func() (string, []byte)  // content type and body
		header http.Header
		invite int // status with the valid invite
		team   int // status with the team token
		others int // status with every other credential, when not 401
	}
	fixed := func(p string) func(string) string { return func(string) string { return p } }
	multipartBody := func() (string, []byte) {
		var buf bytes.Buffer
		ct := writeMultipartFields(t, &buf, wav, testenv.ArtistFields(nil))
		return ct, buf.Bytes()
	}
	// revokeOf uploads a message by the invite or the team for the invite's and the team's request, so
	// that each revokes one of its own.
	revokeOf := func(owner string) func(string) string {
		return func(cred string) string {
			if cred != "invite" && cred != "team" {
				return "/v1/messages/" + invMsg + "/revoke"
			}
			c := team
			if owner == "invite" {
				c = artist
			}
			return "/v1/messages/" + c.Upload(t, wav, testenv.ArtistFields(nil)) + "/revoke"
		}
	}
	jsonBody := func(s string) func() (string, []byte) {
		return func() (string, []byte) { return "application/json", []byte(s) }
	}
	tusH := http.Header{"Tus-Resumable": {"1.0.0"}}
	// uploadBy starts a tus upload owned by the invite or the team, fresh for each request.
	uploadBy := func(owner string) func(string) string {
		return func(string) string {
			tok := token
			if owner == "invite" {
				tok = invTok
			}
			return tusCreate(t, m.URL, tok, 10)
		}
	}
	throwawayInvite := func(string) string {
		id, _ := createInvite(t, team, `{}`)
		return "/v1/invites/" + id
	}
	patch := func() (string, []byte) { return "application/offset+octet-stream", []byte("0123") }
	captions := func() (string, []byte) { return "application/x-subrip", []byte(srtCaptions) }
	// withCaptions gives message id captions before the invite's and the team's DELETE.
	withCaptions := func(id string) func(string) string {
		return func(cred string) string {
			if cred == "invite" || cred == "team" {
				if status, body := putCaptions(t, m.URL, token, id, []byte(srtCaptions)); status != http.StatusAccepted {
					t.Fatalf("PUT captions: %d %s", status, body)
				}
			}
			return "/v1/messages/" + id + "/captions"
		}
	}
	routes := []route{
		{method: "POST", path: fixed("/v1/messages"), body: multipartBody, invite: 202, team: 202},
		{method: "GET", path: fixed("/v1/messages"), invite: 403, team: 200},
		{method: "GET", path: fixed("/v1/messages/" + teamMsg), invite: 404, team: 200},
		{method: "GET", path: fixed("/v1/messages/" + invMsg), invite: 200, team: 200},
		{method: "GET", path: fixed("/v1/messages/" + message.NewID()), invite: 404, team: 404},
		{method: "PUT", path: fixed("/v1/messages/" + invMsg + "/captions"), body: captions, invite: 202, team: 202},
		{method: "PUT", path: fixed("/v1/messages/" + teamMsg + "/captions"), body: captions, invite: 404, team: 202},
		{method: "DELETE", path: withCaptions(invMsg), invite: 202, team: 202},
		{method: "DELETE", path: withCaptions(teamMsg), invite: 404, team: 202},
		{method: "GET", path: fixed("/v1/messages/" + invMsg + "/hls/master.m3u8"), invite: 403, team: 404}, // audio: no HLS
		{method: "GET", path: fixed("/v1/messages/" + invMsg + "/hls/master.m3u8?exp=9999999999&sig=forged"), invite: 403, team: 403, others: 403},
		{method: "POST", path: fixed("/v1/invites"), body: jsonBody(`{"max_uploads":2}`), invite: 403, team: 201},
		{method: "GET", path: fixed("/v1/invites"), invite: 403, team: 200},
		{method: "GET", path: fixed("/v1/invites/" + invID), invite: 403, team: 200},
		{method: "DELETE", path: throwawayInvite, invite: 403, team: 200},
		{method: "GET", path: fixed("/v1/invite"), invite: 200, team: 404},
		{method: "GET", path: fixed("/v1/release?lang=it"), invite: 200, team: 200},
		{method: "POST", path: revokeOf("invite"), invite: 200, team: 200},
		{method: "POST", path: revokeOf("team"), invite: 404, team: 200},
		{method: "POST", path: fixed("/v1/uploads/"), header: http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Length": {"10"},
			"Upload-Metadata": {testenv.TusMetadata(testenv.ArtistFields(nil))}}, invite: 201, team: 201},
		{method: "HEAD", path: uploadBy("invite"), header: tusH, invite: 200, team: 200},
		{method: "PATCH", path: uploadBy("invite"), header: http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Offset": {"0"}}, body: patch, invite: 204, team: 204},
		{method: "DELETE", path: uploadBy("invite"), header: tusH, invite: 204, team: 204},
		{method: "HEAD", path: uploadBy("team"), header: tusH, invite: 404, team: 200},
		{method: "PATCH", path: uploadBy("team"), header: http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Offset": {"0"}}, body: patch, invite: 404, team: 204},
		{method: "DELETE", path: uploadBy("team"), header: tusH, invite: 404, team: 204},
		{method: "GET", path: uploadBy("team"), header: tusH, invite: 404, team: 405}, // downloads are off
		{method: "GET", path: fixed("/v1/nothing-here"), invite: 403, team: 404},
		{method: "GET", path: fixed("/"), invite: 403, team: 404},
		{method: "PUT", path: fixed("/v1/messages"), invite: 403, team: 405},
	}
	for _, r := range routes {
		for _, c := range creds {
			want := http.StatusUnauthorized
			if r.others != 0 {
				want = r.others
			}
			switch c.name {
			case "invite":
				want = r.invite
			case "team":
				want = r.team
			}
			p := r.path(c.name)
			t.Run(r.method+"_"+strings.NewReplacer("/", "_", "?", "_", "&", "_").Replace(p)+"_"+c.name, func(t *testing.T) {
				var body *bytes.Reader
				h := http.Header{}
				for k, v := range r.header {
					h[k] = v
				}
				if r.body != nil {
					ct, b := r.body()
					h.Set("Content-Type", ct)
					body = bytes.NewReader(b)
				}
				req, _ := http.NewRequest(r.method, m.URL+p, nil)
				if body != nil {
					req, _ = http.NewRequest(r.method, m.URL+p, body)
				}
				req.Header = h
				if c.token != "" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				resp, err := http.DefaultClient.Do(req)
				testenv.Must(t, err)
				defer resp.Body.Close()
				var e struct {
					Error struct{ Code, Message string }
				}
				_ = json.NewDecoder(resp.Body).Decode(&e)
				if resp.StatusCode != want {
					t.Errorf("%s %s with %s credentials: %d (%s), want %d", r.method, p, c.name, resp.StatusCode, e.Error.Code, want)
				}
				if want == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" && !strings.HasPrefix(e.Error.Code, "invite_") {
					t.Errorf("401 without WWW-Authenticate")
				}
			})
		}
	}

	// Public routes answer without credentials.
	for _, p := range []string{"/healthz", "/readyz"} {
		if status, _, _ := (&testenv.Client{Base: m.URL}).Do(t, "GET", p, nil, nil); status != http.StatusOK {
			t.Errorf("GET %s without credentials: %d", p, status)
		}
	}

	// What the invite reads: its prompts, no outputs, no team note.
	status, b, _ := artist.Do(t, "GET", "/v1/invite", nil, nil)
	if status != 200 || !strings.Contains(string(b), "Who would you like to thank?") || strings.Contains(string(b), `"label"`) || strings.Contains(string(b), "token_hash") {
		t.Errorf("GET /v1/invite as the artist: %d %s", status, b)
	}
	// The team sees which invite made a message, in the API and in the stored meta.
	var seen struct {
		InviteID string `json:"invite_id"`
	}
	_, b, _ = team.Do(t, "GET", "/v1/messages/"+invMsg, nil, nil)
	testenv.Must(t, json.Unmarshal(b, &seen))
	if meta := metaOf(t, m, invMsg); seen.InviteID != invID || meta.InviteID != invID {
		t.Errorf("message %s: API says invite %q, meta says %q; want %s", invMsg, seen.InviteID, meta.InviteID, invID)
	}
	if got := metaOf(t, m, teamMsg).InviteID; got != "" {
		t.Errorf("team upload records invite %q", got)
	}
	// The invite's status read carries no download links but its poster's and its 9:16 crop's (a voice
	// note: its audiogram).
	ready := team.WaitReady(t, invMsg, 2*time.Minute)
	if len(ready.Outputs) == 0 {
		t.Fatal("the team sees no outputs")
	}
	if got := artist.Get(t, invMsg); got.Status != "ready" || len(got.Outputs) != 1 || got.Outputs[0].Name != "audiogram/9x16" {
		t.Errorf("the artist reads status %q with outputs %+v; want ready and only audiogram/9x16", got.Status, got.Outputs)
	}
}
