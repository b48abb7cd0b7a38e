package uploader

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/message"
)

// register records a stored original and hands it to the queue: meta, then the queued status, then the
// task. When the queue refuses, the message is still stored; the reconciler enqueues it later, so the
// answer stays "accepted".
func (s *Server) register(ctx context.Context, meta message.Meta) error {
	if err := s.store.PutJSON(ctx, message.MetaKey(meta.ID), meta); err != nil {
		return err
	}
	// ErrExists: the reconciler found the stored original first and recorded it queued already.
	if _, err := s.states.Create(ctx, meta.ID, meta.Kind); err != nil && !errors.Is(err, message.ErrExists) {
		return err
	}
	s.enqueue(ctx, meta)
	return nil
}

// enqueue hands a recorded message to the queue. When the queue refuses, the reconciler enqueues it
// later.
func (s *Server) enqueue(ctx context.Context, meta message.Meta) {
	if err := s.queue.Enqueue(ctx, meta); err != nil {
		s.log.Error("enqueue failed; the reconciler will retry", "message_id", meta.ID, "err", err)
	}
}

// admit decides, before anything is stored, whether an upload may start: the queue must answer
// (nothing is stored that would not be processed), and an invite must have an upload left, which it
// gives to message id. It returns the invite's id ("" for the team).
func (s *Server) admit(ctx context.Context, id string) (inviteID string, aerr *apiError) {
	if err := s.queue.Ping(ctx); err != nil {
		s.log.Error("queue unreachable: refusing upload", "err", err)
		return "", errorf(http.StatusServiceUnavailable, "queue_unavailable", "quinte cannot take uploads right now; try again shortly")
	}
	inv := httpapi.CallerInvite(ctx)
	if inv == nil {
		return "", nil
	}
	if err := s.invites.Reserve(ctx, inv.ID, id); err != nil {
		return "", httpapi.InviteRefused(s.log, err)
	}
	return inv.ID, nil
}

// inviteSeconds is the longest recording the caller's invite allows (0 for the team).
func (s *Server) inviteSeconds(ctx context.Context) int {
	if inv := httpapi.CallerInvite(ctx); inv != nil {
		return inv.Seconds()
	}
	return 0
}

// releaseInvite gives back the invite slot of an upload that did not become a message.
func (s *Server) releaseInvite(ctx context.Context, inviteID, id string) {
	if inviteID == "" {
		return
	}
	if err := s.invites.Release(context.WithoutCancel(ctx), inviteID, id); err != nil {
		s.log.Warn("could not give back an invite upload", "invite_id", inviteID, "message_id", id, "err", err)
	}
}

// describedBy are the texts a client may send with an upload: multipart fields, or tus metadata under
// the same names.
var describedBy = []string{"artist", "title", "consent", "campaign"}

// describeUpload sets one of describedBy: a text cleaned and held to its limit in characters
// (message.CheckText: 400 naming the field when over), or a campaign the API knows.
func (s *Server) describeUpload(meta *message.Meta, name, value string) *apiError {
	if name == "campaign" {
		var aerr *apiError
		meta.Campaign, aerr = s.campaignName(message.CleanText(value))
		return aerr
	}
	v, err := message.CheckText(name, value)
	var tl *message.TextTooLong
	if errors.As(err, &tl) {
		return errorf(http.StatusBadRequest, "text_too_long", "%s is %d characters long; the limit is %d", tl.Field, tl.Len, tl.Limit)
	}
	switch name {
	case "artist":
		meta.Artist = v
	case "title":
		meta.Title = v
	} // "consent" is only held to its length here: consentOf reads it

	return nil
}

// sniffUpload tells what an upload is from its first bytes, or refuses it (415).
func sniffUpload(head []byte) (message.Kind, string, *apiError) {
	kind, ctype, ok := Sniff(head)
	if !ok {
		return "", "", unsupported(Refusal(head))
	}
	return kind, ctype, nil
}

// refusePolyglot refuses media whose last bytes (tail) carry something else, such as a ZIP.
func refusePolyglot(tail []byte) *apiError {
	if what := PolyglotTail(tail); what != "" {
		return unsupported("a media file that also carries " + what + " (a polyglot)")
	}
	return nil
}

// storeOriginal streams one file to the original's key, refusing what is empty, is not media, or is
// larger than the limit (counted while streaming, whatever the client declared).
func (s *Server) storeOriginal(ctx context.Context, id string, body io.Reader) (kind message.Kind, ctype string, size int64, aerr *apiError) {
	br := bufio.NewReaderSize(body, 64<<10)
	head, err := br.Peek(sniffLen)
	if len(head) == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return "", "", 0, uploadReadError(err)
		}
		return "", "", 0, errorf(http.StatusBadRequest, "empty_file", "the file is empty")
	}
	kind, ctype, aerr = sniffUpload(head)
	if aerr != nil {
		return "", "", 0, aerr
	}
	cr := &countingReader{r: br, limit: s.cfg.MaxBytes, tail: make([]byte, 0, zipTailLen)}
	err = s.store.Put(ctx, message.OriginalKey(id), cr, -1, ctype)
	switch {
	case cr.over:
		_ = s.store.Delete(context.WithoutCancel(ctx), message.OriginalKey(id))
		return "", "", 0, tooLarge(s.cfg.MaxBytes)
	case err != nil && cr.readErr != nil:
		return "", "", 0, uploadReadError(cr.readErr)
	case err != nil:
		s.log.Error("storing original failed", "message_id", id, "err", err)
		return "", "", 0, errorf(http.StatusServiceUnavailable, "storage_unavailable", "the file could not be stored; try again shortly")
	}
	if aerr := refusePolyglot(cr.tail); aerr != nil {
		_ = s.store.Delete(context.WithoutCancel(ctx), message.OriginalKey(id))
		return "", "", 0, aerr
	}
	return kind, ctype, cr.n, nil
}

// unsupported is the 415 answer, saying what the file looked like.
func unsupported(what string) *apiError {
	return errorf(http.StatusUnsupportedMediaType, "unsupported_media", "this looks like %s, not a video, photo or audio file quinte accepts (MP4, MOV, WebM, MKV, MTS, AVI, MPG, JPEG, PNG, HEIC, AVIF, WebP, GIF, MP3, M4A, WAV, Opus)", what)
}

func uploadReadError(err error) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errorf(http.StatusRequestTimeout, "upload_stalled", "the upload stopped sending data and was cut off; try again (resumable uploads at /v1/uploads/ pick up where they stopped)")
	}
	return errorf(http.StatusBadRequest, "upload_interrupted", "the upload was interrupted: %v", err)
}

func tooLarge(limit int64) *apiError {
	return errorf(http.StatusRequestEntityTooLarge, "too_large", "the file is larger than the %s limit", readableSize(limit))
}

// readableSize writes a byte count in the unit that keeps it readable: 200 kB, 1.5 MiB, 2 GiB.
func readableSize(n int64) string {
	unit := func(v float64, name string) string {
		return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + name
	}
	switch {
	case n >= 1<<30:
		return unit(float64(n)/(1<<30), "GiB")
	case n >= 1<<20:
		return unit(float64(n)/(1<<20), "MiB")
	case n >= 1000:
		return unit(float64(n)/1000, "kB")
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// countingReader counts bytes, fails once more than limit have been read, and keeps the last
// cap(tail) bytes (where a ZIP hides in a polyglot).
type countingReader struct {
	r       io.Reader
	n       int64
	limit   int64
	over    bool
	readErr error
	tail    []byte
}

var errOverLimit = errors.New("upload over the size limit")

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.keepTail(p[:n])
	if c.n > c.limit {
		c.over = true
		return n, errOverLimit
	}
	if err != nil && !errors.Is(err, io.EOF) {
		c.readErr = err
	}
	return n, err
}

func (c *countingReader) keepTail(p []byte) {
	if cap(c.tail) == 0 {
		return
	}
	if len(p) >= cap(c.tail) {
		c.tail = append(c.tail[:0], p[len(p)-cap(c.tail):]...)
		return
	}
	if drop := len(c.tail) + len(p) - cap(c.tail); drop > 0 {
		c.tail = append(c.tail[:0], c.tail[drop:]...)
	}
	c.tail = append(c.tail, p...)
}
