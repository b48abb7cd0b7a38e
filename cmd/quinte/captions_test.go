package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

const (
	srtCaptions = "1\r\n00:00:00,200 --> 00:00:01,500\r\nThank you, crew!\r\n\r\n2\r\n00:00:01,600 --> 00:00:02,100\r\nSee you on tour.\r\n"
	vttCaptions = "WEBVTT\n\n00:00.300 --> 00:01.800\nGrazie a tutti\n"
	// campaign names a file of configs/campaigns, so the worker knows it.
	campaign = "example"
)

// uploadWith posts the file at path with extra form fields and, if captions is not nil, a captions
// file part.
func uploadWith(t *testing.T, c *testenv.Client, path string, fields map[string]string, captions []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		testenv.Must(t, mw.WriteField(k, v))
	}
	if captions != nil {
		fw, err := mw.CreateFormFile("captions", "subs.srt")
		testenv.Must(t, err)
		_, _ = fw.Write(captions)
	}
	fw, err := mw.CreateFormFile("file", "clip")
	testenv.Must(t, err)
	_, _ = fw.Write(mustRead(t, path))
	testenv.Must(t, mw.Close())
	status, body, _ := c.Do(t, "POST", "/v1/messages", &buf, http.Header{"Content-Type": {mw.FormDataContentType()}})
	return status, string(body)
}

func idOf(t *testing.T, body string) string {
	t.Helper()
	var out struct{ ID string }
	testenv.Must(t, json.Unmarshal([]byte(body), &out))
	if !message.ValidID(out.ID) {
		t.Fatalf("no message id in %s", body)
	}
	return out.ID
}

func metaOf(t *testing.T, m *Main, id string) message.Meta {
	t.Helper()
	var meta message.Meta
	testenv.Must(t, m.Store.GetJSON(t.Context(), message.MetaKey(id), &meta))
	return meta
}

func stored(t *testing.T, m *Main, key string) []byte {
	t.Helper()
	rc, err := m.Store.Open(t.Context(), key, -1)
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

func manifestOf(t *testing.T, m *Main, id string) message.Manifest {
	t.Helper()
	var man message.Manifest
	testenv.Must(t, m.Store.GetJSON(t.Context(), message.ManifestKey(id), &man))
	return man
}

// Captions and a campaign come with a multipart upload: they are checked at once (a bad caption file,
// a caption file for a photo or a campaign that is not a name get a 400 that says why, and nothing is
// stored), and recorded for the worker: the captions at originals/{id}/captions, both in meta.json.
func TestCaptionsAndCampaignAtUpload(t *testing.T) {
	m := startMain(t, config.RoleRun, realEnv(t))
	c := &testenv.Client{Base: m.URL, Token: token}
	clip := testenv.Corpus(t, "video/iphone4s_h264_rotated.mov")
	photo := testenv.Corpus(t, "image/progressive_faces_840x700.jpg")

	status, body := uploadWith(t, c, clip, map[string]string{"campaign": campaign, "artist": "Ada"}, []byte(srtCaptions))
	if status != http.StatusAccepted {
		t.Fatalf("upload with captions and campaign: %d %s", status, body)
	}
	id := idOf(t, body)
	meta := metaOf(t, m, id)
	if meta.Campaign != campaign || meta.Captions != message.CaptionsKey(id) {
		t.Errorf("meta: campaign %q captions %q", meta.Campaign, meta.Captions)
	}
	if got := stored(t, m, message.CaptionsKey(id)); string(got) != srtCaptions {
		t.Errorf("stored captions %q", got)
	}
	v := c.WaitReady(t, id, 3*time.Minute)
	var seen struct {
		Campaign string
		Captions bool
	}
	_, b, _ := c.Do(t, "GET", "/v1/messages/"+id, nil, nil)
	testenv.Must(t, json.Unmarshal(b, &seen))
	if seen.Campaign != campaign || !seen.Captions || v.Status != "ready" {
		t.Errorf("the message view says campaign %q captions %v: %s", seen.Campaign, seen.Captions, b)
	}

	refused := []struct {
		name     string
		path     string
		fields   map[string]string
		captions []byte
		status   int
		words    string
	}{
		{"captions that are not captions", clip, nil, []byte("Hello crew, no timings here.\n"), 400, "no caption found"},
		{"captions with a broken timing", clip, nil, []byte("1\n00:00:02,000 --> 00:00:01,000\nBackwards\n"), 400, "not a start before an end"},
		{"captions not in UTF-8", clip, nil, []byte("1\n00:00:00,000 --> 00:00:01,000\n\xff\xfe\xfd\n"), 400, "UTF-8"},
		{"captions too large", clip, nil, append([]byte(srtCaptions), bytes.Repeat([]byte("x"), 600<<10)...), 413, "KiB"},
		{"captions for a photo", photo, nil, []byte(srtCaptions), 400, "photo"},
		{"a campaign that is not a name", clip, map[string]string{"campaign": "../../etc/passwd"}, nil, 400, "campaign"},
		{"a campaign in capitals", clip, map[string]string{"campaign": "Spring Tour"}, nil, 400, "lower-case"},
	}
	for _, r := range refused {
		status, body := uploadWith(t, c, r.path, r.fields, r.captions)
		if status != r.status || !strings.Contains(body, r.words) {
			t.Errorf("%s: %d %s; want %d saying %q", r.name, status, body, r.status, r.words)
		}
	}
	if keys := bucketKeys(t, m, message.OriginalsPrefix); len(keys) != 3 { // source, meta.json, captions of the first upload
		t.Errorf("refused uploads left keys: %v", keys)
	}

	// tus: the campaign in the metadata, checked at creation.
	if id := c.Tus(t, clip, map[string]string{"campaign": campaign, "filename": "clip.mov"}, 64<<10); metaOf(t, m, id).Campaign != campaign {
		t.Errorf("tus with a campaign: message %s has campaign %q", id, metaOf(t, m, id).Campaign)
	}
	if status, body := c.TusBytes(t, mustRead(t, clip), map[string]string{"campaign": "a/b"}, 64<<10); status != http.StatusBadRequest || !strings.Contains(body, "campaign") {
		t.Errorf("tus with a bad campaign: %d %s", status, body)
	}
}

// putCaptions sends PUT /v1/messages/{id}/captions with tok.
func putCaptions(t *testing.T, base, tok, id string, body []byte) (int, string) {
	t.Helper()
	c := &testenv.Client{Base: base, Token: tok}
	status, b, _ := c.Do(t, "PUT", "/v1/messages/"+id+"/captions", bytes.NewReader(body), http.Header{"Content-Type": {"text/vtt"}})
	return status, string(b)
}

// Captions added after the upload (a tus upload, or the team adding them later) are checked, stored,
// and the message is processed again: a ready message goes back to queued and is published anew, a
// message being processed has its job stopped and restarted. The invite that uploaded a message may
// do it too, no other invite may; DELETE takes them away the same way.
func TestCaptionsAddedLaterReprocessTheMessage(t *testing.T) {
	m := startMain(t, config.RoleRun, realEnv(t))
	team := &testenv.Client{Base: m.URL, Token: token}
	_, invTok := createInvite(t, team, `{"max_uploads":3}`)
	_, otherTok := createInvite(t, team, `{"max_uploads":1}`)
	artist := &testenv.Client{Base: m.URL, Token: invTok}
	clip := testenv.Corpus(t, "video/iphone4s_h264_rotated.mov")

	// The artist uploads by tus, then adds captions; once ready, the team replaces them.
	id := artist.Tus(t, clip, testenv.ArtistFields(map[string]string{"filename": "clip.mov", "campaign": campaign}), 64<<10)
	if status, body := putCaptions(t, m.URL, otherTok, id, []byte(vttCaptions)); status != http.StatusNotFound {
		t.Errorf("another invite adds captions: %d %s", status, body)
	}
	if status, body := putCaptions(t, m.URL, invTok, id, []byte("not captions")); status != http.StatusBadRequest || !strings.Contains(body, "bad_captions") {
		t.Errorf("bad captions: %d %s", status, body)
	}
	if status, body := putCaptions(t, m.URL, invTok, id, []byte(vttCaptions)); status != http.StatusAccepted {
		t.Fatalf("the artist adds captions: %d %s", status, body)
	}
	if got := stored(t, m, message.CaptionsKey(id)); string(got) != vttCaptions || metaOf(t, m, id).Captions != message.CaptionsKey(id) {
		t.Errorf("after PUT: stored %q, meta %+v", got, metaOf(t, m, id))
	}
	team.WaitReady(t, id, 3*time.Minute)

	before := time.Now()
	if status, body := putCaptions(t, m.URL, token, id, []byte(srtCaptions)); status != http.StatusAccepted || !strings.Contains(body, `"queued"`) {
		t.Fatalf("the team replaces the captions: %d %s", status, body)
	}
	team.WaitReady(t, id, 3*time.Minute)
	second := manifestOf(t, m, id)
	if !second.PublishedAt.After(before) {
		t.Errorf("no new run: manifest published %s, PUT at %s", second.PublishedAt, before)
	}
	if got := stored(t, m, message.CaptionsKey(id)); string(got) != srtCaptions {
		t.Errorf("stored captions %q", got)
	}

	// DELETE: gone from the bucket and the meta, processed again; a second DELETE has nothing to do.
	status, body, _ := artist.Do(t, "DELETE", "/v1/messages/"+id+"/captions", nil, nil)
	if status != http.StatusAccepted {
		t.Fatalf("DELETE captions: %d %s", status, body)
	}
	if got := stored(t, m, message.CaptionsKey(id)); got != nil || metaOf(t, m, id).Captions != "" {
		t.Errorf("after DELETE: stored %q, meta %+v", got, metaOf(t, m, id))
	}
	if !strings.Contains(string(body), `"captions": false`) {
		t.Errorf("DELETE captions answered %s, want \"captions\": false", body)
	}
	team.WaitReady(t, id, 3*time.Minute)
	// The message says false too (not null), and the published caption/vtt left the bucket.
	if _, b, _ := team.Do(t, "GET", "/v1/messages/"+id, nil, nil); !strings.Contains(string(b), `"captions": false`) || strings.Contains(string(b), "caption/vtt") {
		t.Errorf("after DELETE the message says %s", b)
	}
	if got := stored(t, m, message.OutputKey(id, "caption/vtt", ".vtt")); got != nil {
		t.Errorf("after DELETE the published captions are still in the bucket: %q", got)
	}
	if status, body, _ := team.Do(t, "DELETE", "/v1/messages/"+id+"/captions", nil, nil); status != http.StatusNotFound || !strings.Contains(string(body), "no_captions") {
		t.Errorf("second DELETE: %d %s", status, body)
	}

	// A photo takes no captions; an unknown message is 404.
	photo := team.Upload(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), nil)
	if status, body := putCaptions(t, m.URL, token, photo, []byte(srtCaptions)); status != http.StatusBadRequest || !strings.Contains(body, "captions_for_photo") {
		t.Errorf("captions on a photo: %d %s", status, body)
	}
	if status, _ := putCaptions(t, m.URL, token, message.NewID(), []byte(srtCaptions)); status != http.StatusNotFound {
		t.Errorf("captions on no message: %d", status)
	}
	team.WaitReady(t, photo, 2*time.Minute)

	// While a long job runs: the job is stopped and the message processed again with the captions.
	long := team.Upload(t, testenv.LongClip(t, t.TempDir(), 20), nil)
	waitStatus(t, team, long, "processing", time.Minute)
	put := time.Now()
	if status, body := putCaptions(t, m.URL, token, long, []byte(srtCaptions)); status != http.StatusAccepted {
		t.Fatalf("captions while processing: %d %s", status, body)
	}
	team.WaitReady(t, long, 5*time.Minute)
	if man := manifestOf(t, m, long); !man.PublishedAt.After(put) || metaOf(t, m, long).Captions == "" {
		t.Errorf("the running job was not redone with the captions: published %s, PUT at %s", man.PublishedAt, put)
	}
}

// waitStatus polls until message id has status want.
func waitStatus(t *testing.T, c *testenv.Client, id, want string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		got := c.Get(t, id)
		if got.Status == want {
			return
		}
		if got.Status == "ready" || got.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("message %s is %s, never %s", id, got.Status, want)
		}
	}
}
