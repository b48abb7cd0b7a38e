package web

import (
	"net/http"
	"strings"
)

// secure sets the headers every page carries. The CSP allows no inline script or style: everything
// comes from this server's /assets/, and media also from blob: (the recording's preview) and from where
// the links to a message's outputs point (presigned S3 links, when the API does not serve them itself).
// No referrer: the invite token is in the page's path.
func secure(w http.ResponseWriter, mediaOrigin string) {
	extra := ""
	if mediaOrigin != "" {
		extra = " " + mediaOrigin
	}
	h := w.Header()
	h.Set("Content-Security-Policy", strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' blob:" + extra,
		"media-src 'self' blob:" + extra,
		"connect-src 'self'" + extra,
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; "))
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
}
