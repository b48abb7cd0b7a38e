package uploader

import (
	"io"
	"net/http"
	"time"
)

// idleLimited cuts off a request body that sends nothing for idle: before each read the connection's
// read deadline moves idle into the future. A slow but steady upload is never cut, a stalled one (a lost
// phone connection, a slowloris) frees its connection and its S3 multipart upload. ReadHeaderTimeout
// covers the headers; tus has NetworkTimeout for the same purpose.
func idleLimited(w http.ResponseWriter, body io.ReadCloser, idle time.Duration) io.ReadCloser {
	return &idleBody{ReadCloser: body, rc: http.NewResponseController(w), idle: idle}
}

type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	// An error means the connection cannot take deadlines (a test recorder): read without one.
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	return b.ReadCloser.Read(p)
}
