package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
)

// Requests that net/http refuses before any handler runs (headers over MaxHeaderBytes: 431; a request
// it cannot parse: 400; an unknown transfer coding: 501) are answered by the server itself, in
// text/plain, straight on the connection. Listener wraps the API's listener so that those answers, too,
// are the API's JSON error. net/http writes each of them in one Write of a fixed form (status line, then
// exactly serverErrorHeaders): no answer of a handler starts that way, since net/http writes a
// handler's headers sorted and every one of ours carries Cache-Control or Accept-Ranges before
// Content-Type.

// serverErrorHeaders is what net/http (go1.26 server.go) writes after the status line of those answers.
const serverErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// Listener returns ln with net/http's own error answers rewritten as JSON.
func Listener(ln net.Listener) net.Listener { return jsonErrorListener{ln} }

type jsonErrorListener struct{ net.Listener }

func (l jsonErrorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return jsonErrorConn{c}, nil
}

type jsonErrorConn struct{ net.Conn }

func (c jsonErrorConn) Write(b []byte) (int, error) {
	if out, ok := serverErrorAsJSON(b); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// serverErrorAsJSON rewrites one of net/http's own error answers; ok is false for anything else.
func serverErrorAsJSON(b []byte) ([]byte, bool) {
	if len(b) > 512 || !bytes.HasPrefix(b, []byte("HTTP/1.1 ")) {
		return nil, false
	}
	line, _, found := bytes.Cut(b, []byte(serverErrorHeaders))
	if !found || bytes.Contains(line, []byte("\r\n")) || len(line) < 12 {
		return nil, false
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return nil, false
	}
	var e *Error
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		e = Errorf(status, "headers_too_large", "the request's headers are larger than the API accepts (%d KiB)", maxHeaderBytes>>10)
	case http.StatusNotImplemented:
		e = Errorf(status, "unsupported_transfer_encoding", "the request's Transfer-Encoding is not supported; send chunked or a Content-Length")
	default:
		e = Errorf(status, "bad_request", "the request could not be read as HTTP/1.1")
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), len(body), body), true
}

// maxHeaderBytes is the largest request header block the API reads (net/http's default).
const maxHeaderBytes = http.DefaultMaxHeaderBytes

// MaxHeaderBytes is the http.Server setting that goes with Listener's message.
func MaxHeaderBytes() int { return maxHeaderBytes }
