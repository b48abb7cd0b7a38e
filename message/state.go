package message

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"time"
)

// JSONStore reads and writes JSON documents by key. Missing keys give an error wrapping fs.ErrNotExist.
//
// GetJSONVersion and PutJSONIf are the compare-and-swap the status record needs (S3 conditional
// writes, as the invites use): a read that returns the object's version (its ETag), and a write that
// happens only while the object is still at that version (If-Match), or, with an empty version, only
// while it does not exist (If-None-Match: *). PutJSONIf reports false, with no error, when someone
// else wrote first.
type JSONStore interface {
	GetJSON(ctx context.Context, key string, v any) error
	PutJSON(ctx context.Context, key string, v any) error
	GetJSONVersion(ctx context.Context, key string, v any) (version string, err error)
	PutJSONIf(ctx context.Context, key string, v any, version string) (bool, error)
}

// States reads and writes status records. The API (captions, review, revoke) and the worker write
// the same record at the same time, so every write is conditional: a change is applied to the record
// as stored, and applied again to a fresh read when another write got in first. No write is lost.
type States struct {
	Store JSONStore
	Now   func() time.Time
	// OnChange, when set, is called after each record write, once the change feed has it (changes.go).
	OnChange func(ctx context.Context, r Record)
}

// ErrExists is what Create returns when the record already exists (it is then left as it was).
var ErrExists = fmt.Errorf("status record exists: %w", fs.ErrExist)

// maxUpdateAttempts bounds the retries of one change under contention: each lost round means another
// writer's change landed, so this many in a row means a writer that never lets go (a bug), not load.
const maxUpdateAttempts = 100

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

// Create writes a new queued record, only if id has none yet: over an existing one it writes nothing
// and returns the stored record with an error wrapping ErrExists.
func (s States) Create(ctx context.Context, id string, kind Kind) (Record, error) {
	now := s.now()
	r := Record{ID: id, Kind: kind, Status: StatusQueued, CreatedAt: now, UpdatedAt: now}
	ok, err := s.Store.PutJSONIf(ctx, StatusKey(id), r, "")
	switch {
	case err != nil:
		return r, err
	case !ok:
		stored, err := s.Get(ctx, id)
		if err != nil {
			return stored, fmt.Errorf("create record %s: it exists, and reading it: %w", id, err)
		}
		return stored, ErrExists
	}
	return r, s.announce(ctx, r)
}

// Update applies change to the record of id (creating it when missing) and writes it back, only if
// nobody wrote it in between; otherwise it reads the record again and applies change again. change
// may thus run more than once, each time on the record as stored: it must set what it means to set
// from the record it is given (and the values it captured), not count its own calls. A revoked
// record is returned as it is, unchanged: callers that would work on the message check its Status.
func (s States) Update(ctx context.Context, id string, change func(*Record)) (Record, error) {
	key := StatusKey(id)
	for attempt := 0; ; attempt++ {
		var r Record
		ver, err := s.Store.GetJSONVersion(ctx, key, &r)
		if errors.Is(err, fs.ErrNotExist) {
			r, ver = Record{ID: id, CreatedAt: s.now()}, "" // "": write only if still missing
		} else if err != nil {
			return r, err
		}
		if r.Status == StatusRevoked {
			return r, nil // consent withdrawn: nothing brings the message back (see Revoke)
		}
		change(&r)
		r.UpdatedAt = s.now()
		ok, err := s.Store.PutJSONIf(ctx, key, r, ver)
		if err != nil {
			return r, fmt.Errorf("update record %s: %w", id, err)
		}
		if ok {
			return r, s.announce(ctx, r)
		}
		if attempt+1 >= maxUpdateAttempts {
			return r, fmt.Errorf("update record %s: %d concurrent writes in a row won over this one", id, maxUpdateAttempts)
		}
		// Back off with jitter, growing with the rounds lost, so that a burst of writers all land.
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(time.Duration(2+rand.IntN(10*min(attempt+1, 10))) * time.Millisecond):
		}
	}
}

// Fail marks id failed with a reason.
func (s States) Fail(ctx context.Context, id, code, msg string) error {
	_, err := s.Update(ctx, id, func(r *Record) {
		r.Status, r.Note, r.Running, r.Early = StatusFailed, "", "", nil
		r.Error = &Error{Code: code, Message: msg}
	})
	return err
}
