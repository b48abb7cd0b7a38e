package uploader

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
)

// Stopper stops the API's http.Server without losing what an upload under way has sent. A graceful
// Shutdown waits for every request to end, but a resumable upload from a phone on a slow network may
// take minutes: its PATCH would run on past the wait, into storage that is being closed, and every
// byte it carried would be lost (the client sends them again). So the requests get a grace period to
// end; then the ones still running are told the server is shutting down, which makes tusd close the
// body, store what has arrived and answer 503 ERR_SERVER_SHUTDOWN; the client resumes from there
// once the server is back.
type Stopper struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// NewStopper returns a Stopper; set its BaseContext as the http.Server's.
func NewStopper() *Stopper {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Stopper{ctx: ctx, cancel: cancel}
}

// BaseContext is the http.Server's BaseContext: every request's context derives from it.
func (s *Stopper) BaseContext(net.Listener) context.Context { return s.ctx }

// Shutdown stops srv: new connections are refused at once, requests get grace to end, then uploads
// still running are interrupted (they store what arrived), and all of it within timeout.
func (s *Stopper) Shutdown(srv *http.Server, grace, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	select {
	case err := <-done:
		s.cancel(handler.ErrServerShutdown)
		return err
	case <-time.After(grace):
	}
	s.cancel(handler.ErrServerShutdown)
	return <-done
}
