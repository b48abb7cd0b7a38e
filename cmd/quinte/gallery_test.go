package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// listPage is GET /v1/messages's answer as the gallery reads it.
type listPage struct {
	Messages []struct {
		ID        string                 `json:"id"`
		Kind      string                 `json:"kind"`
		Status    string                 `json:"status"`
		Review    struct{ State string } `json:"review"`
		Artist    string                 `json:"artist"`
		Title     string                 `json:"title"`
		Campaign  string                 `json:"campaign"`
		PosterURL string                 `json:"poster_url"`
	} `json:"messages"`
	Next string `json:"next_before"`
}

func listQ(t *testing.T, c *testenv.Client, q string) listPage {
	t.Helper()
	status, body, _ := c.Do(t, "GET", "/v1/messages?"+q, nil, nil)
	var p listPage
	if status != http.StatusOK || json.Unmarshal(body, &p) != nil {
		t.Fatalf("GET /v1/messages?%s: %d %s", q, status, body)
	}
	return p
}

func (p listPage) ids() []string {
	ids := []string{}
	for _, m := range p.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

// waitList polls the list until ok holds of its answer to q, and says how long it took (a test never
// asserts a time: the figure is the benchmark's).
func waitList(t *testing.T, c *testenv.Client, q string, within time.Duration, ok func(listPage) bool) listPage {
	t.Helper()
	start := time.Now()
	for {
		p := listQ(t, c, q)
		if ok(p) {
			t.Logf("?%s as expected after %s", q, time.Since(start).Round(time.Millisecond))
			return p
		}
		if time.Since(start) > within {
			t.Fatalf("?%s: still %+v after %s", q, p.Messages, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// seedMessage writes a message's meta and record straight to the bucket, as another process (an API
// elsewhere, a worker) does: the list learns of it from the change feed only.
func seedMessage(t *testing.T, st message.JSONStore, meta message.Meta, change func(*message.Record)) string {
	t.Helper()
	meta.ID = message.NewID()
	testenv.Must(t, st.PutJSON(t.Context(), message.MetaKey(meta.ID), meta))
	states := message.States{Store: st}
	_, err := states.Create(t.Context(), meta.ID, meta.Kind)
	testenv.Must(t, err)
	if change != nil {
		_, err = states.Update(t.Context(), meta.ID, change)
		testenv.Must(t, err)
	}
	time.Sleep(2 * time.Millisecond) // ids a millisecond apart sort by creation
	return meta.ID
}

// The list's filters (status, review, kind, campaign, a search over artist and title that ignores case
// and accents) and paging, on messages written by "another process" (straight to the bucket), which
// the running API learns of through the change feed; a change made by it shows too.
func TestGalleryListFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		m := startMain(t, config.RoleRun, env)
		c := &testenv.Client{Base: m.URL, Token: token}
		approve := func(r *message.Record) {
			r.Review = &message.Review{State: message.ReviewApproved, By: "test", At: time.Now()}
		}
		failed := func(r *message.Record) {
			r.Status, r.Error = message.StatusFailed, &message.Error{Code: "x", Message: "y"}
		}
		jose := seedMessage(t, m.Store, message.Meta{Kind: message.KindVideo, Artist: "José Álvarez", Title: "Grazie mille", Campaign: "spring-tour"}, approve)
		strasse := seedMessage(t, m.Store, message.Meta{Kind: message.KindAudio, Artist: "STRASSE", Title: "Ünïcode"}, failed)
		ada := seedMessage(t, m.Store, message.Meta{Kind: message.KindImage, Artist: "Ada", Title: "Thank you, crew", Campaign: "spring-tour"}, nil)
		all := []string{ada, strasse, jose}
		waitList(t, c, "", 20*time.Second, func(p listPage) bool { return slices.Equal(p.ids(), all) })

		for q, want := range map[string][]string{
			"q=jose":                          {jose},
			"q=" + url.QueryEscape("ÁLVAREZ"): {jose},
			"q=" + url.QueryEscape("straße"):  {strasse},
			"q=unicode":                       {strasse},
			"q=crew":                          {ada},
			"q=nobody":                        {},
			"kind=audio":                      {strasse},
			"kind=image":                      {ada},
			"campaign=spring-tour":            {ada, jose},
			"status=failed":                   {strasse},
			"status=queued":                   {ada, jose},
			"review=approved":                 {jose},
			"review=pending":                  {ada, strasse},
			"review=rejected":                 {},
			"campaign=spring-tour&kind=video": {jose},
			"campaign=spring-tour&review=pending&q=ADA": {ada},
			"before=" + ada: {strasse, jose},
		} {
			if got := listQ(t, c, q).ids(); !slices.Equal(got, want) {
				t.Errorf("?%s: %v, want %v", q, got, want)
			}
		}
		p := listQ(t, c, "campaign=spring-tour&limit=1")
		if !slices.Equal(p.ids(), []string{ada}) || p.Next != ada {
			t.Errorf("first page of spring-tour: %v next %q", p.ids(), p.Next)
		}
		if p := listQ(t, c, "campaign=spring-tour&limit=1&before="+p.Next); !slices.Equal(p.ids(), []string{jose}) || p.Next != "" {
			t.Errorf("last page of spring-tour: %v next %q", p.ids(), p.Next)
		}
		if got := listQ(t, c, "q=jose").Messages[0]; got.Artist != "José Álvarez" || got.Title != "Grazie mille" || got.Kind != "video" || got.Review.State != "approved" || got.Campaign != "spring-tour" {
			t.Errorf("José's item: %+v", got)
		}
		for q, code := range map[string]string{"review=maybe": "bad_review", "kind=pdf": "bad_kind", "campaign=../x": "bad_campaign"} {
			status, body, _ := c.Do(t, "GET", "/v1/messages?"+q, nil, nil)
			var e struct{ Error struct{ Code string } }
			if status != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Error.Code != code {
				t.Errorf("?%s: %d %s, want 400 %s", q, status, body, code)
			}
		}

		// A change elsewhere (a worker's, straight to the record) shows in the list.
		_, err := message.States{Store: m.Store}.Update(t.Context(), ada, approve)
		testenv.Must(t, err)
		waitList(t, c, "review=approved", 20*time.Second, func(p listPage) bool { return slices.Equal(p.ids(), []string{ada, jose}) })
	})
}

// reviewCall posts a review as JSON (body a map) or as a form (body url.Values) and returns the answer;
// redirects are not followed.
func reviewCall(t *testing.T, base, tok, id string, body any) (int, []byte, http.Header) {
	t.Helper()
	var req *http.Request
	var err error
	switch b := body.(type) {
	case url.Values:
		req, err = http.NewRequest("POST", base+"/v1/messages/"+id+"/review", strings.NewReader(b.Encode()))
		testenv.Must(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		data, _ := json.Marshal(b)
		req, err = http.NewRequest("POST", base+"/v1/messages/"+id+"/review", bytes.NewReader(data))
		testenv.Must(t, err)
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	hc := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	testenv.Must(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

// Review: approve, reject with a reason (by JSON and by a browser form sent back to its page), back to
// pending; what it refuses, with the code it names; the record keeps every decision, the list filters
// on the last one, and the processing status is not touched.
func TestGalleryReview(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		m := startMain(t, config.RoleRun, env)
		c := &testenv.Client{Base: m.URL, Token: token}
		id := seedMessage(t, m.Store, message.Meta{Kind: message.KindAudio, Artist: "Ada", Title: "Voice note"}, func(r *message.Record) {
			r.Status = message.StatusFailed
			r.Error = &message.Error{Code: "unsupported", Message: "a test record"}
		})

		if status, body, _ := reviewCall(t, m.URL, token, id, map[string]string{"state": "approved"}); status != http.StatusOK ||
			!strings.Contains(string(body), `"state": "approved"`) || !strings.Contains(string(body), `"by": "team"`) {
			t.Fatalf("approve: %d %s", status, body)
		}
		// Within the same process, at once.
		if got := listQ(t, c, "review=approved").ids(); !slices.Equal(got, []string{id}) {
			t.Errorf("?review=approved right after approving: %v", got)
		}
		for _, bad := range []struct {
			body any
			code string
		}{
			{map[string]string{"state": "rejected"}, "reason_required"},
			{map[string]string{"state": "rejected", "reason": "   "}, "reason_required"},
			{map[string]string{"state": "rejected", "reason": strings.Repeat("é", 501)}, "text_too_long"},
			{map[string]string{"state": "maybe"}, "bad_state"},
			{url.Values{"state": {"approved"}, "redirect": {"//evil.example/team"}}, "bad_redirect"},
			{url.Values{"state": {"approved"}, "redirect": {"https://evil.example/team"}}, "bad_redirect"},
			{url.Values{"state": {"approved"}, "redirect": {"/team/../v1/messages"}}, "bad_redirect"},
			{url.Values{"state": {"approved"}, "redirect": {"/teamster"}}, "bad_redirect"},
			{url.Values{"state": {"approved"}, "redirect": {"/v1/messages"}}, "bad_redirect"},
		} {
			status, body, _ := reviewCall(t, m.URL, token, id, bad.body)
			var e struct{ Error struct{ Code string } }
			if status != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Error.Code != bad.code {
				t.Errorf("%v: %d %s, want 400 %s", bad.body, status, body, bad.code)
			}
		}
		if status, body, _ := c.Do(t, "POST", "/v1/messages/"+id+"/review", strings.NewReader("state=approved"), http.Header{"Content-Type": {"text/plain"}}); status != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain: %d %s", status, body)
		}
		if status, _, _ := reviewCall(t, m.URL, token, message.NewID(), map[string]string{"state": "approved"}); status != http.StatusNotFound {
			t.Errorf("an unknown id: %d", status)
		}
		if status, _, _ := reviewCall(t, m.URL, "wrong-token-0123456789", id, map[string]string{"state": "approved"}); status != http.StatusUnauthorized {
			t.Errorf("a wrong token: %d", status)
		}

		// A browser form: back to its page.
		page := "/team/messages/" + id + "?lang=it"
		status, body, h := reviewCall(t, m.URL, token, id, url.Values{"state": {"rejected"}, "reason": {"Audio\tclipped <b>"}, "redirect": {page}})
		if status != http.StatusSeeOther || h.Get("Location") != page {
			t.Fatalf("form reject: %d %s Location %q", status, body, h.Get("Location"))
		}
		status, body, _ = c.Do(t, "GET", "/v1/messages/"+id, nil, nil)
		var v struct {
			Status string
			Review struct {
				State, Reason, By string
				At                time.Time
			}
			History []struct{ State, Reason, By string } `json:"review_history"`
		}
		testenv.Must(t, json.Unmarshal(body, &v))
		if status != http.StatusOK || v.Status != "failed" || v.Review.State != "rejected" || v.Review.Reason != "Audio clipped <b>" || v.Review.By != "team" || v.Review.At.IsZero() {
			t.Errorf("after rejecting: %d %s", status, body)
		}
		if len(v.History) != 2 || v.History[0].State != "approved" || v.History[1].State != "rejected" {
			t.Errorf("history: %+v", v.History)
		}
		if got := listQ(t, c, "review=rejected").ids(); !slices.Equal(got, []string{id}) {
			t.Errorf("?review=rejected: %v", got)
		}
		if status, body, _ := reviewCall(t, m.URL, token, id, url.Values{"state": {"pending"}}); status != http.StatusOK || !strings.Contains(string(body), `"state": "pending"`) {
			t.Errorf("back to pending by a form without redirect: %d %s", status, body)
		}
		if got := listQ(t, c, "review=pending").ids(); !slices.Equal(got, []string{id}) {
			t.Errorf("?review=pending: %v", got)
		}
	})
}

// Two API processes on one bucket: a message processed by the first's worker shows ready, with its
// poster, in the second's list, and a review made through the second shows in the first's list, each
// through the change feed. Rejecting keeps the files.
func TestGalleryAcrossProcesses(t *testing.T) {
	env := realEnv(t)
	run := startMain(t, config.RoleRun, env)
	api := startMain(t, config.RoleAPI, env)
	c1 := &testenv.Client{Base: run.URL, Token: token}
	c2 := &testenv.Client{Base: api.URL, Token: token}
	id := c1.Upload(t, testenv.Clip(t, t.TempDir(), 2, 320, 240, 15), map[string]string{"artist": "Zoë", "title": "Grazie"})
	c1.WaitReady(t, id, 3*time.Minute)
	p := waitList(t, c2, "status=ready&q=zoe", 20*time.Second, func(p listPage) bool { return slices.Equal(p.ids(), []string{id}) })
	if p.Messages[0].PosterURL == "" {
		t.Fatalf("no poster_url: %+v", p.Messages[0])
	}
	path, _ := testenv.Download(t, p.Messages[0].PosterURL, t.TempDir(), "poster")
	if w := testenv.ReadWebP(t, path); w.Width == 0 {
		t.Errorf("the poster is not a WebP picture: %+v", w)
	}
	if status, body, _ := reviewCall(t, api.URL, token, id, map[string]string{"state": "rejected", "reason": "wrong venue"}); status != http.StatusOK {
		t.Fatalf("reject through the second API: %d %s", status, body)
	}
	waitList(t, c1, "review=rejected", 20*time.Second, func(p listPage) bool { return slices.Equal(p.ids(), []string{id}) })
	v := c1.Get(t, id)
	o := v.Output(t, "crop/9x16")
	if path, _ := testenv.Download(t, o.URL, t.TempDir(), "crop"); testenv.Probe(t, path).Duration() < 1 {
		t.Errorf("the rejected message's crop does not play")
	}

	// Revoked through the second API: the first's list says so, and the message takes no review.
	if status, body, _ := c2.Do(t, "POST", "/v1/messages/"+id+"/revoke", nil, nil); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, body)
	}
	waitList(t, c1, "status=revoked", 20*time.Second, func(p listPage) bool { return slices.Equal(p.ids(), []string{id}) })
	if status, body, _ := reviewCall(t, run.URL, token, id, map[string]string{"state": "approved"}); status != http.StatusConflict {
		t.Errorf("reviewing a revoked message: %d %s", status, body)
	}
}

// The social kit of a processed clip with captions: one zip, named from the artist and the title, with
// every crop (stored as they are, each playing), the posters, the captions and credits.txt; names are
// slugs whatever the artist typed. A message not ready has no kit yet (409).
func TestGalleryKit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env map[string]string) {
		m := startMain(t, config.RoleRun, env)
		c := &testenv.Client{Base: m.URL, Token: token}
		dir := t.TempDir()
		artist := "Zoë Ørsted/../<img src=x>"
		status, body := uploadWith(t, c, testenv.Clip(t, dir, 2, 320, 240, 15),
			map[string]string{"artist": artist, "title": "Thank you, crew!", "campaign": "spring-tour"},
			[]byte("1\n00:00:00,000 --> 00:00:01,500\nGrazie a tutti!\n"))
		if status != http.StatusAccepted {
			t.Fatalf("upload: %d %s", status, body)
		}
		id := idOf(t, body)
		v := c.WaitReady(t, id, 3*time.Minute)

		// The team's view: each output says why it is what it is, and downloads under a readable name.
		const base = "zoe-orsted-img-src-x-thank-you-crew"
		_, raw, _ := c.Do(t, "GET", "/v1/messages/"+id, nil, nil)
		var view struct {
			Outputs []struct {
				Name, Role, URL, Filename string
				Why                       []struct{ Code, Text string }
			}
		}
		testenv.Must(t, json.Unmarshal(raw, &view))
		for _, o := range view.Outputs {
			if o.Role == "crop" && (len(o.Why) == 0 || o.Why[len(o.Why)-1].Code == "" || o.Why[len(o.Why)-1].Text == "") {
				t.Errorf("%s has no why: %+v", o.Name, o.Why)
			}
			if !strings.HasPrefix(o.Filename, base+"_") {
				t.Errorf("%s downloads as %q", o.Name, o.Filename)
			}
			if o.Name == "crop/9x16" {
				t.Logf("crop/9x16: %+v", o.Why)
				_, hdr := testenv.Download(t, o.URL, dir, "crop.mp4")
				if cd := hdr.Get("Content-Disposition"); cd != "attachment; filename="+base+"_9x16.mp4" {
					t.Errorf("crop/9x16's link answers Content-Disposition %q", cd)
				}
			}
		}

		status, kit, h := c.Do(t, "GET", "/v1/messages/"+id+"/kit", nil, nil)
		if status != http.StatusOK || h.Get("Content-Type") != "application/zip" {
			t.Fatalf("kit: %d %s %v", status, kit[:min(len(kit), 300)], h)
		}
		if cd := h.Get("Content-Disposition"); cd != `attachment; filename=`+base+`_kit.zip` {
			t.Errorf("Content-Disposition %q", cd)
		}
		zr, err := zip.NewReader(bytes.NewReader(kit), int64(len(kit)))
		testenv.Must(t, err)
		got := map[string]*zip.File{}
		for _, f := range zr.File {
			got[f.Name] = f
			if len(f.Name) > 80 || strings.ContainsAny(f.Name, `/\ `) || strings.Contains(f.Name, "..") ||
				(f.Name != "credits.txt" && !strings.HasPrefix(f.Name, base+"_")) {
				t.Errorf("entry name %q", f.Name)
			}
		}
		var want []string
		for _, o := range v.Outputs {
			switch o.Role {
			case "crop", "poster", "caption":
				want = append(want, o.Name)
			}
		}
		if len(got) != len(want)+1 {
			names := []string{}
			for n := range got {
				names = append(names, n)
			}
			t.Errorf("kit holds %v; the message's crops, posters and captions are %v", names, want)
		}
		for _, name := range []string{base + "_9x16.mp4", base + "_1x1.mp4", base + "_poster.jpg", base + "_poster-640.webp", base + "_caption.vtt", "credits.txt"} {
			f := got[name]
			if f == nil {
				t.Errorf("no %s in the kit", name)
				continue
			}
			rc, err := f.Open()
			testenv.Must(t, err)
			data, err := io.ReadAll(rc)
			rc.Close()
			testenv.Must(t, err)
			switch {
			case strings.HasSuffix(name, ".mp4"):
				if f.Method != zip.Store {
					t.Errorf("%s compressed again", name)
				}
				p := filepath.Join(dir, name)
				testenv.Must(t, os.WriteFile(p, data, 0o644))
				if d := testenv.Probe(t, p).Duration(); d < 1.5 {
					t.Errorf("%s lasts %.2fs", name, d)
				}
			case name == base+"_caption.vtt":
				if !strings.Contains(string(data), "Grazie a tutti!") {
					t.Errorf("captions: %q", data)
				}
			case name == "credits.txt":
				for _, line := range []string{"Artist:   " + artist, "Title:    Thank you, crew!", "Campaign: spring-tour", "Consent:", "Message:  " + m.URL + "/team/messages/" + id} {
					if !strings.Contains(string(data), line) {
						t.Errorf("credits.txt lacks %q:\n%s", line, data)
					}
				}
			}
		}

		if status, body, h := c.Do(t, "HEAD", "/v1/messages/"+id+"/kit", nil, nil); status != http.StatusOK || len(body) != 0 || h.Get("Content-Type") != "application/zip" {
			t.Errorf("HEAD kit: %d %d bytes %v", status, len(body), h)
		}
		queued := seedMessage(t, m.Store, message.Meta{Kind: message.KindVideo, Artist: "Ada"}, nil)
		if status, body, _ := c.Do(t, "GET", "/v1/messages/"+queued+"/kit", nil, nil); status != http.StatusConflict || !strings.Contains(string(body), "not_ready") {
			t.Errorf("a queued message's kit: %d %s", status, body)
		}
		if status, _, _ := c.Do(t, "GET", "/v1/messages/"+message.NewID()+"/kit", nil, nil); status != http.StatusNotFound {
			t.Errorf("an unknown message's kit: %d", status)
		}
	})
}
