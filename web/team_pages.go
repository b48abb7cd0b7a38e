package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// teamMessage is a message as GET /v1/messages and GET /v1/messages/{id} answer it. Review and
// consent are read loosely (a state string or an object), so a page keeps working while the API
// grows.
type teamMessage struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	Status    string          `json:"status"`
	Error     *teamError      `json:"error"`
	Artist    string          `json:"artist"`
	Title     string          `json:"title"`
	Campaign  string          `json:"campaign"`
	RawReview json.RawMessage `json:"review"`
	Consent   json.RawMessage `json:"consent"`
	PosterURL string          `json:"poster_url"`
	Revoked   *struct {
		By string    `json:"by"`
		At time.Time `json:"at"`
	} `json:"revoked"`
	Duration  float64      `json:"duration"`
	CreatedAt time.Time    `json:"created_at"`
	Outputs   []teamOutput `json:"outputs"`

	Review teamReview `json:"-"`
}

type teamError struct{ Code, Message string }

type teamReview struct {
	State  string    `json:"state"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

type teamOutput struct {
	Name        string  `json:"name"`
	Role        string  `json:"role"`
	Width       int     `json:"width"`
	Height      int     `json:"height"`
	Duration    float64 `json:"duration"`
	ContentType string  `json:"content_type"`
	Size        int64   `json:"size"`
	Mode        string  `json:"mode"`
	URL         string  `json:"url"`
	Why         []struct {
		Code string `json:"code"`
		Text string `json:"text"`
	} `json:"why"`
}

func (m *teamMessage) settle() {
	if len(m.RawReview) > 0 && m.RawReview[0] == '"' {
		_ = json.Unmarshal(m.RawReview, &m.Review.State)
	} else if len(m.RawReview) > 0 {
		_ = json.Unmarshal(m.RawReview, &m.Review)
	}
	if m.Review.State == "" {
		m.Review.State = "pending"
	}
	for _, o := range m.Outputs {
		m.Duration = max(m.Duration, o.Duration)
		if m.PosterURL == "" && o.Name == "poster/640/webp" {
			m.PosterURL = o.URL
		}
	}
}

// The grid.

type gridData struct {
	Messages []teamMessage
	Filter   gridFilter
	Next     string // query of the next page
	First    bool
}

type gridFilter struct{ Review, Status, Kind, Campaign, Q string }

const gridPage = 24

func (t *Team) grid(w http.ResponseWriter, r *http.Request, who string) {
	in := r.URL.Query()
	f := gridFilter{Review: in.Get("review"), Status: in.Get("status"), Kind: in.Get("kind"),
		Campaign: strings.TrimSpace(in.Get("campaign")), Q: strings.TrimSpace(in.Get("q"))}
	q := f.values()
	q.Set("limit", strconv.Itoa(gridPage))
	if b := in.Get("before"); b != "" {
		q.Set("before", b)
	}
	d := teamPage{Who: who, Title: "messages", Grid: &gridData{Filter: f, First: in.Get("before") == ""},
		Scripts: []string{"team.js"}}
	status, body := t.call(r, http.MethodGet, "/v1/messages?"+q.Encode(), nil, false)
	if status != http.StatusOK {
		d.Error, d.ErrorText = "api_error", apiErrorText(body)
		t.render(w, r, status, "grid", d)
		return
	}
	var list struct {
		Messages   []teamMessage `json:"messages"`
		NextBefore string        `json:"next_before"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.log.Error("team grid: the API's answer", "err", err)
		d.Error = "api_error"
		t.render(w, r, http.StatusBadGateway, "grid", d)
		return
	}
	var links []string
	for i := range list.Messages {
		list.Messages[i].settle()
		list.Messages[i].Outputs = nil
		links = append(links, list.Messages[i].PosterURL)
	}
	d.Grid.Messages, d.Origins = list.Messages, origins(links...)
	if list.NextBefore != "" {
		n := f.values()
		n.Set("before", list.NextBefore)
		d.Grid.Next = "/team?" + n.Encode()
	}
	d.Notice = in.Get("notice")
	t.render(w, r, http.StatusOK, "grid", d)
}

func (f gridFilter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"review": f.Review, "status": f.Status, "kind": f.Kind, "campaign": f.Campaign, "q": f.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// A message's page.

type messageData struct {
	M        teamMessage
	Videos   []teamOutput // renditions, crops, previews, audiograms: <video>
	HLS      []teamOutput
	Images   []teamOutput // posters, thumbnails, photos
	Captions []teamOutput
	Others   []teamOutput
	Track    string // a captions track the players can load (same origin only)
	Consent  []kv
	Link     string // this page's shareable address
}

type kv struct{ K, V string }

func (t *Team) message(w http.ResponseWriter, r *http.Request, who string) {
	id := r.PathValue("id")
	status, body := t.call(r, http.MethodGet, "/v1/messages/"+url.PathEscape(id), nil, false)
	d := teamPage{Who: who, Title: "message", Scripts: []string{"team.js"}}
	if status != http.StatusOK {
		d.Error, d.ErrorText = "api_error", apiErrorText(body)
		page := "message"
		if status == http.StatusNotFound || status == http.StatusBadRequest {
			page, status = "notfound", http.StatusNotFound
		}
		t.render(w, r, status, page, d)
		return
	}
	var m teamMessage
	if err := json.Unmarshal(body, &m); err != nil {
		d.Error = "api_error"
		t.render(w, r, http.StatusBadGateway, "message", d)
		return
	}
	m.settle()
	md := &messageData{M: m, Consent: consentFields(m.Consent), Link: pageBase(r) + "/team/m/" + url.PathEscape(m.ID)}
	var links []string
	for _, o := range m.Outputs {
		links = append(links, o.URL)
		switch {
		case o.Role == "hls":
			md.HLS = append(md.HLS, o)
		case strings.HasPrefix(o.ContentType, "video/"):
			md.Videos = append(md.Videos, o)
		case strings.HasPrefix(o.ContentType, "image/"):
			// Photo previews: a photo's pictures, and one poster of a video (the rest are in the list).
			if o.Role == "image" || o.Name == "poster/640/webp" {
				md.Images = append(md.Images, o)
			}
		case o.Role == "caption" || strings.HasPrefix(o.ContentType, "text/vtt"):
			md.Captions = append(md.Captions, o)
			if md.Track == "" && strings.HasPrefix(o.ContentType, "text/vtt") && sameOrigin(r, o.URL) {
				md.Track = o.URL
			}
		default:
			md.Others = append(md.Others, o)
		}
	}
	if len(md.HLS) > 0 {
		d.Scripts = []string{"hls.min.js", "team.js"}
	}
	d.Message, d.Origins = md, origins(links...)
	d.Notice = r.URL.Query().Get("notice")
	t.render(w, r, http.StatusOK, "message", d)
}

// consentFields is the consent record to show: nothing when none was recorded (and no statement).
func consentFields(raw json.RawMessage) []kv {
	var out []kv
	recorded := false
	for _, f := range flatten(raw) {
		switch {
		case f.K == "recorded":
			recorded = f.V == "true"
		case strings.HasSuffix(f.K, "_at"):
			// A time is for a person to read: to the second, with its zone (the record keeps nanoseconds).
			if at, err := time.Parse(time.RFC3339Nano, f.V); err == nil {
				f.V = at.Local().Format("2006-01-02 15:04:05 MST")
			}
			out = append(out, f)
		default:
			out = append(out, f)
		}
	}
	if !recorded && len(out) == 0 {
		return nil
	}
	return out
}

// flatten lists a JSON object's fields as text, nested ones joined by a dot, for the consent record.
func flatten(raw json.RawMessage) []kv {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []kv
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for _, k := range sortedKeys(m) {
			switch v := m[k].(type) {
			case map[string]any:
				walk(prefix+k+".", v)
			case nil:
			case string:
				out = append(out, kv{prefix + k, v})
			default:
				b, _ := json.Marshal(v)
				out = append(out, kv{prefix + k, string(b)})
			}
		}
	}
	walk("", m)
	return out
}

func pageBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func sameOrigin(r *http.Request, link string) bool {
	u, err := url.Parse(link)
	return err == nil && (u.Host == "" || u.Host == r.Host)
}

// revoke is the second step of a revocation: the page's form (or confirm()) says yes, then the API's
// POST /v1/messages/{id}/revoke deletes the files.
func (t *Team) revoke(w http.ResponseWriter, r *http.Request, who string) {
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		t.render(w, r, http.StatusOK, "revoke", teamPage{Who: who, Title: "revoke",
			Message: &messageData{M: teamMessage{ID: id}}})
		return
	}
	status, body := t.call(r, http.MethodPost, "/v1/messages/"+url.PathEscape(id)+"/revoke", map[string]string{"reason": "revoked from the gallery"}, false)
	if status >= 300 {
		t.render(w, r, status, "revoke", teamPage{Who: who, Title: "revoke", Error: "api_error", ErrorText: apiErrorText(body),
			Message: &messageData{M: teamMessage{ID: id}}})
		return
	}
	http.Redirect(w, r, "/team/m/"+url.PathEscape(id)+"?notice=revoked", http.StatusSeeOther)
}

// Invites.

type teamInvite struct {
	ID         string    `json:"id"`
	Token      string    `json:"token"`
	URL        string    `json:"url"`
	Status     string    `json:"status"`
	Label      string    `json:"label"`
	Prompts    []string  `json:"prompts"`
	MaxUploads int       `json:"max_uploads"`
	MaxSeconds int       `json:"max_seconds"`
	Remaining  int       `json:"remaining"`
	Messages   []string  `json:"messages"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

type invitesData struct {
	List []teamInvite
	New  *teamInvite
	Link string
	QR   template.HTML
	Form inviteForm
}

type inviteForm struct {
	Label, MaxUploads, ExpiresIn, Prompts, MaxSeconds string
}

var inviteExpiries = []string{"24h", "72h", "168h", "720h"}

func (t *Team) invites(w http.ResponseWriter, r *http.Request, who string) {
	t.renderInvites(w, r, who, http.StatusOK, &invitesData{Form: inviteForm{MaxUploads: "5", ExpiresIn: "168h"}}, "", "")
}

func (t *Team) renderInvites(w http.ResponseWriter, r *http.Request, who string, status int, d *invitesData, errKey, errText string) {
	st, body := t.call(r, http.MethodGet, "/v1/invites", nil, false)
	var list struct {
		Invites []teamInvite `json:"invites"`
	}
	if st != http.StatusOK || json.Unmarshal(body, &list) != nil {
		errKey, errText, status = "api_error", apiErrorText(body), max(status, st)
	}
	d.List = list.Invites
	t.render(w, r, status, "invites", teamPage{Who: who, Title: "invites", Invites: d, Error: errKey, ErrorText: errText,
		Notice: r.URL.Query().Get("notice"), Scripts: []string{"team.js"}})
}

func (t *Team) createInvite(w http.ResponseWriter, r *http.Request, who string) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	_ = r.ParseForm()
	f := inviteForm{Label: r.PostFormValue("label"), MaxUploads: r.PostFormValue("max_uploads"),
		ExpiresIn: r.PostFormValue("expires_in"), Prompts: r.PostFormValue("prompts"), MaxSeconds: r.PostFormValue("max_seconds")}
	d := &invitesData{Form: f}
	req := map[string]any{"label": f.Label}
	if n, err := strconv.Atoi(strings.TrimSpace(f.MaxUploads)); err == nil {
		req["max_uploads"] = n
	} else if f.MaxUploads != "" {
		t.renderInvites(w, r, who, http.StatusBadRequest, d, "bad_number", "")
		return
	}
	if f.ExpiresIn != "" {
		req["expires_in"] = f.ExpiresIn
	}
	if s := strings.TrimSpace(f.MaxSeconds); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.renderInvites(w, r, who, http.StatusBadRequest, d, "bad_number", "")
			return
		}
		req["max_seconds"] = n
	}
	prompts := []string{}
	for _, p := range strings.Split(f.Prompts, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			prompts = append(prompts, p)
		}
	}
	req["prompts"] = prompts
	status, body := t.call(r, http.MethodPost, "/v1/invites", req, false)
	if status != http.StatusCreated {
		t.renderInvites(w, r, who, status, d, "api_error", apiErrorText(body))
		return
	}
	var inv teamInvite
	if err := json.Unmarshal(body, &inv); err != nil {
		t.renderInvites(w, r, who, http.StatusBadGateway, d, "api_error", "")
		return
	}
	link := inv.URL
	if link == "" {
		link = pageBase(r) + "/a/" + url.PathEscape(inv.Token)
	}
	qr, err := qrSVG(link)
	if err != nil {
		t.log.Error("invite QR code", "err", err)
	}
	d.New, d.Link, d.QR, d.Form = &inv, link, qr, inviteForm{MaxUploads: "5", ExpiresIn: "168h"}
	t.renderInvites(w, r, who, http.StatusCreated, d, "", "")
}

func (t *Team) withdrawInvite(w http.ResponseWriter, r *http.Request, who string) {
	id := r.PathValue("id")
	// A session may not DELETE (state changes from a browser are POSTs, checked for their origin, as
	// this one was): the page asks with the team token, having checked the session itself.
	status, body := t.call(r, http.MethodDelete, "/v1/invites/"+url.PathEscape(id), nil, true)
	if status != http.StatusOK {
		t.renderInvites(w, r, who, status, &invitesData{Form: inviteForm{MaxUploads: "5", ExpiresIn: "168h"}}, "api_error", apiErrorText(body))
		return
	}
	t.log.Info("invite withdrawn from the gallery", "invite_id", id, "by", who)
	http.Redirect(w, r, "/team/invites?notice=withdrawn", http.StatusSeeOther)
}

// qrSVG draws link as an SVG QR code: one path of unit squares, scaled by the page's CSS.
func qrSVG(link string) (template.HTML, error) {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bm := q.Bitmap() // includes the quiet zone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code" data-testid="invite-qr" class="qr"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, len(bm), len(bm), len(bm), len(bm))
	for y, row := range bm {
		for x := 0; x < len(row); x++ {
			if !row[x] {
				continue
			}
			run := 1 // a run of dark modules is one rectangle
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil // only numbers of ours: nothing from the link is written
}
