// Package httpapi is what quinte's two HTTP packages share, and only that: the API's JSON error
// shape, who is calling (the team token, an invite token, a gallery session), and the route table's
// type with the handler that mounts routes behind their access, CORS and the JSON 401/404/405. The
// routes themselves are declared where they are served: uploader (intake) and library (the read
// side). Nothing here reads a message or stores a byte of an upload.
package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/quinte-media/quinte/message"
)

// Error is an error with the HTTP status and the public message it maps to.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf is the API's refusal: a status, a snake_case code clients switch on, and a message people act on.
func Errorf(status int, code, format string, a ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

// WriteError answers e in the API's JSON error shape; a 503 says when to try again.
func WriteError(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "30")
	}
	WriteJSON(w, e.Status, map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
}

// WriteJSON answers v as indented JSON, never cached or sniffed.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// StorageDown is the answer when the bucket does not answer: the detail goes to the log, the client
// gets a 503 to retry.
func StorageDown(log *slog.Logger, err error) *Error {
	log.Error("storage error", "err", err)
	return Errorf(http.StatusServiceUnavailable, "storage_unavailable", "storage is not answering; try again shortly")
}

// CleanText keeps a client-supplied string as harmless data (message.CleanText: valid UTF-8, control
// characters as spaces), cut to at most n bytes on a character boundary. For the fields whose limit is
// an answer (artist, title, consent) see uploader's describeUpload.
func CleanText(s string, n int) string {
	s = message.CleanText(s)
	for len(s) > n {
		_, size := lastRune(s)
		s = s[:len(s)-size]
	}
	return strings.TrimSpace(s)
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// RequestBase is the scheme and host the client reached the API by, for links back to it. Behind a
// proxy, pass the Host header through and set X-Forwarded-Proto.
func RequestBase(r *http.Request) string {
	scheme := "http"
	if isHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
