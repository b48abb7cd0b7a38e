package uploader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/quinte-media/quinte/message"
)

// tusStore is the part of tusd's S3 store the reconciler uses to look at uploads outside a request.
type tusStore interface {
	GetUpload(ctx context.Context, id string) (handler.Upload, error)
	AsTerminatableUpload(upload handler.Upload) handler.TerminatableUpload
}

// FinalizeTus finds resumable uploads whose every byte arrived but that never became a message (the
// API died between the last PATCH and recording it) and finishes them, so no original is ever lost. It
// returns how many it turned into messages. Uploads left unfinished for longer than TusExpireAfter
// (from their creation) are removed, and their invite gets the upload back.
func (s *Server) FinalizeTus(ctx context.Context) (int, error) {
	if s.tusStore == nil {
		return 0, nil
	}
	keys, err := s.store.List(ctx, tusPrefix)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if !strings.HasSuffix(k, ".info") {
			continue
		}
		id := strings.TrimSuffix(strings.TrimPrefix(k, tusPrefix), ".info")
		if !message.ValidID(id) {
			continue
		}
		done, err := s.finalizeOne(ctx, k)
		if err != nil {
			s.log.Warn("finishing an interrupted upload", "message_id", id, "err", err)
			continue
		}
		if done {
			n++
		}
	}
	return n, nil
}

// finalizeOne finishes one upload if it is complete and settled: its record and its assembled object
// (when there is one) are older than twice the idle timeout, so its last PATCH, which finishes it
// itself, is over. Running it twice anyway is harmless: finishUpload is idempotent.
func (s *Server) finalizeOne(ctx context.Context, infoKey string) (bool, error) {
	age := func(key string) (time.Duration, error) {
		modified, err := s.store.Modified(ctx, key)
		return time.Since(modified), err
	}
	settled := 2 * s.cfg.IdleTimeout
	infoAge, err := age(infoKey)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case infoAge <= settled:
		return false, nil
	}
	var saved handler.FileInfo
	if err := s.store.GetJSON(ctx, infoKey, &saved); err != nil {
		return false, err
	}
	up, err := s.tusStore.GetUpload(ctx, saved.ID)
	if err != nil {
		return false, err
	}
	info, err := up.GetInfo(ctx)
	if err != nil {
		return false, err
	}
	if info.SizeIsDeferred || info.Offset != info.Size {
		// Still being uploaded, or abandoned halfway: the artist may resume it, for a while.
		if s.cfg.TusExpireAfter > 0 && infoAge > s.cfg.TusExpireAfter {
			return false, s.expireTus(ctx, up, info)
		}
		return false, nil
	}
	// Every byte is there. If the S3 multipart upload was never completed, complete it now.
	objectAge, err := age(info.Storage["Key"])
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := up.FinishUpload(ctx); err != nil {
			return false, err
		}
	case err != nil:
		return false, err
	case objectAge <= settled:
		return false, nil
	}
	if _, aerr := s.finishUpload(ctx, info); aerr != nil {
		return false, aerr
	}
	s.log.Info("finished an upload whose last request was interrupted", "message_id", message.IDFromUploadID(info.ID))
	return true, nil
}

// expireTus removes an upload left unfinished too long (its S3 multipart upload is aborted, its
// companions deleted) and gives its invite the upload back, as a tus DELETE does.
func (s *Server) expireTus(ctx context.Context, up handler.Upload, info handler.FileInfo) error {
	if err := s.tusStore.AsTerminatableUpload(up).Terminate(ctx); err != nil {
		return fmt.Errorf("removing an expired upload: %w", err)
	}
	id := message.IDFromUploadID(info.ID)
	s.dropTus(ctx, id)
	s.releaseInvite(ctx, info.MetaData[inviteMetaKey], id)
	s.log.Info("removed an upload left unfinished", "message_id", id, "received", info.Offset, "size", info.Size, "expire_after", s.cfg.TusExpireAfter)
	return nil
}
