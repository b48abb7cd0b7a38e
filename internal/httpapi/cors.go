package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tus/tusd/v2/pkg/handler"
)

// CORS headers: the API's own plus what tus clients (tus-js-client, Uppy) send and read. The methods
// come from the route table (routeMethods), so a new route's method is never left out.
var (
	corsAllowHeaders  = handler.DefaultCorsConfig.AllowHeaders
	corsExposeHeaders = handler.DefaultCorsConfig.ExposeHeaders + ", Retry-After, Quinte-Message-Id, Quinte-Message-Location"
)

// cors lets browsers on the configured origins call the API and tus, and no one else: an origin not on
// the list gets no Access-Control-Allow-Origin, so the browser keeps the answer from the page. Tokens
// travel in the Authorization header, never in cookies, so credentials are not allowed.
func cors(origins []string, routes []Route, next http.Handler) http.Handler {
	corsAllowMethods := routeMethods(routes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		allowed := origin != "" && slices.Contains(origins, origin)
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			// Browsers send preflights without credentials: answer them before authentication.
			if !allowed {
				WriteError(w, Errorf(http.StatusForbidden, "origin_not_allowed", "origin %q may not call this API (QUINTE_CORS_ORIGINS)", origin))
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// ValidOrigin accepts what browsers send in Origin: scheme://host[:port], nothing more.
func ValidOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.User == nil && !strings.Contains(o, "*") && u.String() == o
}
