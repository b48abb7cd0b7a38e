package uploader

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// An upload URL quinte did not make (no message id before the "+", a "../" bound for an S3 key) is not
// found, for the team too, and never reaches tusd, whose S3 store answered such a key with a 500 that
// carried the S3 error. The URLs quinte makes, and the creation route, go through.
func TestTusGuardRefusesUploadURLsQuinteDidNotMake(t *testing.T) {
	s := &Server{cfg: Config{MaxBytes: 1 << 20}}
	reached := false
	h := s.tusGuard(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	serve := func(method, path string) int {
		reached = false
		r := httptest.NewRequest(method, "/", nil)
		r.URL.Path = path // as http.StripPrefix leaves it: decoded
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}
	for _, path := range []string{"../../x+y", "x+y", "+y", "0123456789abcdefghjkmnpqrs/../../x+y", "0123456789abcdefghjkmnpqrs"[:25] + "+y"} {
		for _, method := range []string{"HEAD", "PATCH", "DELETE"} {
			if code := serve(method, path); code != http.StatusNotFound || reached {
				t.Errorf("%s %q: %d, reached tusd %v; want 404 before tusd", method, path, code, reached)
			}
		}
	}
	for _, path := range []string{"", "01m8bb4dydyz1pf1mebx9t01xf+c85cedbf-efa5-41f6-8029-90b6e3fd1656"} {
		if serve("HEAD", path); !reached {
			t.Errorf("HEAD %q did not reach tusd", path)
		}
	}
}
