package main

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// QueuesPath is where the API serves the queue dashboard (asynqmon, its UI embedded).
const QueuesPath = "/team/queues"

// Sessions says who a request's gallery session is for: "team" (opened with the team token) or
// "member:<name>" (httpapi.Auth has it).
type Sessions interface {
	Session(r *http.Request) (principal string, ok bool)
}

// queueDashboard serves asynqmon at QueuesPath in front of next: in full to the team token (as a
// Bearer header, or a gallery session opened with it), read-only to a signed-in member (asynqmon's
// ReadOnly refuses every request but GET on its API), and to no one else: a browser without a
// session is sent to the sign-in page, anything else gets 401. Requests that change the queue must
// come from the dashboard's own origin (http.CrossOriginProtection), so another site cannot make a
// signed-in browser delete tasks. The returned function closes asynqmon's Redis connections.
func queueDashboard(next http.Handler, sessions Sessions, token string, opt asynq.RedisConnOpt) (http.Handler, func() error) {
	full := asynqmon.New(asynqmon.Options{RootPath: QueuesPath, RedisConnOpt: opt})
	readOnly := asynqmon.New(asynqmon.Options{RootPath: QueuesPath, RedisConnOpt: opt, ReadOnly: true})
	cop := http.NewCrossOriginProtection()
	dash := cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch who := dashboardUser(r, sessions, token); {
		case who == "team":
			full.ServeHTTP(w, r)
		case strings.HasPrefix(who, "member:"):
			readOnly.ServeHTTP(w, r)
		case r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html"):
			http.Redirect(w, r, "/team", http.StatusSeeOther) // sign in there, then come back
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("WWW-Authenticate", `Bearer realm="quinte"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":"unauthorized","message":"the queue dashboard needs the team token, or a team sign-in at /team"}}` + "\n"))
		}
	}))
	mux := http.NewServeMux()
	mux.Handle(QueuesPath, dash)
	mux.Handle(QueuesPath+"/", dash)
	mux.Handle("/", next)
	return mux, func() error { return errors.Join(full.Close(), readOnly.Close()) }
}

// dashboardUser is "team", "member:<name>" or "".
func dashboardUser(r *http.Request, sessions Sessions, token string) string {
	if h := r.Header.Get("Authorization"); h != "" {
		got, ok := strings.CutPrefix(h, "Bearer ")
		if ok && token != "" && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1 {
			return "team"
		}
		return ""
	}
	if sessions == nil {
		return ""
	}
	if who, ok := sessions.Session(r); ok {
		return who
	}
	return ""
}
