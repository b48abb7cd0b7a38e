package message

import (
	"context"
	"errors"
	"io/fs"
)

// Revoke replaces the record of id by its audit record: the id, the kind, when it was created, and
// rev (who withdrew the consent, when, which keys were deleted). No error, warning or note is kept,
// nothing the artist wrote. It is the only write a revoked record takes (Update leaves one alone).
func (s States) Revoke(ctx context.Context, id string, rev Revocation) (Record, error) {
	old, err := s.Get(ctx, id)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return old, err
	}
	now := s.now()
	r := Record{ID: id, Kind: old.Kind, Status: StatusRevoked, Revoked: &rev, CreatedAt: old.CreatedAt, UpdatedAt: now}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.Revoked.Deleted == nil {
		r.Revoked.Deleted = []string{}
	}
	if err := s.Store.PutJSON(ctx, StatusKey(id), r); err != nil {
		return r, err
	}
	return r, s.announce(ctx, r) // the list shows it revoked on every API process
}
