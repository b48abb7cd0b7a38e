package uploader

import (
	"net/http"
	"strings"
)

// UploadCounter is told of every request to an upload route (package metrics implements it).
type UploadCounter interface {
	Upload(protocol, method string, status int, bytes int64)
}

// UploadFigures is what the access log (httpapi.Observe) tells of each request answered: count hears
// of those to an upload route. A nil count gives nil (no figures).
func UploadFigures(count UploadCounter) func(r *http.Request, status int, in int64) {
	if count == nil {
		return nil
	}
	return func(r *http.Request, status int, in int64) {
		if proto := uploadProtocol(r); proto != "" {
			count.Upload(proto, r.Method, status, in)
		}
	}
}

// uploadProtocol names the upload route r is on: "multipart", "tus", or "" for any other route.
func uploadProtocol(r *http.Request) string {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/messages":
		return "multipart"
	case strings.HasPrefix(r.URL.Path, tusPattern) || r.URL.Path == strings.TrimSuffix(tusPattern, "/"):
		return "tus"
	}
	return ""
}
