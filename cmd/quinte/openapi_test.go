package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/quinte-media/quinte/client"
	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
)

// exchange is one request and its answer, bodies kept.
type exchange struct {
	req      *http.Request
	reqBody  []byte
	status   int
	header   http.Header
	respBody []byte
}

// recorder is an http.RoundTripper that keeps every exchange it carries.
type recorder struct {
	mu  sync.Mutex
	got []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	r.mu.Lock()
	r.got = append(r.got, exchange{req: req, reqBody: body, status: resp.StatusCode, header: resp.Header.Clone(), respBody: rb})
	r.mu.Unlock()
	return resp, nil
}

func init() {
	for _, ct := range []string{"application/offset+octet-stream", "text/vtt", "application/x-subrip", "application/zip"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
}

// TestOpenAPIMatchesTheAPI runs a flow through `quinte run` — multipart and tus uploads (the CLI's
// client's too), reading, listing, captions, invites and an artist's upload with its consent, review,
// the kit, revocation, and refusals 400, 401, 403, 404, 409, 413 and 415 — with
// a recording client, then checks every request and answer against the description served at
// /v1/openapi.json: each must match a described operation, its parameters and body, and its answer a
// described status with its schema.
func TestOpenAPIMatchesTheAPI(t *testing.T) {
	env := embeddedEnv(t)
	env["QUINTE_UPLOAD_MAX_BYTES"] = "3000000"
	m := startMain(t, config.RoleRun, env)
	rec := &recorder{}
	hc := &http.Client{Transport: rec, Timeout: time.Minute}
	c := &testenv.Client{Base: m.URL, Token: token, HTTP: hc}
	anon := &testenv.Client{Base: m.URL, HTTP: hc}
	dir := t.TempDir()

	// The description, as served without a token.
	status, raw, _ := anon.Do(t, "GET", "/v1/openapi.json", nil, nil)
	if status != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json: %d", status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("the served description does not load: %v", err)
	}
	testenv.Must(t, doc.Validate(context.Background()))

	anon.Do(t, "GET", "/healthz", nil, nil)
	anon.Do(t, "GET", "/readyz", nil, nil)

	// Uploads: multipart, tus by hand (with a HEAD), and the CLI's client.
	clip := cliClip(t)
	photo := testenv.Corpus(t, "image/exif-orientation/Landscape_6.jpg")
	photoID := c.Upload(t, photo, map[string]string{"artist": "Ada", "title": "Backstage"})
	clipID := c.Tus(t, clip, map[string]string{"filename": "clip.mp4", "title": "Thanks"}, 256<<10)
	_, _, h := c.Do(t, "POST", "/v1/uploads/", nil, http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Length": {"1000"}})
	loc, _ := url.Parse(h.Get("Location"))
	c.Do(t, "HEAD", loc.Path, nil, http.Header{"Tus-Resumable": {"1.0.0"}})
	c.Do(t, "DELETE", loc.Path, nil, http.Header{"Tus-Resumable": {"1.0.0"}})
	cl := client.New(m.URL, token)
	cl.HTTP = hc
	res, err := cl.UploadFile(context.Background(), photo, client.UploadOptions{Meta: map[string]string{"artist": "Ada"}, ChunkSize: 64 << 10,
		Resumes: &client.Resumes{Path: dir + "/uploads.json"}})
	testenv.Must(t, err)

	c.Get(t, photoID)
	c.WaitReady(t, clipID, 2*time.Minute)
	c.WaitReady(t, photoID, time.Minute)
	c.WaitReady(t, res.ID, time.Minute)
	c.Do(t, "GET", "/v1/messages?limit=2&status=ready", nil, nil)
	c.Do(t, "GET", "/v1/messages", nil, nil)

	// Captions on the video, then off (each answers at once; the job they queue is not waited for).
	srt := "1\n00:00:00,500 --> 00:00:02,000\nThank you!\n"
	c.Do(t, "PUT", "/v1/messages/"+clipID+"/captions", strings.NewReader(srt), http.Header{"Content-Type": {"application/x-subrip"}})
	c.Get(t, clipID)
	c.Do(t, "DELETE", "/v1/messages/"+clipID+"/captions", nil, nil)

	// Invites: made, listed, read, used by their holder, disabled.
	_, body, _ := c.Do(t, "POST", "/v1/invites", strings.NewReader(`{"label": "Ada", "max_uploads": 2, "expires_in": "72h", "prompts": ["Say hi"]}`), http.Header{"Content-Type": {"application/json"}})
	var inv struct{ ID, Token string }
	testenv.Must(t, json.Unmarshal(body, &inv))
	c.Do(t, "GET", "/v1/invites", nil, nil)
	c.Do(t, "GET", "/v1/invites/"+inv.ID, nil, nil)
	artist := &testenv.Client{Base: m.URL, Token: inv.Token, HTTP: hc}
	artist.Do(t, "GET", "/v1/invite", nil, nil)
	_, body, _ = artist.Do(t, "GET", "/v1/release?lang=en", nil, nil)
	var rel client.Release
	testenv.Must(t, json.Unmarshal(body, &rel))
	artistMsg := artist.Upload(t, photo, map[string]string{"artist": "Ada", "title": "Hi", "consent_version": rel.Version, "consent_lang": rel.Lang, "consent_sha256": rel.SHA256})
	artist.Get(t, artistMsg)
	artist.MultipartBytes(t, "photo.jpg", mustRead(t, photo), nil) // 400 artist_required
	artist.Do(t, "GET", "/v1/messages", nil, nil)                  // 403: the team's
	c.Do(t, "GET", "/v1/invite", nil, nil)                         // 404: the team has no invite
	c.Do(t, "DELETE", "/v1/invites/"+inv.ID, nil, nil)

	// Review, the kit, revocation.
	c.Do(t, "POST", "/v1/messages/"+photoID+"/review", strings.NewReader(`{"state": "approved"}`), http.Header{"Content-Type": {"application/json"}})
	c.Do(t, "POST", "/v1/messages/"+photoID+"/review", strings.NewReader(`{"state": "rejected"}`), http.Header{"Content-Type": {"application/json"}}) // 400 reason_required
	c.Do(t, "GET", "/v1/messages/"+photoID+"/kit", nil, nil)
	c.Do(t, "POST", "/v1/messages/"+res.ID+"/revoke", nil, nil)
	c.Get(t, res.ID)
	c.Do(t, "GET", "/v1/messages/"+res.ID+"/kit", nil, nil) // 409 not_ready

	// Refusals.
	c.Do(t, "GET", "/v1/messages?limit=1000", nil, nil)                                                                          // 400 bad_limit
	c.Do(t, "POST", "/v1/invites", strings.NewReader(`{"max_uploads": 0}`), http.Header{"Content-Type": {"application/json"}})   // 400 bad_invite
	c.Do(t, "PUT", "/v1/messages/"+photoID+"/captions", strings.NewReader(srt), http.Header{"Content-Type": {"text/plain"}})     // 400 captions_for_photo
	c.Do(t, "PUT", "/v1/messages/"+clipID+"/captions", strings.NewReader("nonsense"), http.Header{"Content-Type": {"text/vtt"}}) // 400 bad_captions
	anon.Do(t, "GET", "/v1/messages/"+photoID, nil, nil)                                                                         // 401
	c.Do(t, "GET", "/v1/messages/01m8xvbzk891fc26g3yj035s86", nil, nil)                                                          // 404
	c.Do(t, "GET", "/v1/invites/nope", nil, nil)                                                                                 // 404
	c.MultipartBytes(t, "notes.txt", []byte("just some text, not media at all\n"), nil)                                          // 415
	big := append(mustRead(t, photo), make([]byte, 3_100_000)...)
	c.MultipartBytes(t, "big.jpg", big, nil)                                                                                 // 413 too_large
	c.Do(t, "POST", "/v1/uploads/", nil, http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Length": {strconv.Itoa(len(big))}}) // 413 max_size_exceeded
	c.Do(t, "POST", "/v1/uploads/", nil, http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Length": {"0"}})                    // 400 empty_file

	// Check every exchange.
	doc.Servers = openapi3.Servers{{URL: m.URL}}
	router, err := gorillamux.NewRouter(doc)
	testenv.Must(t, err)
	statuses := map[int]int{}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	for _, x := range rec.got {
		name := x.req.Method + " " + x.req.URL.RequestURI()
		statuses[x.status]++
		route, params, err := router.FindRoute(x.req)
		if err != nil {
			t.Errorf("%s (answered %d) is not described: %v", name, x.status, err)
			continue
		}
		req := x.req.Clone(context.Background())
		req.Body = io.NopCloser(bytes.NewReader(x.reqBody))
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if x.status < 400 { // a refused request is meant not to fit
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("%s: the request does not fit the description: %v", name, err)
			}
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.status, Header: x.header, Options: opts}
		out.SetBodyBytes(x.respBody)
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s: the answer %d does not fit the description: %v\n%s", name, x.status, err, shortBody(x.respBody))
		}
	}
	t.Logf("%d exchanges checked; by status: %v", len(rec.got), statuses)
	for _, s := range []int{200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 415} {
		if statuses[s] == 0 {
			t.Errorf("the flow answered no %d: the check does not cover it", s)
		}
	}
}

func shortBody(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}
