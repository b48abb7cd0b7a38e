package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// listPage is GET /v1/messages's answer as the gallery reads it.
type listPage struct {
	Messages []struct {
		ID        string `json:"id"`
		Kind      string `json:"kind"`
		Status    string `json:"status"`
		Review    string `json:"review"`
		Artist    string `json:"artist"`
		Title     string `json:"title"`
		Campaign  string `json:"campaign"`
		PosterURL string `json:"poster_url"`
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
		if got := listQ(t, c, "q=jose").Messages[0]; got.Artist != "José Álvarez" || got.Title != "Grazie mille" || got.Kind != "video" || got.Review != "approved" || got.Campaign != "spring-tour" {
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
