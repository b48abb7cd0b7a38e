package invite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/quinte-media/quinte/message"
)

// Store is the part of the bucket invites need: reads that return a version, and writes that succeed
// only if the version has not changed (S3 conditional writes), so concurrent uploads cannot both take
// the last slot.
type Store interface {
	GetJSONVersion(ctx context.Context, key string, v any) (version string, err error)
	PutJSONIf(ctx context.Context, key string, v any, version string) (bool, error)
	List(ctx context.Context, prefix string) ([]string, error)
}

// Prefix is where invites live in the bucket.
const Prefix = "invites/"

// Key is where invite id is stored.
func Key(id string) string { return Prefix + id + ".json" }

// Book creates, reads and updates invites.
type Book struct {
	Store Store
	Now   func() time.Time
}

func (b *Book) now() time.Time {
	if b.Now != nil {
		return b.Now().UTC()
	}
	return time.Now().UTC()
}

// Spec is what the team asks for.
type Spec struct {
	Label      string
	Prompts    []string
	MaxUploads int
	TTL        time.Duration
	MaxSeconds int // the longest recording; 0: DefaultMaxSeconds
}

// Create stores a new invite and returns it with its token, which is not kept anywhere.
func (b *Book) Create(ctx context.Context, s Spec) (*Invite, string, error) {
	now := b.now()
	inv := &Invite{
		ID: message.NewID(), Label: s.Label, Prompts: s.Prompts, MaxUploads: s.MaxUploads,
		Uploads: []string{}, CreatedAt: now, ExpiresAt: now.Add(s.TTL), MaxSeconds: s.MaxSeconds,
	}
	tok := newToken(inv.ID)
	inv.TokenHash = hashToken(tok)
	ok, err := b.Store.PutJSONIf(ctx, Key(inv.ID), inv, "")
	if err != nil {
		return nil, "", fmt.Errorf("store invite: %w", err)
	}
	if !ok {
		return nil, "", errors.New("store invite: an invite with this id already exists")
	}
	return inv, tok, nil
}

// Get reads invite id; a missing one gives an error wrapping fs.ErrNotExist.
func (b *Book) Get(ctx context.Context, id string) (*Invite, error) {
	inv, _, err := b.get(ctx, id)
	return inv, err
}

func (b *Book) get(ctx context.Context, id string) (*Invite, string, error) {
	if !message.ValidID(id) {
		return nil, "", fmt.Errorf("invite %q: %w", id, fs.ErrNotExist)
	}
	var inv Invite
	ver, err := b.Store.GetJSONVersion(ctx, Key(id), &inv)
	if err != nil {
		return nil, "", err
	}
	if inv.Uploads == nil {
		inv.Uploads = []string{}
	}
	return &inv, ver, nil
}

// List returns every invite, newest first.
func (b *Book) List(ctx context.Context) ([]*Invite, error) {
	keys, err := b.Store.List(ctx, Prefix)
	if err != nil {
		return nil, err
	}
	out := []*Invite{}
	for _, k := range slices.Backward(keys) {
		id, ok := strings.CutSuffix(strings.TrimPrefix(k, Prefix), ".json")
		if !ok || !message.ValidID(id) {
			continue
		}
		inv, err := b.Get(ctx, id)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}

// Authenticate returns the invite a token belongs to if it can be used now. A token that names no
// invite, or the wrong secret, is ErrUnknown; storage trouble is returned as is.
func (b *Book) Authenticate(ctx context.Context, tok string) (*Invite, error) {
	id, ok := parseToken(tok)
	if !ok {
		return nil, ErrUnknown
	}
	inv, err := b.Get(ctx, id)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrUnknown
	}
	if err != nil {
		return nil, err
	}
	if !inv.matches(tok) {
		return nil, ErrUnknown
	}
	if err := inv.Usable(b.now()); err != nil {
		return nil, err
	}
	return inv, nil
}

// Reserve takes one of the invite's uploads for message id, or fails with ErrUsedUp (or why the invite
// cannot be used). Reserving the same id twice takes one slot.
func (b *Book) Reserve(ctx context.Context, inviteID, id string) error {
	return b.update(ctx, inviteID, func(inv *Invite) error {
		if err := inv.Usable(b.now()); err != nil {
			return err
		}
		if inv.Owns(id) {
			return errUnchanged
		}
		if len(inv.Uploads) >= inv.MaxUploads {
			return ErrUsedUp
		}
		inv.Uploads = append(inv.Uploads, id)
		return nil
	})
}

// Release gives back the slot of an upload that was refused or abandoned.
func (b *Book) Release(ctx context.Context, inviteID, id string) error {
	return b.update(ctx, inviteID, func(inv *Invite) error {
		i := slices.Index(inv.Uploads, id)
		if i < 0 {
			return errUnchanged
		}
		inv.Uploads = slices.Delete(inv.Uploads, i, i+1)
		return nil
	})
}

// Disable withdraws an invite: its token stops working at once. Disabling twice is not an error.
func (b *Book) Disable(ctx context.Context, id string) (*Invite, error) {
	var out *Invite
	err := b.update(ctx, id, func(inv *Invite) error {
		out = inv
		if inv.DisabledAt != nil {
			return errUnchanged
		}
		now := b.now()
		inv.DisabledAt = &now
		return nil
	})
	return out, err
}

// errUnchanged tells update that change had nothing to write.
var errUnchanged = errors.New("unchanged")

// update applies change with compare-and-swap: read with a version, change, write only if nobody wrote
// in between, else read again. Backing off with jitter lets a burst of uploads on one invite all land.
func (b *Book) update(ctx context.Context, id string, change func(*Invite) error) error {
	for attempt := 0; ; attempt++ {
		inv, ver, err := b.get(ctx, id)
		if err != nil {
			return err
		}
		if err := change(inv); errors.Is(err, errUnchanged) {
			return nil
		} else if err != nil {
			return err
		}
		ok, err := b.Store.PutJSONIf(ctx, Key(id), inv, ver)
		if err != nil {
			return fmt.Errorf("update invite %s: %w", id, err)
		}
		if ok {
			return nil
		}
		if attempt >= 50 {
			return fmt.Errorf("update invite %s: too many concurrent changes", id)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(5+rand.IntN(20*min(attempt+1, 10))) * time.Millisecond):
		}
	}
}
