package httpapi

import (
	"net/url"
	"testing"
)

// The access log's path: tokens and signatures redacted wherever they are, everything else kept.
func TestRedactURL(t *testing.T) {
	tok := "qi_01m8xvyf7y6rgb6r7psfngvwsy_" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for in, want := range map[string]string{
		"/v1/messages/01m8xvyf850sq4wv7tkn6rfdcj": "/v1/messages/01m8xvyf850sq4wv7tkn6rfdcj",
		"/a/" + tok:                                    "/a/qi_…",
		"/a/some-other-secret/upload":                  "/a/qi_…/upload",
		"/x/" + tok + "/y":                             "/x/qi_…/y",
		"/v1/messages?status=ready&token=" + tok:       "/v1/messages?status=ready&token=…",
		"/files/k?exp=1&sig=abcdef&name=a.mp4":         "/files/k?exp=1&sig=…&name=a.mp4",
		"/p?X-Amz-Signature=ab&X-Amz-Credential=c%2Fd": "/p?X-Amz-Signature=…&X-Amz-Credential=…",
		"/p?next=%2Fa%2F" + tok:                        "/p?next=qi_…",
		"/v1/uploads/abc":                              "/v1/uploads/abc",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := RedactURL(u); got != want {
			t.Errorf("RedactURL(%s) = %s, want %s", in, got, want)
		}
	}
}
