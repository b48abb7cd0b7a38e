package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// The server side of the artist's page (issue 10): the release text, the consent an invite's upload
// must carry, the invite's recording limit and page link, what an invite sees of its messages, and
// withdrawal.

// apiCode is the code of an API error body, or "".
func apiCode(body []byte) string {
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal(body, &e)
	return e.Error.Code
}

// releaseOf is GET /v1/release's answer.
type releaseOf struct {
	Version, Lang, Text, SHA256 string
	Languages                   []string
}

func getRelease(t *testing.T, c *testenv.Client, lang string) releaseOf {
	t.Helper()
	status, b, _ := c.Do(t, "GET", "/v1/release?lang="+lang, nil, nil)
	var r releaseOf
	if status != http.StatusOK || json.Unmarshal(b, &r) != nil {
		t.Fatalf("GET /v1/release?lang=%s: %d %s", lang, status, b)
	}
	return r
}

// An invite's upload carries the consent to a release text quinte serves, by multipart or tus; one
// without it is refused at once (at the tus creation, before any byte), one with a wrong hash or an
// unknown version or language is refused naming why, and the stored meta and the team's view of the
// message show the record with the hash of the exact text. The team's uploads may go without: the
// message says consent is not recorded.
func TestConsentOnUpload(t *testing.T) { forEachBackend(t, testConsentOnUpload) }

func testConsentOnUpload(t *testing.T, env map[string]string) {
	env["QUINTE_PUBLIC_URL"] = "https://artists.example.org/"
	m := startMain(t, config.RoleRun, env)
	team := &testenv.Client{Base: m.URL, Token: token}
	invID, invTok := createInvite(t, team, `{"max_uploads":20}`)
	artist := &testenv.Client{Base: m.URL, Token: invTok}
	photo := testenv.Corpus(t, "image/progressive_faces_840x700.jpg")
	data := mustRead(t, photo)

	// The release text: its hash is the hash of the exact bytes served; an unknown language is English.
	it := getRelease(t, artist, "it")
	sum := sha256.Sum256([]byte(it.Text))
	if it.Lang != "it" || it.Version != "2026-12" || it.SHA256 != hex.EncodeToString(sum[:]) || strings.Join(it.Languages, ",") != "en,it" || !strings.Contains(it.Text, "Ritira") {
		t.Errorf("GET /v1/release?lang=it: %+v", it)
	}
	if en := getRelease(t, team, "xx"); en.Lang != "en" || en.SHA256 == it.SHA256 || !strings.Contains(en.Text, "Withdraw") {
		t.Errorf("GET /v1/release?lang=xx gave %s %s, want the English text", en.Lang, en.Version)
	}
	italian := map[string]string{"consent_lang": "it", "consent_sha256": it.SHA256}

	// Accepted with consent, by multipart and by tus.
	status, body := artist.MultipartBytes(t, "faces.jpg", data, testenv.ArtistFields(italian))
	if status != http.StatusAccepted {
		t.Fatalf("invite multipart with consent: %d %s", status, body)
	}
	byForm := idOf(t, body)
	byTus := artist.Tus(t, photo, testenv.ArtistFields(map[string]string{"filename": "faces.jpg", "consent_agreed_at": ""}), 32<<10)
	for _, tc := range []struct {
		id, lang, sha string
		client        bool
	}{{byForm, "it", it.SHA256, true}, {byTus, "en", testenv.ArtistFields(nil)["consent_sha256"], false}} {
		c := metaOf(t, m, tc.id).Consent
		if c == nil || !c.Recorded || c.Version != "2026-12" || c.Lang != tc.lang || c.SHA256 != tc.sha || c.InviteID != invID ||
			c.AgreedAt == nil || time.Since(*c.AgreedAt) > time.Hour || (c.ClientAgreedAt != nil) != tc.client {
			t.Errorf("message %s: stored consent %+v", tc.id, c)
		}
		if tc.client && !c.ClientAgreedAt.Equal(time.Date(2026, 12, 3, 10, 15, 0, 0, time.UTC)) {
			t.Errorf("client_agreed_at = %v", c.ClientAgreedAt)
		}
		var seen struct{ Consent *message.Consent }
		_, b, _ := team.Do(t, "GET", "/v1/messages/"+tc.id, nil, nil)
		testenv.Must(t, json.Unmarshal(b, &seen))
		if seen.Consent == nil || seen.Consent.SHA256 != tc.sha || !seen.Consent.Recorded {
			t.Errorf("the team's view of %s shows consent %+v", tc.id, seen.Consent)
		}
		_, b, _ = artist.Do(t, "GET", "/v1/messages/"+tc.id, nil, nil)
		if !strings.Contains(string(b), tc.sha) {
			t.Errorf("the artist's view of %s does not show the consent: %s", tc.id, b)
		}
	}

	// Refused: every refusal leaves the invite's uploads as they were.
	left := uploadsLeft(t, artist)
	refusals := []struct {
		name   string
		fields map[string]string
		code   string
	}{
		{"no consent", testenv.ArtistFields(map[string]string{"consent_version": "", "consent_lang": "", "consent_sha256": ""}), "consent_required"},
		{"legacy consent only", testenv.ArtistFields(map[string]string{"consent_version": "", "consent_lang": "", "consent_sha256": "", "consent": "2026-12"}), "consent_required"},
		{"no hash", testenv.ArtistFields(map[string]string{"consent_sha256": ""}), "consent_required"},
		{"wrong hash", testenv.ArtistFields(map[string]string{"consent_sha256": strings.Repeat("0", 64)}), "consent_mismatch"},
		{"the English hash for Italian", testenv.ArtistFields(map[string]string{"consent_lang": "it"}), "consent_mismatch"},
		{"unknown version", testenv.ArtistFields(map[string]string{"consent_version": "2019-01"}), "consent_mismatch"},
		{"unknown language", testenv.ArtistFields(map[string]string{"consent_lang": "fr"}), "consent_mismatch"},
		{"bad time", testenv.ArtistFields(map[string]string{"consent_agreed_at": "yesterday"}), "bad_consent_agreed_at"},
		{"no artist", testenv.ArtistFields(map[string]string{"artist": " \t "}), "artist_required"},
		{"no title", testenv.ArtistFields(map[string]string{"title": ""}), "title_required"},
	}
	for _, r := range refusals {
		status, body := artist.MultipartBytes(t, "faces.jpg", data, r.fields)
		if status != http.StatusBadRequest || apiCode([]byte(body)) != r.code {
			t.Errorf("multipart, %s: %d %s, want 400 %s", r.name, status, body, r.code)
		}
		// tus: refused at the creation (the POST), not after the bytes.
		resp, b := tusRequest(t, "POST", m.URL+"/v1/uploads/", invTok, nil, map[string]string{
			"Upload-Length": "1000", "Upload-Metadata": testenv.TusMetadata(r.fields)})
		if resp.StatusCode != http.StatusBadRequest || apiCode(b) != r.code {
			t.Errorf("tus creation, %s: %d %s, want 400 %s", r.name, resp.StatusCode, b, r.code)
		}
	}
	if got := uploadsLeft(t, artist); got != left {
		t.Errorf("after the refusals the invite has %d uploads left, want %d", got, left)
	}

	// The team: nothing is "not recorded"; a release version is recorded as the team's word; free text
	// is kept, not taken for a consent; the full fields are checked as an invite's are.
	for _, tc := range []struct {
		name   string
		fields map[string]string
		want   message.Consent
	}{
		{"nothing", nil, message.Consent{}},
		{"a version", map[string]string{"consent": "2026-12"}, message.Consent{Recorded: true, Version: "2026-12", By: "team"}},
		{"free text", map[string]string{"consent": "yes"}, message.Consent{Statement: "yes"}},
		{"the page's fields", testenv.ArtistFields(nil), message.Consent{Recorded: true, Version: "2026-12", Lang: "en", SHA256: testenv.ArtistFields(nil)["consent_sha256"], By: "team"}},
	} {
		status, body := team.MultipartBytes(t, "faces.jpg", data, tc.fields)
		if status != http.StatusAccepted {
			t.Fatalf("team upload with %s: %d %s", tc.name, status, body)
		}
		c := metaOf(t, m, idOf(t, body)).Consent
		if c == nil || c.Recorded != tc.want.Recorded || c.Version != tc.want.Version || c.Lang != tc.want.Lang || c.SHA256 != tc.want.SHA256 ||
			c.By != tc.want.By || c.Statement != tc.want.Statement || c.InviteID != "" {
			t.Errorf("team upload with %s: consent %+v, want %+v", tc.name, c, tc.want)
		}
	}
	if status, body := team.MultipartBytes(t, "faces.jpg", data, map[string]string{"consent_version": "2026-12", "consent_lang": "en", "consent_sha256": "ab"}); status != http.StatusBadRequest || apiCode([]byte(body)) != "consent_mismatch" {
		t.Errorf("team upload with a wrong hash: %d %s", status, body)
	}
	resp, b := tusRequest(t, "POST", m.URL+"/v1/uploads/", token, nil, map[string]string{"Upload-Length": "1000"})
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("team tus creation without consent: %d %s", resp.StatusCode, b)
	}

	// max_seconds: default 120, 1..600, stored and answered; every answer that knows the token links
	// the page under QUINTE_PUBLIC_URL.
	for _, bad := range []string{`0`, `601`, `-5`} {
		status, b, _ := team.Do(t, "POST", "/v1/invites", strings.NewReader(`{"max_seconds":`+bad+`}`), http.Header{"Content-Type": {"application/json"}})
		if status != http.StatusBadRequest || apiCode(b) != "invalid_max_seconds" {
			t.Errorf("max_seconds %s: %d %s", bad, status, b)
		}
	}
	var created struct {
		ID, Token, URL string
		MaxSeconds     int `json:"max_seconds"`
	}
	_, b, _ = team.Do(t, "POST", "/v1/invites", strings.NewReader(`{"max_seconds":45}`), http.Header{"Content-Type": {"application/json"}})
	testenv.Must(t, json.Unmarshal(b, &created))
	if created.MaxSeconds != 45 || created.URL != "https://artists.example.org/a/"+created.Token {
		t.Errorf("created invite: %s", b)
	}
	_, b, _ = team.Do(t, "GET", "/v1/invites/"+invID, nil, nil)
	if !strings.Contains(string(b), `"max_seconds": 120`) || strings.Contains(string(b), `"url"`) {
		t.Errorf("GET /v1/invites/{id} (the token is not known there: no url): %s", b)
	}
	_, b, _ = artist.Do(t, "GET", "/v1/invite", nil, nil)
	if !strings.Contains(string(b), `"url": "https://artists.example.org/a/`+invTok+`"`) || !strings.Contains(string(b), `"max_seconds": 120`) {
		t.Errorf("GET /v1/invite: %s", b)
	}
}

// ownInvite is GET /v1/invite's answer as the page reads it.
type ownInviteOf struct {
	Status     string
	URL        string
	MaxSeconds int `json:"max_seconds"`
	Remaining  int
	Messages   []struct {
		ID, Status, Kind, Artist, Title string
		Error                           *message.Error
		PosterURL                       string `json:"poster_url"`
		CropURL                         string `json:"crop_url"`
	}
}

func readOwnInvite(t *testing.T, c *testenv.Client) ownInviteOf {
	t.Helper()
	status, b, _ := c.Do(t, "GET", "/v1/invite", nil, nil)
	var v ownInviteOf
	if status != http.StatusOK || json.Unmarshal(b, &v) != nil {
		t.Fatalf("GET /v1/invite: %d %s", status, b)
	}
	return v
}

// fetch is the status of a GET of url, without credentials, as a browser following a link.
func fetch(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	testenv.Must(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// An invite's page: a clip longer than the invite allows fails with too_long; a ready one is listed
// with its poster and 9:16 crop, the only outputs the invite sees. Withdrawn by the invite, the
// message keeps only its status record, every old link stops working, and asking again answers the
// same record. The team withdraws a message still being processed: its job stops and publishes
// nothing.
func TestInvitePageAndRevoke(t *testing.T) { forEachBackend(t, testInvitePageAndRevoke) }

func testInvitePageAndRevoke(t *testing.T, env map[string]string) {
	m := startMain(t, config.RoleRun, env)
	team := &testenv.Client{Base: m.URL, Token: token}
	invID, invTok := createInvite(t, team, `{"max_uploads":3,"max_seconds":3,"prompts":["Who would you like to thank?"]}`)
	artist := &testenv.Client{Base: m.URL, Token: invTok}
	dir := t.TempDir()

	long := artist.Upload(t, testenv.Clip(t, dir, 6, 320, 240, 15), testenv.ArtistFields(nil))
	if got := team.Wait(t, long, 2*time.Minute); got.Status != "failed" || got.Error == nil || got.Error.Code != "too_long" || !strings.Contains(got.Error.Message, "3 seconds this invite allows") {
		t.Errorf("a 6 s clip on a 3 s invite: %s %+v", got.Status, got.Error)
	}
	id := artist.Upload(t, testenv.Clip(t, dir, 2, 320, 240, 15), testenv.ArtistFields(map[string]string{"title": "Grazie"}))
	ready := team.WaitReady(t, id, 2*time.Minute)

	v := readOwnInvite(t, artist)
	if v.Status != "active" || v.MaxSeconds != 3 || v.Remaining != 1 || v.URL != m.URL+"/a/"+invTok || len(v.Messages) != 2 {
		t.Fatalf("GET /v1/invite: %+v", v)
	}
	if got := v.Messages[0]; got.ID != id || got.Status != "ready" || got.Title != "Grazie" || got.Artist != "Ada" || got.Kind != "video" ||
		got.PosterURL == "" || got.CropURL == "" {
		t.Errorf("the newest message as the invite lists it: %+v", got)
	} else {
		for _, u := range []string{got.PosterURL, got.CropURL} {
			if status := fetch(t, u); status != http.StatusOK {
				t.Errorf("the invite's link %s: %d", u, status)
			}
		}
	}
	if got := v.Messages[1]; got.ID != long || got.Status != "failed" || got.Error == nil || got.PosterURL != "" {
		t.Errorf("the failed message as the invite lists it: %+v", got)
	}
	// The invite reads its message: the poster and the crop, nothing else, no plan nor probe.
	status, b, _ := artist.Do(t, "GET", "/v1/messages/"+id, nil, nil)
	var seen testenv.Message
	testenv.Must(t, json.Unmarshal(b, &seen))
	var names []string
	for _, o := range seen.Outputs {
		names = append(names, o.Name)
	}
	if status != http.StatusOK || strings.Join(names, ",") != "poster/webp,crop/9x16" || strings.Contains(string(b), `"plan"`) || strings.Contains(string(b), `"probe"`) {
		t.Errorf("the invite's view of its message: %d, outputs %v", status, names)
	}

	// Withdrawn by the invite.
	var links []string
	for _, o := range ready.Outputs {
		links = append(links, o.URL)
	}
	links = append(links, v.Messages[0].PosterURL, v.Messages[0].CropURL)
	status, first, _ := artist.Do(t, "POST", "/v1/messages/"+id+"/revoke", nil, nil)
	var rec message.Record
	if status != http.StatusOK || json.Unmarshal(first, &rec) != nil || rec.Status != message.StatusRevoked || rec.Revoked == nil ||
		rec.Revoked.By != "invite:"+invID || len(rec.Revoked.Deleted) < 10 {
		t.Fatalf("revoke by the invite: %d %s", status, first)
	}
	if strings.Contains(string(first), "Grazie") || strings.Contains(string(first), "Ada") {
		t.Errorf("the audit record keeps the artist's text: %s", first)
	}
	assertOnlyRecord(t, m, id)
	for _, u := range links {
		if status := fetch(t, u); status != http.StatusNotFound && status != http.StatusForbidden {
			t.Errorf("after revoke, old link %s answers %d", u, status)
		}
	}
	if got := team.Get(t, id); got.Status != "revoked" || len(got.Outputs) != 0 {
		t.Errorf("after revoke the team reads %s with %d outputs", got.Status, len(got.Outputs))
	}
	if v := readOwnInvite(t, artist); len(v.Messages) != 2 || v.Messages[0].Status != "revoked" || v.Messages[0].Title != "" || v.Messages[0].PosterURL != "" {
		t.Errorf("after revoke the invite lists %+v", v.Messages)
	}
	for _, c := range []*testenv.Client{artist, team} {
		if status, again, _ := c.Do(t, "POST", "/v1/messages/"+id+"/revoke", nil, nil); status != http.StatusOK || string(again) != string(first) {
			t.Errorf("revoke again: %d %s, want 200 and the same record %s", status, again, first)
		}
	}

	// The team withdraws a message while it is processed.
	busy := team.Upload(t, testenv.Clip(t, dir, 20, 640, 360, 30), nil)
	deadline := time.Now().Add(2 * time.Minute)
	for got := team.Get(t, busy); got.Status != "processing"; got = team.Get(t, busy) {
		if got.Status == "ready" || got.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("the message was never seen processing: %s", got.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	status, b, _ = team.Do(t, "POST", "/v1/messages/"+busy+"/revoke", nil, nil)
	if status != http.StatusOK || !strings.Contains(string(b), `"by": "team"`) {
		t.Fatalf("revoke while processing: %d %s", status, b)
	}
	assertOnlyRecord(t, m, busy)
	if got := team.Get(t, busy); got.Status != "revoked" {
		t.Errorf("after revoke while processing the message is %s", got.Status)
	}
}

// assertOnlyRecord fails unless the only key of the bucket that names message id is its status record
// (besides the change feed's keys: empty objects naming the id and a time, like the record, deleted
// after an hour; message/changes.go).
func assertOnlyRecord(t *testing.T, m *Main, id string) {
	t.Helper()
	var left []string
	for _, k := range bucketKeys(t, m, "") {
		if strings.Contains(k, id) && !strings.HasPrefix(k, message.ChangesPrefix) {
			left = append(left, k)
		}
	}
	if len(left) != 1 || left[0] != message.StatusKey(id) {
		t.Errorf("after revoke the bucket holds %v for message %s; want only its status record", left, id)
	}
}
