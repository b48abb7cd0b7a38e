package message

import (
	"context"
	"errors"
	"io/fs"
	"time"
)

// JSONStore reads and writes JSON documents by key. Missing keys give an error wrapping fs.ErrNotExist.
type JSONStore interface {
	GetJSON(ctx context.Context, key string, v any) error
	PutJSON(ctx context.Context, key string, v any) error
}

// States reads and writes status records.
type States struct {
	Store JSONStore
	Now   func() time.Time
	// OnChange, when set, is called after each record write, once the change feed has it (changes.go).
	OnChange func(ctx context.Context, r Record)
}

func (s States) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Get returns the record of id; a missing one gives an error wrapping fs.ErrNotExist.
func (s States) Get(ctx context.Context, id string) (Record, error) {
	var r Record
	err := s.Store.GetJSON(ctx, StatusKey(id), &r)
	return r, err
}

// Create writes a new queued record.
func (s States) Create(ctx context.Context, id string, kind Kind) (Record, error) {
	now := s.now()
	r := Record{ID: id, Kind: kind, Status: StatusQueued, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.PutJSON(ctx, StatusKey(id), r); err != nil {
		return r, err
	}
	return r, s.announce(ctx, r)
}

// Update applies change to the record of id (creating it when missing) and writes it back. A revoked
// record is returned as it is, unchanged: callers that would work on the message check its Status.
func (s States) Update(ctx context.Context, id string, change func(*Record)) (Record, error) {
	r, err := s.Get(ctx, id)
	if errors.Is(err, fs.ErrNotExist) {
		r = Record{ID: id, CreatedAt: s.now()}
	} else if err != nil {
		return r, err
	}
	if r.Status == StatusRevoked {
		return r, nil // consent withdrawn: nothing brings the message back (see Revoke)
	}
	change(&r)
	r.UpdatedAt = s.now()
	if err := s.Store.PutJSON(ctx, StatusKey(id), r); err != nil {
		return r, err
	}
	return r, s.announce(ctx, r)
}

// Fail marks id failed with a reason.
func (s States) Fail(ctx context.Context, id, code, msg string) error {
	_, err := s.Update(ctx, id, func(r *Record) {
		r.Status, r.Note, r.Running = StatusFailed, "", ""
		r.Error = &Error{Code: code, Message: msg}
	})
	return err
}
