// Package client is a Go client of quinte's HTTP API (/v1): messages, captions, invites, the kit,
// and resumable uploads over tus 1.0 (tus.go) that pick up where an earlier run stopped (resume.go).
// It is what `quinte upload`, `quinte status` and the other commands of the CLI are made of; it holds
// no terminal or flag handling.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quinte-media/quinte/message"
)

// Client calls one quinte server with one token (the team's, or an invite's).
type Client struct {
	Base  string // the server's base URL, such as https://media.example.org
	Token string
	HTTP  *http.Client // nil: a client with no overall timeout (uploads and downloads are long)
}

// New returns a client of the server at base.
func New(base, token string) *Client {
	return &Client{Base: strings.TrimRight(base, "/"), Token: token}
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Error is the API's JSON error answer ({"error": {"code", "message"}}) with its HTTP status.
type Error struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%d %s", e.Status, e.Code)
	}
	return e.Message + " (" + e.Code + ")"
}

// StatusOf is the HTTP status of an API error in err's chain, 0 when there is none.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Message is a message as GET /v1/messages/{id} shows it.
type Message struct {
	ID        string              `json:"id"`
	Kind      message.Kind        `json:"kind"`
	Status    message.Status      `json:"status"`
	Error     *message.Error      `json:"error"`
	Warnings  []string            `json:"warnings,omitempty"`
	Note      string              `json:"note,omitempty"`
	Artist    string              `json:"artist,omitempty"`
	Title     string              `json:"title,omitempty"`
	InviteID  string              `json:"invite_id,omitempty"`
	Campaign  string              `json:"campaign,omitempty"`
	Captions  bool                `json:"captions"`
	Review    *message.Review     `json:"review,omitempty"`     // the team's last decision (pending until one)
	Revoked   *message.Revocation `json:"revoked,omitempty"`    // once the consent is withdrawn
	PosterURL string              `json:"poster_url,omitempty"` // in a list, once ready
	Progress  *message.Progress   `json:"progress,omitempty"`
	CreatedAt time.Time           `json:"created_at"`
	UpdatedAt time.Time           `json:"updated_at"`
	Outputs   []message.Output    `json:"outputs"`

	raw json.RawMessage // the server's answer, as it came: --json prints it whole
}

// UnmarshalJSON keeps the answer as it came, besides the fields read.
func (m *Message) UnmarshalJSON(b []byte) error {
	type plain Message
	if err := json.Unmarshal(b, (*plain)(m)); err != nil {
		return err
	}
	m.raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON writes the server's answer as it came, every field it had included.
func (m Message) MarshalJSON() ([]byte, error) {
	if m.raw != nil {
		return m.raw, nil
	}
	type plain Message
	return json.Marshal(plain(m))
}

// Page is one page of GET /v1/messages.
type Page struct {
	Messages   []Message `json:"messages"`
	NextBefore string    `json:"next_before,omitempty"`
}

// ListOptions filter GET /v1/messages; zero values are left out.
type ListOptions struct {
	Status string // queued, processing, ready, failed
	Review string // the review state, on servers that review
	Limit  int
	Before string
}

// InviteRequest is POST /v1/invites's body; zero values are left out (the server's defaults).
type InviteRequest struct {
	Label      string   `json:"label,omitempty"`
	Prompts    []string `json:"prompts,omitempty"`
	MaxUploads int      `json:"max_uploads,omitempty"`
	ExpiresIn  string   `json:"expires_in,omitempty"`
	MaxSeconds int      `json:"max_seconds,omitempty"` // the longest clip the invite takes, where the server has the limit
}

// Invite is an invite as the team sees it; Token only at creation, URL where the server gives the
// artist's link.
type Invite struct {
	ID         string    `json:"id"`
	Token      string    `json:"token,omitempty"`
	URL        string    `json:"url,omitempty"`
	Status     string    `json:"status"`
	Label      string    `json:"label,omitempty"`
	Prompts    []string  `json:"prompts"`
	MaxUploads int       `json:"max_uploads"`
	Remaining  int       `json:"remaining"`
	MaxSeconds int       `json:"max_seconds,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`

	raw json.RawMessage
}

// UnmarshalJSON keeps the answer as it came, besides the fields read.
func (inv *Invite) UnmarshalJSON(b []byte) error {
	type plain Invite
	if err := json.Unmarshal(b, (*plain)(inv)); err != nil {
		return err
	}
	inv.raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON writes the server's answer as it came.
func (inv Invite) MarshalJSON() ([]byte, error) {
	if inv.raw != nil {
		return inv.raw, nil
	}
	type plain Invite
	return json.Marshal(plain(inv))
}

// request sends one request to the API with the token and returns the response when its status is
// below 300; anything else is read into an *Error.
func (c *Client) request(ctx context.Context, method, path string, body io.Reader, hdr http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return nil, err
	}
	return c.send(req, hdr)
}

// send adds hdr and the token to req and sends it: a status of 300 or more is read into an *Error.
func (c *Client) send(req *http.Request, hdr http.Header) (*http.Response, error) {
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, readError(resp)
	}
	return resp, nil
}

// readError reads the API's error answer; an answer of another shape (a proxy's page) keeps its status.
func readError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(b, &body) == nil && body.Error != nil && body.Error.Code != "" {
		body.Error.Status = resp.StatusCode
		return body.Error
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 || strings.HasPrefix(msg, "<") {
		msg = ""
	}
	if msg == "" {
		msg = resp.Status
	}
	return &Error{Status: resp.StatusCode, Code: strings.ReplaceAll(strings.ToLower(http.StatusText(resp.StatusCode)), " ", "_"), Message: msg}
}

// doJSON sends in (when not nil) as JSON and decodes the JSON answer into out (when not nil).
func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	hdr := http.Header{"Accept": {"application/json"}}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
		hdr.Set("Content-Type", "application/json")
	}
	resp, err := c.request(ctx, method, path, body, hdr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return nil
}

// Get reads one message.
func (c *Client) Get(ctx context.Context, id string) (*Message, error) {
	var m Message
	if err := c.doJSON(ctx, http.MethodGet, "/v1/messages/"+url.PathEscape(id), nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// List reads one page of messages, newest first.
func (c *Client) List(ctx context.Context, o ListOptions) (*Page, error) {
	q := url.Values{}
	if o.Status != "" {
		q.Set("status", o.Status)
	}
	if o.Review != "" {
		q.Set("review", o.Review)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Before != "" {
		q.Set("before", o.Before)
	}
	path := "/v1/messages"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var p Page
	if err := c.doJSON(ctx, http.MethodGet, path, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Wait polls a message until its status is terminal (ready or failed), calling seen with each answer.
func (c *Client) Wait(ctx context.Context, id string, every time.Duration, seen func(*Message)) (*Message, error) {
	for {
		m, err := c.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if seen != nil {
			seen(m)
		}
		if m.Status.Terminal() {
			return m, nil
		}
		select {
		case <-ctx.Done():
			return m, ctx.Err()
		case <-time.After(every):
		}
	}
}

// PutCaptions gives a message its .srt or .vtt; the server processes the message again with them. A
// message whose job does not stop in time answers 409 busy: it is asked again a few times.
func (c *Client) PutCaptions(ctx context.Context, id string, captions []byte) error {
	ctype := "application/x-subrip"
	if bytes.HasPrefix(bytes.TrimPrefix(captions, []byte("\xef\xbb\xbf")), []byte("WEBVTT")) {
		ctype = "text/vtt"
	}
	for try := 0; ; try++ {
		resp, err := c.request(ctx, http.MethodPut, "/v1/messages/"+url.PathEscape(id)+"/captions",
			bytes.NewReader(captions), http.Header{"Content-Type": {ctype}})
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		}
		if StatusOf(err) != http.StatusConflict || try == 3 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
}

// CreateInvite makes an invite; its token is in the answer, and only there.
func (c *Client) CreateInvite(ctx context.Context, r InviteRequest) (*Invite, error) {
	var inv Invite
	if err := c.doJSON(ctx, http.MethodPost, "/v1/invites", r, &inv); err != nil {
		return nil, err
	}
	return &inv, nil
}

// Release is the release text an artist agrees to, as GET /v1/release gives it.
type Release struct {
	Version   string   `json:"version"`
	Lang      string   `json:"lang"`
	Text      string   `json:"text"`
	SHA256    string   `json:"sha256"`
	Languages []string `json:"languages"`
}

// Release reads the current release text in lang (the server's default when it has none in lang).
func (c *Client) Release(ctx context.Context, lang string) (*Release, error) {
	var r Release
	if err := c.doJSON(ctx, http.MethodGet, "/v1/release?lang="+url.QueryEscape(lang), nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Kit opens the message's kit, a zip streamed by GET /v1/messages/{id}/kit, with the file name the
// server gives it (its Content-Disposition; "" when none). size is -1 when the server does not say it.
func (c *Client) Kit(ctx context.Context, id string) (body io.ReadCloser, size int64, name string, err error) {
	resp, err := c.request(ctx, http.MethodGet, "/v1/messages/"+url.PathEscape(id)+"/kit", nil, nil)
	if err != nil {
		return nil, 0, "", err
	}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		name = params["filename"] // the server's text: the CLI makes it a plain file name
	}
	return resp.Body, resp.ContentLength, name, nil
}

// OpenOutput opens an output's download link. The link is its own credential (a presigned S3 URL, or
// a signed link to the API's files route): the token is not sent with it, and S3 would refuse a second
// credential.
func (c *Client) OpenOutput(ctx context.Context, link string) (body io.ReadCloser, size int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, 0, readError(resp)
	}
	return resp.Body, resp.ContentLength, nil
}
