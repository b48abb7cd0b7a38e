package library

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/storage"
)

// Download links served by the API itself, for `quinte run`. Its embedded S3 listens on a loopback port
// picked at each start, so a presigned S3 link names an address that only this machine reaches and that
// dies at the next restart. With ServeFiles, a download link is instead this API's own address (the
// scheme and host the client reached it by) at GET /v1/files/{key}, signed like the HLS playback links
// (HMAC-SHA256 keyed from the team token, which `quinte run` keeps in its data dir): it works wherever
// the API works and survives restarts until it expires. The route checks the signature and streams the
// object from S3, ranges included (http.ServeContent over ranged GETs), so players can seek.

// filesPrefix is the route of API-served downloads.
const filesPrefix = "/v1/files/"

// ServeFiles makes download links point at this API (GET /v1/files/…) instead of presigned S3 URLs.
func (s *Server) ServeFiles() { s.serveFiles = true }

// FileStore is the part of the bucket the files route reads.
type FileStore interface {
	Stat(ctx context.Context, key string) (storage.ObjectInfo, error)
	OpenFrom(ctx context.Context, key string, off int64) (io.ReadCloser, error)
}

// fileSig signs a download of key, saved as name, until exp (Unix seconds). The "file" prefix keeps
// these signatures apart from the playback links' (id and expiry).
func (s *Server) fileSig(key, name string, exp int64) string {
	m := hmac.New(sha256.New, s.linkKey)
	m.Write([]byte("file\n" + key + "\n" + name + "\n" + strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// downloadURL is the link that downloads key for the links' lifetime, as an attachment called name
// (none: inline): the API's own when it serves files, else a presigned S3 URL.
func (s *Server) downloadURL(ctx context.Context, base, key, name string) (string, error) {
	return s.downloadLink(ctx, base, key, name, s.cfg.URLTTL)
}

// downloadLink is downloadURL for ttl.
func (s *Server) downloadLink(ctx context.Context, base, key, name string, ttl time.Duration) (string, error) {
	if !s.serveFiles || len(s.linkKey) == 0 {
		return s.store.PresignGet(ctx, key, name, ttl)
	}
	exp := time.Now().Add(ttl).Unix()
	q := url.Values{"exp": {strconv.FormatInt(exp, 10)}, "sig": {s.fileSig(key, name, exp)}}
	if name != "" {
		q.Set("name", name)
	}
	return base + filesPrefix + (&url.URL{Path: key}).EscapedPath() + "?" + q.Encode(), nil
}

// serveFile answers GET and HEAD /v1/files/{key...} for a signed link.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	files, ok := s.store.(FileStore)
	if !s.serveFiles || !ok {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusNotFound, "not_found", "downloads are served by S3 links in this deployment"))
		return
	}
	key, q := r.PathValue("key"), r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err != nil || len(s.linkKey) == 0 || time.Now().Unix() >= exp || !fs.ValidPath(key) ||
		!hmac.Equal([]byte(q.Get("sig")), []byte(s.fileSig(key, q.Get("name"), exp))) {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusForbidden, "bad_link", "this download link is not valid or has expired; read the message again for a fresh one"))
		return
	}
	info, err := files.Stat(r.Context(), key)
	if errors.Is(err, fs.ErrNotExist) {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusNotFound, "not_found", "this file is no longer stored (the message was processed again?); read the message again for a fresh link"))
		return
	} else if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	h := w.Header()
	if info.ContentType != "" {
		h.Set("Content-Type", info.ContentType)
	}
	if info.ETag != "" {
		h.Set("ETag", info.ETag)
	}
	if name := q.Get("name"); name != "" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	h.Set("Cache-Control", "private, max-age="+strconv.FormatInt(max(exp-time.Now().Unix(), 0), 10))
	h.Set("X-Content-Type-Options", "nosniff")
	obj := &objectReader{ctx: r.Context(), open: func(ctx context.Context, off int64) (io.ReadCloser, error) {
		return files.OpenFrom(ctx, key, off)
	}, size: info.Size}
	defer obj.Close()
	http.ServeContent(w, r, "", info.LastModified, obj)
	if obj.err != nil && !errors.Is(obj.err, context.Canceled) {
		s.log.Warn("streaming a download failed", "key", key, "err", obj.err)
	}
}

// objectReader is an S3 object as an io.ReadSeeker: seeking only moves the offset, and reading opens
// the object from there (one ranged GET per run of reads).
type objectReader struct {
	ctx  context.Context
	open func(ctx context.Context, off int64) (io.ReadCloser, error)
	size int64
	off  int64
	rc   io.ReadCloser
	err  error
}

func (o *objectReader) Read(p []byte) (int, error) {
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.rc == nil {
		rc, err := o.open(o.ctx, o.off)
		if err != nil {
			o.err = err
			return 0, err
		}
		o.rc = rc
	}
	n, err := o.rc.Read(p)
	o.off += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		o.err = err
	}
	return n, err
}

func (o *objectReader) Seek(offset int64, whence int) (int64, error) {
	var to int64
	switch whence {
	case io.SeekStart:
		to = offset
	case io.SeekCurrent:
		to = o.off + offset
	case io.SeekEnd:
		to = o.size + offset
	}
	if to < 0 {
		return o.off, errors.New("seek before the start")
	}
	if to != o.off {
		o.Close()
		o.off = to
	}
	return to, nil
}

// Close drops the open GET, if any.
func (o *objectReader) Close() error {
	if o.rc != nil {
		err := o.rc.Close()
		o.rc = nil
		return err
	}
	return nil
}
