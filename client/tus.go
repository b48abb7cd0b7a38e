package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The tus 1.0 requests quinte's /v1/uploads/ answers (creation and core; tusd on the server): POST
// creates an upload of a known length with its metadata, PATCH appends a chunk at an offset, HEAD says
// the offset the server has, so an upload cut off anywhere resumes from there. The last PATCH answers
// with the message's id (Quinte-Message-Id).

// TusPath is the server's tus route.
const TusPath = "/v1/uploads/"

// DefaultChunk is the size of one PATCH: a cut costs at most one chunk, and a chunk is long enough to
// keep a connection busy.
const DefaultChunk = 8 << 20

// UploadOptions tune UploadFile.
type UploadOptions struct {
	// Meta is the upload's metadata: filename (set from the path when absent), artist, title, consent,
	// campaign.
	Meta      map[string]string
	ChunkSize int64    // 0: DefaultChunk
	Resumes   *Resumes // where unfinished uploads are remembered; nil: not remembered
	// Progress is called as bytes go out, with the offset reached; it goes back when a resume finds
	// the server has less than was sent.
	Progress func(offset, total int64)
}

// UploadResult is a finished upload.
type UploadResult struct {
	ID          string `json:"id"`           // the message id
	ResumedFrom int64  `json:"resumed_from"` // the offset an earlier run had reached (0: a new upload)
	Sent        int64  `json:"sent"`         // the bytes this run sent
}

// UploadFile sends the file at path by tus and returns the message's id. With Resumes, an upload an
// earlier run left unfinished (same server, same file: path, size and modification time) goes on from
// the offset the server has; a transient failure (network, 5xx, a conflicting offset) is resumed within
// the run too, a few times.
func (c *Client) UploadFile(ctx context.Context, file string, o UploadOptions) (*UploadResult, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", file)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	size, chunk := st.Size(), o.ChunkSize
	if chunk <= 0 {
		chunk = DefaultChunk
	}
	meta := map[string]string{"filename": filepath.Base(file)}
	for k, v := range o.Meta {
		if v != "" {
			meta[k] = v
		}
	}
	key := ResumeKey(c.Base, abs, size, st.ModTime())
	progress := func(off int64) {
		if o.Progress != nil {
			o.Progress(off, size)
		}
	}

	res := &UploadResult{}
	var loc string
	var offset int64
	if o.Resumes != nil {
		if prev, ok := o.Resumes.Get(key); ok {
			off, err := c.tusOffset(ctx, prev)
			switch {
			case err == nil:
				loc, offset, res.ResumedFrom = prev, off, off
			case isGone(err):
				// Finished by the earlier run (its answer lost on the way), or removed.
				if m, gerr := c.Get(ctx, uploadID(prev)); gerr == nil {
					o.Resumes.Delete(key)
					progress(size)
					return &UploadResult{ID: m.ID, ResumedFrom: size}, nil
				}
				o.Resumes.Delete(key)
			default:
				return nil, err
			}
		}
	}
	if loc == "" {
		if loc, err = c.tusCreate(ctx, size, meta); err != nil {
			return nil, err
		}
		if o.Resumes != nil {
			o.Resumes.Put(key, loc)
		}
	}
	progress(offset)

	failures := 0
	for {
		n := min(chunk, size-offset)
		cr := &countingReader{r: io.NewSectionReader(f, offset, n), seen: func(k int64) { progress(offset + k) }}
		next, id, err := c.tusPatch(ctx, loc, offset, cr, n)
		res.Sent += cr.n
		if err == nil {
			failures = 0
			offset = next
			progress(offset)
			if id != "" || offset >= size {
				if id == "" {
					id = uploadID(loc)
				}
				if o.Resumes != nil {
					o.Resumes.Delete(key)
				}
				res.ID = id
				return res, nil
			}
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !transient(err) || failures >= 4 {
			if refused(err) && o.Resumes != nil {
				o.Resumes.Delete(key) // the server removed the upload with its refusal
			}
			return nil, err
		}
		failures++
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(failures) * time.Second):
		}
		if offset, err = c.tusOffset(ctx, loc); err != nil {
			return nil, err
		}
		progress(offset)
	}
}

// tusCreate is the creation POST; it returns the upload's URL.
func (c *Client) tusCreate(ctx context.Context, size int64, meta map[string]string) (string, error) {
	hdr := http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Length": {strconv.FormatInt(size, 10)}}
	if m := encodeMetadata(meta); m != "" {
		hdr.Set("Upload-Metadata", m)
	}
	resp, err := c.request(ctx, http.MethodPost, TusPath, nil, hdr)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", errors.New("the server created the upload but gave no Location")
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("the server's upload Location %q: %w", loc, err)
	}
	return u.String(), nil
}

// tusOffset is the HEAD: the offset the server has.
func (c *Client) tusOffset(ctx context.Context, loc string) (int64, error) {
	resp, err := c.requestURL(ctx, http.MethodHead, loc, nil, http.Header{"Tus-Resumable": {"1.0.0"}})
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	off, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("the server's Upload-Offset %q: %w", resp.Header.Get("Upload-Offset"), err)
	}
	return off, nil
}

// tusPatch sends n bytes of body at offset; it returns the new offset and, after the last byte, the
// message id.
func (c *Client) tusPatch(ctx context.Context, loc string, offset int64, body io.Reader, n int64) (int64, string, error) {
	hdr := http.Header{
		"Tus-Resumable": {"1.0.0"},
		"Upload-Offset": {strconv.FormatInt(offset, 10)},
		"Content-Type":  {"application/offset+octet-stream"},
	}
	resp, err := c.requestURL(ctx, http.MethodPatch, loc, &sizedReader{body, n}, hdr)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	next, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("the server's Upload-Offset %q: %w", resp.Header.Get("Upload-Offset"), err)
	}
	return next, resp.Header.Get("Quinte-Message-Id"), nil
}

// requestURL is request on a full URL (an upload's Location) rather than a path of the base.
func (c *Client) requestURL(ctx context.Context, method, link string, body *sizedReader, hdr http.Header) (*http.Response, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(c.Base)
	if err != nil {
		return nil, err
	}
	if u.Host != base.Host || u.Scheme != base.Scheme {
		// The token goes only to the server it belongs to.
		return nil, fmt.Errorf("the upload URL %s is not on %s", link, c.Base)
	}
	var r io.Reader
	if body != nil {
		r = body
	}
	req, err := http.NewRequestWithContext(ctx, method, link, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = body.n
		if body.n == 0 {
			req.Body = http.NoBody
		}
	}
	return c.send(req, hdr)
}

// encodeMetadata is the Upload-Metadata header: "key base64(value)" pairs, in a fixed order.
func encodeMetadata(meta map[string]string) string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(meta[k])))
	}
	return strings.Join(parts, ",")
}

// uploadID is the message id in an upload URL: its last element, before the S3 store's "+".
func uploadID(loc string) string {
	id, _, _ := strings.Cut(path.Base(loc), "+")
	return id
}

// isGone: the server has no such upload (finished and removed, expired, or cancelled).
func isGone(err error) bool {
	s := StatusOf(err)
	return s == http.StatusNotFound || s == http.StatusGone
}

// transient errors are worth a resume: the network, a 5xx, a conflicting offset (a chunk arrived
// that the client did not hear back about, or another request for the upload took it over), or a
// lock still held by a cut request.
func transient(err error) bool {
	switch s := StatusOf(err); {
	case s == 0:
		return true
	case s >= 500, s == http.StatusConflict, s == http.StatusLocked, s == http.StatusRequestTimeout:
		return true
	}
	return false
}

// refused: the server said no to the upload itself (it removes it), not to the caller's token.
func refused(err error) bool {
	s := StatusOf(err)
	return s >= 400 && s < 500 && s != http.StatusUnauthorized && s != http.StatusForbidden && !transient(err)
}

type countingReader struct {
	r    io.Reader
	n    int64
	seen func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.seen != nil && n > 0 {
		c.seen(c.n)
	}
	return n, err
}

// sizedReader is a body whose length is known.
type sizedReader struct {
	io.Reader
	n int64
}
