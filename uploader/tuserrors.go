package uploader

import (
	"bytes"
	"net/http"
	"strings"
)

// tusd answers its errors in text ("ERR_UPLOAD_NOT_FOUND: upload not found"), and an error it does not
// know (anything the S3 store returns: a refused connection, a timeout) as 500 with the raw SDK text,
// which names the S3 endpoint, the bucket and the key layout. tusAnswers holds back every error answer
// of the tus handler and writes it as the rest of the API does, with tusd's status and code: the JSON
// error shape, and a storage failure as 503 `storage_unavailable` with a plain reason (its detail goes to
// the log). It covers creation, PATCH, HEAD and DELETE alike, in every mode.

// tusRetryable are tusd's 5xx answers that are not storage failures. They keep their status: tus
// clients resume after a 5xx but give up after most 4xx, and a PATCH cut by the idle timeout must be
// resumed.
var tusRetryable = map[string]bool{"ERR_READ_TIMEOUT": true, "ERR_CONNECTION_RESET": true, "ERR_LOCK_TIMEOUT": true, "ERR_SERVER_SHUTDOWN": true}

// maxTusErrorBody bounds what is kept of an error's text.
const maxTusErrorBody = 4 << 10

// tusAnswer is the ResponseWriter the tus handler writes to. Success answers pass straight through; an
// error status and its body are kept until finish.
type tusAnswer struct {
	http.ResponseWriter
	status int // an error status held back; 0 when none
	passed bool
	body   bytes.Buffer
}

func (w *tusAnswer) WriteHeader(code int) {
	if w.passed || w.status != 0 {
		return
	}
	if code < http.StatusBadRequest {
		w.passed = true
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.status = code
}

func (w *tusAnswer) Write(b []byte) (int, error) {
	if !w.passed && w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.status != 0 {
		if room := maxTusErrorBody - w.body.Len(); room > 0 {
			w.body.Write(b[:min(len(b), room)])
		}
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through only once an answer that is not an error has started.
func (w *tusAnswer) Flush() {
	if w.passed {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Unwrap lets tusd's http.ResponseController reach the connection (it sets read deadlines).
func (w *tusAnswer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish writes the error held back, if any, in the API's shape.
func (w *tusAnswer) finish(s *Server, r *http.Request) {
	if w.status == 0 {
		return
	}
	code, msg, _ := strings.Cut(strings.TrimSpace(w.body.String()), ": ")
	if !strings.HasPrefix(code, "ERR_") {
		code, msg = "", strings.TrimSpace(w.body.String())
	}
	aerr := tusAPIError(w.status, code, msg)
	if aerr.Status == http.StatusRequestEntityTooLarge {
		aerr = tooLarge(s.cfg.MaxBytes) // one code for a file too large, by multipart or tus
	}
	if aerr.Code == "storage_unavailable" && w.status != http.StatusServiceUnavailable {
		s.log.Error("tus storage error", "method", r.Method, "path", r.URL.Path, "status", w.status, "err", w.body.String())
	}
	w.Header().Del("Content-Length") // tusd's, for its text
	writeError(w.ResponseWriter, aerr)
}

// tusAPIError is the API error for a tusd error answer: status, tusd code (ERR_…, maybe empty) and text.
func tusAPIError(status int, code, msg string) *apiError {
	if status >= http.StatusInternalServerError && !tusRetryable[code] && code != "ERR_STORAGE_UNAVAILABLE" {
		return errorf(http.StatusServiceUnavailable, "storage_unavailable", "storage is not answering; try again shortly (a tus client resumes from the offset HEAD gives)")
	}
	if code == "ERR_UPLOAD_INTERRUPTED" {
		// tusd answers 400 to a request another request for the same upload took over (a client resuming
		// while its cut request is still being read). Nothing is wrong with the upload: 409, the status
		// tus clients (tus-js-client, the CLI) resume after with a HEAD, as for an offset that moved.
		status = http.StatusConflict
	}
	if code == "" {
		code = "ERR_" + strings.ReplaceAll(strings.ToUpper(http.StatusText(status)), " ", "_")
	}
	if msg == "" {
		msg = strings.ToLower(http.StatusText(status))
	}
	return errorf(status, strings.ToLower(strings.TrimPrefix(code, "ERR_")), "%s", msg)
}
