package httpapi

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quinte-media/quinte/team"
)

// The gallery's sessions: a signed cookie naming who signed in (the team token, or a member) and until
// when. Nothing is stored: every API process derives the same key from the team token (HKDF), so each
// accepts the cookies of the others, and changing the team token ends every session. A member's
// sessions also name the member's stamp, checked against the roster (cached for memberTTL), so
// removing a member ends their sessions on every process within that time.
//
// Cookie attributes: HttpOnly, SameSite=Lax, Path=/. When the request came over HTTPS — TLS here, or a
// proxy saying X-Forwarded-Proto: https, which RequestBase already trusts — the cookie is Secure and
// named with the __Host- prefix (no Domain, so no other host can set or read it). A client that lies
// about X-Forwarded-Proto on plain HTTP only gets a cookie its own browser will not keep.
//
// A session may GET and POST the team's routes; anything else (DELETE, PATCH, PUT) needs the Bearer
// token, and every POST must pass http.CrossOriginProtection (Sec-Fetch-Site / Origin), so another
// site cannot make a signed-in browser approve or revoke. Bearer requests are not checked: a browser
// never sends that header by itself.

const (
	sessionTTL         = 12 * time.Hour
	defaultMemberTTL   = 5 * time.Second
	sessionCookie      = "quinte-session"
	sessionCookieHTTPS = "__Host-quinte-session"
)

// ErrSignIn is a sign-in refused: a wrong token, name or password (which one is not said).
var ErrSignIn error = signInRefused{}

type signInRefused struct{}

func (signInRefused) Error() string { return "the token, or the name and password, are not right" }

// Refused tells the pages (web) a wrong credential from storage trouble.
func (signInRefused) Refused() bool { return true }

type sessions struct {
	key       []byte
	roster    team.Roster
	cop       *http.CrossOriginProtection
	memberTTL time.Duration
	now       func() time.Time

	mu   sync.Mutex
	seen map[string]memberSeen // name → what the roster said, and when
}

type memberSeen struct {
	stamp string // "" when the member does not exist
	at    time.Time
}

func newSessions(teamToken string, store team.Store) *sessions {
	s := &sessions{roster: team.Roster{Store: store}, cop: http.NewCrossOriginProtection(),
		memberTTL: defaultMemberTTL, now: time.Now, seen: map[string]memberSeen{}}
	if teamToken != "" {
		k, err := hkdf.Key(sha256.New, []byte(teamToken), nil, "quinte team sessions v1", 32)
		if err != nil {
			panic(err) // only for a length sha256 cannot give
		}
		s.key = k
	}
	return s
}

// SignIn checks the team token, or a member's name and password, and sets the session cookie.
func (s *Auth) SignIn(w http.ResponseWriter, r *http.Request, token, name, password string) error {
	ss := s.sessions
	if len(ss.key) == 0 {
		return ErrSignIn
	}
	var payload string
	exp := ss.now().Add(sessionTTL)
	switch {
	case token != "":
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.token)) != 1 {
			return ErrSignIn
		}
		payload = "team||"
	case name != "":
		m, err := ss.roster.Verify(r.Context(), strings.ToLower(strings.TrimSpace(name)), password)
		if errors.Is(err, team.ErrWrongPassword) {
			return ErrSignIn
		}
		if err != nil {
			return err
		}
		payload = "member|" + m.Name + "|" + m.Stamp
		ss.remember(m.Name, m.Stamp)
	default:
		return ErrSignIn
	}
	payload += "|" + strconv.FormatInt(exp.Unix(), 10)
	c := &http.Cookie{Name: sessionCookie, Value: ss.sign(payload), Path: "/", Expires: exp,
		MaxAge: int(sessionTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if isHTTPS(r) {
		c.Name, c.Secure = sessionCookieHTTPS, true
	}
	http.SetCookie(w, c)
	return nil
}

// SignOut clears the session cookie (both names, whichever was set).
func (s *Auth) SignOut(w http.ResponseWriter, r *http.Request) {
	for _, name := range []string{sessionCookie, sessionCookieHTTPS} {
		if _, err := r.Cookie(name); err == nil {
			http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
				SameSite: http.SameSiteLaxMode, Secure: name == sessionCookieHTTPS})
		}
	}
}

// Session reports who the request's session cookie is for ("team" or "member:<name>"), if it is valid.
func (s *Auth) Session(r *http.Request) (string, bool) { return s.sessions.check(r) }

// Principal is who made an authenticated API request: "team" (the team token, or a session opened
// with it), "member:<name>" (a member's session), "invite:<id>", or "" when the request was not
// authenticated. Review actions record it.
func Principal(r *http.Request) string {
	c := callerFrom(r.Context())
	if c.invite != nil {
		return "invite:" + c.invite.ID
	}
	return c.principal
}

func (ss *sessions) sign(payload string) string {
	m := hmac.New(sha256.New, ss.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (ss *sessions) check(r *http.Request) (string, bool) {
	if len(ss.key) == 0 {
		return "", false
	}
	for _, name := range []string{sessionCookieHTTPS, sessionCookie} {
		c, err := r.Cookie(name)
		if err != nil {
			continue
		}
		if p, ok := ss.verify(r.Context(), c.Value); ok {
			return p, true
		}
	}
	return "", false
}

func (ss *sessions) verify(ctx context.Context, value string) (string, bool) {
	b64, sig, ok := strings.Cut(value, ".")
	if !ok || len(value) > 512 {
		return "", false
	}
	raw, err1 := base64.RawURLEncoding.DecodeString(b64)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return "", false
	}
	m := hmac.New(sha256.New, ss.key)
	m.Write(raw)
	if !hmac.Equal(got, m.Sum(nil)) {
		return "", false
	}
	f := strings.Split(string(raw), "|")
	if len(f) != 4 {
		return "", false
	}
	exp, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil || !ss.now().Before(time.Unix(exp, 0)) {
		return "", false
	}
	switch f[0] {
	case "team":
		return "team", true
	case "member":
		if st := ss.memberStamp(ctx, f[1]); st == "" || !team.SameStamp(st, f[2]) {
			return "", false
		}
		return "member:" + f[1], true
	}
	return "", false
}

// memberStamp is the stamp of member name as the roster said at most memberTTL ago ("" if removed).
// When the roster cannot be read, the last answer stands a while longer rather than signing everyone
// out during a storage hiccup, but never an answer older than a session.
func (ss *sessions) memberStamp(ctx context.Context, name string) string {
	ss.mu.Lock()
	e, ok := ss.seen[name]
	ss.mu.Unlock()
	now := ss.now()
	if ok && now.Sub(e.at) < ss.memberTTL {
		return e.stamp
	}
	m, err := ss.roster.Get(ctx, name)
	switch {
	case errors.Is(err, team.ErrNotFound):
		ss.remember(name, "")
		return ""
	case err != nil:
		if ok && now.Sub(e.at) < sessionTTL {
			return e.stamp
		}
		return ""
	}
	ss.remember(name, m.Stamp)
	return m.Stamp
}

func (ss *sessions) remember(name, stamp string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.seen) > 10000 {
		clear(ss.seen)
	}
	ss.seen[name] = memberSeen{stamp: stamp, at: ss.now()}
}

// sessionAllowed answers whether a request authenticated by its cookie may do what it asks: GET and
// HEAD, and POST from this origin. It writes the refusal.
func (ss *sessions) sessionAllowed(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		if err := ss.cop.Check(r); err != nil {
			WriteError(w, Errorf(http.StatusForbidden, "cross_origin", "this request came from another site; sign in to quinte's own pages to do this"))
			return false
		}
		return true
	}
	WriteError(w, Errorf(http.StatusMethodNotAllowed, "session_post_only", "a signed-in browser can only GET and POST; API clients send Authorization: Bearer <team token> for %s", r.Method))
	return false
}

func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
