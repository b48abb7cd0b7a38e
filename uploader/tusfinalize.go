package uploader

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"github.com/quinte-media/quinte/message"
)

// tusStore is the part of tusd's S3 store the reconciler uses to look at uploads outside a request.
type tusStore interface {
	GetUpload(ctx context.Context, id string) (handler.Upload, error)
}

// FinalizeTus finds resumable uploads whose every byte arrived but that never became a message (the
// API died between the last PATCH and recording it) and finishes them, so no original is ever lost. It
// returns how many it turned into messages.
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
	settled := func(key string) (bool, bool, error) {
		modified, err := s.store.Modified(ctx, key)
		if errors.Is(err, fs.ErrNotExist) {
			return false, false, nil
		}
		return true, err == nil && time.Since(modified) > 2*s.cfg.IdleTimeout, err
	}
	if _, ok, err := settled(infoKey); err != nil || !ok {
		return false, err
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
		return false, nil // still being uploaded, or abandoned halfway: the artist may resume it
	}
	// Every byte is there. If the S3 multipart upload was never completed, complete it now.
	exists, ok, err := settled(info.Storage["Key"])
	switch {
	case err != nil:
		return false, err
	case !exists:
		if err := up.FinishUpload(ctx); err != nil {
			return false, err
		}
	case !ok:
		return false, nil
	}
	if _, aerr := s.finishUpload(ctx, info); aerr != nil {
		return false, aerr
	}
	s.log.Info("finished an upload whose last request was interrupted", "message_id", message.IDFromUploadID(info.ID))
	return true, nil
}
