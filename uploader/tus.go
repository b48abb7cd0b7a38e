package uploader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	"github.com/tus/tusd/v2/pkg/s3store"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/message"
)

// tusPrefix is where unfinished resumable uploads live in the bucket.
const tusPrefix = message.UploadsPrefix

// EnableTus mounts tus 1.0 (creation, termination) at /v1/uploads/, storing chunks in the bucket
// through tusd's S3 store. A finished upload becomes a message whose id is the upload's id (before the
// "+" that the S3 store appends).
func (s *Server) EnableTus(client s3store.S3API, bucket string) error {
	store := s3store.New(bucket, client)
	store.ObjectPrefix = tusPrefix
	store.TemporaryDirectory = os.TempDir()
	s.tusStore = store
	composer := handler.NewStoreComposer()
	store.UseIn(composer)
	memorylocker.New().UseIn(composer)

	h, err := handler.NewHandler(handler.Config{
		BasePath:                   "/v1/uploads/",
		StoreComposer:              composer,
		MaxSize:                    s.cfg.MaxBytes,
		DisableDownload:            true,
		DisableConcatenation:       true,
		Cors:                       &handler.CorsConfig{Disable: true},
		NetworkTimeout:             s.cfg.IdleTimeout,
		PreUploadCreateCallback:    s.tusCreate,
		PreFinishResponseCallback:  s.tusFinish,
		PreUploadTerminateCallback: s.tusTerminate,
		Logger:                     tusLogger(s.log),
	})
	if err != nil {
		return fmt.Errorf("tus: %w", err)
	}
	s.tus = h
	return nil
}

// inviteMetaKey is the upload metadata key that records which invite created a tus upload. Clients
// cannot set it: tusCreate overwrites whatever they sent.
const inviteMetaKey = "quinte_invite"

// tusCreate refuses empty uploads and long metadata, gives the upload a message id and, for an invite,
// takes one of its uploads.
func (s *Server) tusCreate(hook handler.HookEvent) (handler.HTTPResponse, handler.FileInfoChanges, error) {
	none := handler.FileInfoChanges{}
	if !hook.Upload.SizeIsDeferred && hook.Upload.Size == 0 {
		return handler.HTTPResponse{}, none, handler.NewError("ERR_EMPTY_FILE", "the file is empty", http.StatusBadRequest)
	}
	if len(hook.Upload.MetaData) > 16 {
		return handler.HTTPResponse{}, none, handler.NewError("ERR_METADATA_TOO_LONG", "too many upload metadata keys", http.StatusBadRequest)
	}
	md := handler.MetaData{}
	for k, v := range hook.Upload.MetaData {
		if len(k) > 64 || len(v) > 4<<10 {
			return handler.HTTPResponse{}, none, handler.NewError("ERR_METADATA_TOO_LONG", "upload metadata is too long", http.StatusBadRequest)
		}
		if k != inviteMetaKey && !strings.HasPrefix(k, serverMetaPrefix) {
			md[k] = v
		}
	}
	// Checked now, so the artist learns before sending the bytes.
	probe := message.Meta{}
	if inv := httpapi.CallerInvite(hook.Context); inv != nil {
		probe.InviteID = inv.ID
	}
	for _, name := range describedBy {
		if aerr := s.describeUpload(&probe, name, md[name]); aerr != nil {
			return handler.HTTPResponse{}, none, tusError(aerr)
		}
	}
	at := time.Now().UTC()
	if aerr := requireNames(&probe); aerr != nil {
		return handler.HTTPResponse{}, none, tusError(aerr)
	}
	if _, aerr := s.consentOf(md, probe.InviteID, at, true); aerr != nil {
		return handler.HTTPResponse{}, none, tusError(aerr)
	}
	md[consentAtKey] = at.Format(time.RFC3339Nano)
	if n := s.inviteSeconds(hook.Context); n > 0 {
		md[maxSecondsMetaKey] = strconv.Itoa(n)
	}
	id := message.NewID()
	inviteID, aerr := s.admit(hook.Context, id)
	if aerr != nil {
		return handler.HTTPResponse{}, none, tusError(aerr)
	}
	if inviteID != "" {
		md[inviteMetaKey] = inviteID
	}
	return handler.HTTPResponse{}, handler.FileInfoChanges{ID: id, MetaData: md}, nil
}

// tusTerminate gives an invite its upload back when the artist cancels (DELETE).
func (s *Server) tusTerminate(hook handler.HookEvent) (handler.HTTPResponse, error) {
	s.releaseInvite(hook.Context, hook.Upload.MetaData[inviteMetaKey], message.IDFromUploadID(hook.Upload.ID))
	return handler.HTTPResponse{}, nil
}

// tusGuard lets through only upload URLs quinte made (a message id, then the S3 store's "+"; anything
// else, such as a "../" the S3 store would put in a key, is not found rather than an S3 error), keeps an
// invite to the uploads it created (tus itself lets anyone who knows an upload's URL resume or delete
// it), answers tusd's errors in the API's JSON shape (tuserrors.go), and holds the size limit on
// uploads whose length is deferred: tusd v2.9.1 trusts a PATCH's Content-Length over its MaxSize for
// those.
func (s *Server) tusGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "" {
			id := message.IDFromUploadID(r.URL.Path)
			if inv := httpapi.CallerInvite(r.Context()); !message.ValidID(id) || (inv != nil && !inv.Owns(id)) {
				writeError(w, errorf(http.StatusNotFound, "not_found", "no upload has this id"))
				return
			}
		}
		if r.Method == http.MethodPatch && r.ContentLength > 0 {
			off, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
			if err == nil && (off < 0 || off+r.ContentLength > s.cfg.MaxBytes) {
				writeError(w, tooLarge(s.cfg.MaxBytes))
				return
			}
		}
		aw := &tusAnswer{ResponseWriter: w}
		next.ServeHTTP(aw, r)
		aw.finish(s, r)
	})
}

// tusFinish runs when the last byte has arrived: sniff the content, move it to the original's key,
// record the message and queue it. The final PATCH answers with the message id.
func (s *Server) tusFinish(hook handler.HookEvent) (handler.HTTPResponse, error) {
	id, aerr := s.finishUpload(context.WithoutCancel(hook.Context), hook.Upload)
	if aerr != nil {
		return handler.HTTPResponse{}, tusError(aerr)
	}
	return handler.HTTPResponse{Header: handler.HTTPHeader{
		"Quinte-Message-Id":       id,
		"Quinte-Message-Location": "/v1/messages/" + id,
	}}, nil
}

// tusError is an API refusal as tusd answers it.
func tusError(e *apiError) handler.Error {
	return handler.NewError("ERR_"+strings.ToUpper(e.Code), e.Message, e.Status)
}

// finishUpload turns a finished tus upload into a message, or refuses it (and removes it). It is safe
// to run twice on the same upload: the reconciler also runs it on uploads whose last PATCH died halfway.
func (s *Server) finishUpload(ctx context.Context, up handler.FileInfo) (string, *apiError) {
	id := message.IDFromUploadID(up.ID)
	key := up.Storage["Key"]
	if !message.ValidID(id) || key != tusPrefix+id {
		return "", errorf(http.StatusBadRequest, "unknown_upload", "this upload was not created by quinte")
	}
	inviteID := up.MetaData[inviteMetaKey]
	refuse := func(e *apiError) (string, *apiError) {
		s.dropTus(ctx, id)
		s.releaseInvite(ctx, inviteID, id)
		return "", e
	}
	storageTrouble := func(what string, err error) (string, *apiError) {
		s.log.Error(what, "message_id", id, "err", err)
		return "", errorf(http.StatusServiceUnavailable, "storage_unavailable", "storage is not answering; try the last chunk again shortly")
	}
	if up.Size == 0 {
		return refuse(errorf(http.StatusBadRequest, "empty_file", "the file is empty"))
	}
	if done, err := s.store.Exists(ctx, message.MetaKey(id)); err != nil {
		return storageTrouble("checking for a finished upload failed", err)
	} else if done {
		s.dropTus(ctx, id) // recorded by an earlier run; only the leftovers remain
		return id, nil
	}
	head, err := s.readHead(ctx, key)
	var tail []byte
	if err == nil {
		tail, err = s.store.Tail(ctx, key, zipTailLen)
	}
	if err != nil {
		return storageTrouble("reading finished upload failed", err)
	}
	kind, ctype, aerr := sniffUpload(head)
	if aerr == nil {
		aerr = refusePolyglot(tail)
	}
	if aerr != nil {
		return refuse(aerr)
	}
	if err := s.store.Copy(ctx, key, message.OriginalKey(id), ctype); err != nil {
		return storageTrouble("moving finished upload failed", err)
	}
	meta := message.Meta{
		ID: id, Kind: kind, ContentType: ctype, Size: up.Size, Via: "tus", CreatedAt: time.Now().UTC(),
		Filename: cleanFilename(up.MetaData["filename"]), InviteID: inviteID,
	}
	for _, name := range describedBy {
		// Checked at creation; an upload created before a rule (or a campaign removed since) goes
		// without that field rather than being lost.
		_ = s.describeUpload(&meta, name, up.MetaData[name])
	}
	meta.Consent, meta.MaxSeconds = s.tusConsent(up.MetaData, inviteID, meta.CreatedAt)
	if err := s.register(ctx, meta); err != nil {
		return storageTrouble("recording message failed", err)
	}
	s.dropTus(ctx, id)
	s.log.Info("message accepted", "message_id", id, "via", "tus", "kind", kind, "bytes", up.Size, "invite_id", inviteID)
	return id, nil
}

func (s *Server) readHead(ctx context.Context, key string) ([]byte, error) {
	rc, err := s.store.Open(ctx, key, sniffLen)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, sniffLen))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b, nil
}

// dropTus removes the upload's object and its .info/.part companions.
func (s *Server) dropTus(ctx context.Context, id string) {
	if err := s.store.DeletePrefix(ctx, tusPrefix+id); err != nil {
		s.log.Warn("removing finished upload failed", "message_id", id, "err", err)
	}
}
