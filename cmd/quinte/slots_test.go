package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// An invite's slot is taken when a tus upload is created (so a leaked invite cannot start more uploads
// than it allows) and given back when the upload is cancelled (tus DELETE) or refused; an upload
// abandoned halfway keeps its slot, since the artist may still resume it (until QUINTE_TUS_EXPIRE_AFTER:
// TestAbandonedResumableUploadsExpire).
// An upload refused at creation (a bad campaign) takes no slot.
func TestInviteSlotsOfResumableUploads(t *testing.T) {
	forEachBackend(t, testInviteSlotsOfResumableUploads)
}

func testInviteSlotsOfResumableUploads(t *testing.T, env map[string]string) {
	m := startMain(t, config.RoleRun, env)
	team := &testenv.Client{Base: m.URL, Token: token}
	invID, invTok := createInvite(t, team, `{"max_uploads":2}`)
	artist := &testenv.Client{Base: m.URL, Token: invTok}
	remaining := func() int { t.Helper(); return uploadsLeft(t, artist) }
	clip := mustRead(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"))

	// Refused at creation: no slot.
	resp, body := tusRequest(t, "POST", m.URL+"/v1/uploads/", invTok, nil, map[string]string{
		"Upload-Length": strconv.Itoa(len(clip)), "Upload-Metadata": "campaign " + base64.StdEncoding.EncodeToString([]byte("No Such/Name")),
	})
	if resp.StatusCode != http.StatusBadRequest || remaining() != 2 {
		t.Errorf("tus with a bad campaign: %d %s, %d uploads left", resp.StatusCode, body, remaining())
	}

	// Abandoned halfway: the slot stays taken.
	abandoned := tusCreate(t, m.URL, invTok, len(clip))
	resp, _ = tusRequest(t, "PATCH", m.URL+abandoned, invTok, clip[:len(clip)/2], map[string]string{"Upload-Offset": "0"})
	if resp.StatusCode != http.StatusNoContent || remaining() != 1 {
		t.Fatalf("half an upload: %d, %d uploads left; want 204 and 1", resp.StatusCode, remaining())
	}

	// Cancelled: the slot comes back and the partial upload is gone from the bucket.
	cancelled := tusCreate(t, m.URL, invTok, len(clip))
	resp, _ = tusRequest(t, "PATCH", m.URL+cancelled, invTok, clip[:len(clip)/3], map[string]string{"Upload-Offset": "0"})
	if resp.StatusCode != http.StatusNoContent || remaining() != 0 {
		t.Fatalf("second upload: %d, %d uploads left; want 204 and 0", resp.StatusCode, remaining())
	}
	if resp, body := tusRequest(t, "POST", m.URL+"/v1/uploads/", invTok, nil, map[string]string{"Upload-Length": "10", "Upload-Metadata": testenv.TusMetadata(testenv.ArtistFields(nil))}); resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "no uploads left") {
		t.Errorf("a third upload on a used-up invite: %d %s", resp.StatusCode, body)
	}
	if resp, _ := tusRequest(t, "DELETE", m.URL+cancelled, invTok, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("tus DELETE: %d", resp.StatusCode)
	}
	if n := remaining(); n != 1 {
		t.Errorf("after tus DELETE: %d uploads left, want 1", n)
	}
	cancelledID := message.IDFromUploadID(strings.TrimPrefix(cancelled, "/v1/uploads/")) // tusCreate gives the path
	for _, k := range bucketKeys(t, m, "uploads/") {
		if strings.HasPrefix(k, "uploads/"+cancelledID) {
			t.Errorf("the cancelled upload left %s", k)
		}
	}
	if resp, _ := tusRequest(t, "HEAD", m.URL+cancelled, invTok, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD on the cancelled upload: %d", resp.StatusCode)
	}

	// The abandoned one can still be finished with its slot, and becomes a message of the invite.
	resp, _ = tusRequest(t, "PATCH", m.URL+abandoned, invTok, clip[len(clip)/2:], map[string]string{"Upload-Offset": strconv.Itoa(len(clip) / 2)})
	id := resp.Header.Get("Quinte-Message-Id")
	if resp.StatusCode != http.StatusNoContent || !message.ValidID(id) {
		t.Fatalf("resuming the abandoned upload: %d", resp.StatusCode)
	}
	if meta := metaOf(t, m, id); meta.InviteID != invID || remaining() != 1 {
		t.Errorf("resumed upload: invite %q, %d uploads left; want %s and 1", meta.InviteID, remaining(), invID)
	}
	team.WaitReady(t, id, 2*time.Minute)
}

// An upload left unfinished past QUINTE_TUS_EXPIRE_AFTER is removed by the reconciler (its bytes and
// companions leave the bucket, tus answers 404) and its invite gets the upload back; one still
// within the time keeps its slot and can be finished.
func TestAbandonedResumableUploadsExpire(t *testing.T) {
	env := realEnv(t)
	env["QUINTE_UPLOAD_IDLE_TIMEOUT"] = "1s"
	env["QUINTE_TUS_EXPIRE_AFTER"] = "4s"
	env["QUINTE_RECONCILE_EVERY"] = "1s"
	m := startMain(t, config.RoleRun, env)
	team := &testenv.Client{Base: m.URL, Token: token}
	_, invTok := createInvite(t, team, `{"max_uploads":2}`)
	artist := &testenv.Client{Base: m.URL, Token: invTok}
	remaining := func() int { t.Helper(); return uploadsLeft(t, artist) }
	clip := mustRead(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"))

	abandoned := tusCreate(t, m.URL, invTok, len(clip))
	if resp, _ := tusRequest(t, "PATCH", m.URL+abandoned, invTok, clip[:len(clip)/2], map[string]string{"Upload-Offset": "0"}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("half an upload: %d", resp.StatusCode)
	}
	if n := remaining(); n != 1 {
		t.Fatalf("%d uploads left after starting one, want 1", n)
	}
	id := message.IDFromUploadID(strings.TrimPrefix(abandoned, "/v1/uploads/")) // tusCreate gives the path

	deadline := time.Now().Add(time.Minute)
	for remaining() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the abandoned upload still holds its slot a minute later; bucket: %v", bucketKeys(t, m, "uploads/"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, k := range bucketKeys(t, m, "uploads/") {
		if strings.HasPrefix(k, "uploads/"+id) {
			t.Errorf("the expired upload left %s", k)
		}
	}
	if resp, _ := tusRequest(t, "HEAD", m.URL+abandoned, invTok, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD on the expired upload: %d, want 404", resp.StatusCode)
	}
	if resp, _ := tusRequest(t, "PATCH", m.URL+abandoned, invTok, clip[len(clip)/2:], map[string]string{"Upload-Offset": strconv.Itoa(len(clip) / 2)}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("resuming the expired upload: %d, want 404", resp.StatusCode)
	}

	// A fresh upload, finished in time, is not touched by the reconciler.
	fresh := tusCreate(t, m.URL, invTok, len(clip))
	resp, _ := tusRequest(t, "PATCH", m.URL+fresh, invTok, clip, map[string]string{"Upload-Offset": "0"})
	if msg := resp.Header.Get("Quinte-Message-Id"); resp.StatusCode != http.StatusNoContent || !message.ValidID(msg) {
		t.Fatalf("a fresh upload: %d", resp.StatusCode)
	} else {
		team.WaitReady(t, msg, 2*time.Minute)
	}
	if n := remaining(); n != 1 {
		t.Errorf("%d uploads left after one finished, want 1", n)
	}
}

// uploadsLeft is how many uploads the invite of c still allows (GET /v1/invite).
func uploadsLeft(t *testing.T, c *testenv.Client) int {
	t.Helper()
	status, b, _ := c.Do(t, "GET", "/v1/invite", nil, nil)
	var v struct{ Remaining int }
	if status != http.StatusOK || json.Unmarshal(b, &v) != nil {
		t.Fatalf("GET /v1/invite: %d %s", status, b)
	}
	return v.Remaining
}

// A resumable upload survives a restart of the API halfway (of everything, on the embedded parts): the
// artist asks the offset, sends the rest, and the last PATCH makes the message, which gets ready.
func TestTusResumedAfterRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		clip := mustRead(t, testenv.Corpus(t, "video/iphone4s_h264_rotated.mov"))
		m := startMain(t, config.RoleRun, env)
		up := tusCreate(t, m.URL, token, len(clip))
		half := len(clip) / 2
		if resp, body := tusRequest(t, "PATCH", m.URL+up, token, clip[:half], map[string]string{"Upload-Offset": "0"}); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("first half: %d %s", resp.StatusCode, body)
		}
		testenv.Must(t, m.Close())

		m2 := startMain(t, config.RoleRun, env)
		resp, body := tusRequest(t, "HEAD", m2.URL+up, token, nil, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Upload-Offset") != strconv.Itoa(half) {
			t.Fatalf("HEAD after the restart: %d, offset %q, want 200 and %d: %s", resp.StatusCode, resp.Header.Get("Upload-Offset"), half, body)
		}
		resp, body = tusRequest(t, "PATCH", m2.URL+up, token, clip[half:], map[string]string{"Upload-Offset": strconv.Itoa(half)})
		id := resp.Header.Get("Quinte-Message-Id")
		if resp.StatusCode != http.StatusNoContent || !message.ValidID(id) {
			t.Fatalf("the rest after the restart: %d %s", resp.StatusCode, body)
		}
		team := &testenv.Client{Base: m2.URL, Token: token}
		team.WaitReady(t, id, 2*time.Minute)
		if meta := metaOf(t, m2, id); meta.Size != int64(len(clip)) || meta.Via != "tus" {
			t.Errorf("resumed upload recorded as %+v", meta)
		}
		if n, err := m2.Store.Size(t.Context(), message.OriginalKey(id)); err != nil || n != int64(len(clip)) {
			t.Errorf("original of the resumed upload: %d bytes (%v), want %d", n, err, len(clip))
		}
	})
}
