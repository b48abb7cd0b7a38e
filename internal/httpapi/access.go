package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quinte-media/quinte/invite"
)

// Observe wraps the API's handler: one access log line per request (method, path with any token or
// signature redacted, status, bytes each way, duration; never a header, so never Authorization), and
// each request answered told to seen with its status and the bytes it sent (nil: none; intake counts
// its uploads so: uploader.UploadFigures). Health checks log at debug level, so that a container's
// probe every few seconds does not drown the rest.
func Observe(next http.Handler, log *slog.Logger, seen func(r *http.Request, status int, in int64)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body := &countingBody{ReadCloser: r.Body}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = body
		}
		rw := &recorder{ResponseWriter: w}
		next.ServeHTTP(rw, r)
		status := rw.status
		if status == 0 {
			status = http.StatusOK
		}
		if seen != nil {
			seen(r, status, body.n)
		}
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			level = slog.LevelDebug
		}
		log.Log(r.Context(), level, "request", "component", "http", "method", r.Method, "path", RedactURL(r.URL),
			"status", status, "bytes", rw.bytes, "in", body.n, "took", time.Since(start).Round(time.Microsecond))
	})
}

// secretParams are query parameters whose value is a credential: download and playback signatures,
// a presigned S3 link's, and any token a route may one day take in its query.
var secretParams = map[string]bool{"sig": true, "token": true, "access_token": true,
	"x-amz-signature": true, "x-amz-credential": true, "x-amz-security-token": true}

// RedactURL is u's path and query as the access log writes them: an invite token anywhere in the
// path (the artists' page /a/{token}) or in a value becomes "qi_…", the segment after /a/ is dropped
// whatever its shape, and the value of every secretParams parameter becomes "…".
func RedactURL(u *url.URL) string {
	segs := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segs {
		if invite.IsToken(seg) || (i > 0 && segs[i-1] == "a" && i == 2 && seg != "") {
			segs[i] = "qi_…"
		}
	}
	out := strings.Join(segs, "/")
	if u.RawQuery == "" {
		return out
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		key, _ := url.QueryUnescape(k)
		val, _ := url.QueryUnescape(v)
		switch {
		case secretParams[strings.ToLower(key)]:
			parts[i] = k + "=…"
		case strings.Contains(val, "qi_"):
			parts[i] = k + "=qi_…"
		}
	}
	return out + "?" + strings.Join(parts, "&")
}

// recorder notes the status and the bytes a handler writes. Unwrap lets http.ResponseController reach
// the connection underneath (tus sets its own deadlines and flushes).
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingBody counts the bytes read from a request body.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}
