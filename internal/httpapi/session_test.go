package httpapi

import (
	"context"
	"encoding/base64"
	"io/fs"
	"strings"
	"testing"
	"time"
)

// A session cookie is accepted only as signed, before it expires, and only by a key derived from the
// same team token.
func TestSessionCookie(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	ss := newSessions("team-token-0123456789abcdef", noMembers{})
	ss.now = func() time.Time { return now }
	exp := now.Add(sessionTTL).Unix()
	good := ss.sign("team|||" + strconvI(exp))
	if p, ok := ss.verify(context.Background(), good); !ok || p != "team" {
		t.Fatalf("a fresh team session: %q %v", p, ok)
	}
	other := newSessions("another-team-token-0123456789", noMembers{})
	if _, ok := other.verify(context.Background(), good); ok {
		t.Error("a key from another team token accepts the cookie")
	}
	raw, sig, _ := strings.Cut(good, ".")
	b, _ := base64.RawURLEncoding.DecodeString(raw)
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(b), "team", "member|x|y", 1))) + "." + sig
	if _, ok := ss.verify(context.Background(), forged); ok {
		t.Error("a changed payload with the old signature is accepted")
	}
	ss.now = func() time.Time { return now.Add(sessionTTL + time.Second) }
	if _, ok := ss.verify(context.Background(), good); ok {
		t.Error("an expired session is accepted")
	}
}

func strconvI(n int64) string { return itoa(n) }

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// FuzzSessionCookie: whatever a browser sends as the cookie, verify neither panics nor accepts what
// it did not sign.
func FuzzSessionCookie(f *testing.F) {
	ss := newSessions("team-token-0123456789abcdef", noMembers{})
	f.Add(ss.sign("team|||99999999999"))
	f.Add(ss.sign("member|ada|stamp|99999999999"))
	f.Add("")
	f.Add(".")
	f.Add("dGVhbXx8OTk5.x")
	f.Fuzz(func(t *testing.T, v string) {
		p, ok := ss.verify(context.Background(), v)
		if !ok {
			return
		}
		raw, _, _ := strings.Cut(v, ".")
		b, _ := base64.RawURLEncoding.DecodeString(raw)
		if ss.sign(string(b))[len(raw):] != v[len(raw):] || (p != "team" && !strings.HasPrefix(p, "member:")) {
			t.Fatalf("accepted %q (payload %q) as %q", v, b, p)
		}
	})
}

// noMembers is a bucket with nobody in the roster and no invite (an AuthStore).
type noMembers struct{}

func (noMembers) GetJSON(context.Context, string, any) error { return fs.ErrNotExist }
func (noMembers) PutJSON(context.Context, string, any) error { return nil }
func (noMembers) Delete(context.Context, string) error       { return nil }
func (noMembers) GetJSONVersion(context.Context, string, any) (string, error) {
	return "", fs.ErrNotExist
}
func (noMembers) PutJSONIf(context.Context, string, any, string) (bool, error) { return false, nil }
func (noMembers) List(context.Context, string) ([]string, error)               { return nil, nil }
