// Package team holds the social team's members: a name and a bcrypt hash of a generated password, one
// JSON object per member at team/members/<name>.json in the bucket (S3 is the source of truth, so every
// API process sees the same roster). Members sign in to the gallery with these; the team token still
// works for everything. The password is generated, shown once by `quinte team add`, and never stored.
//
// It knows nothing of HTTP or cookies: the API decides what a member may do (uploader/session.go).
package team

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Prefix is where members live in the bucket.
const Prefix = "team/members/"

// Key is where member name is stored.
func Key(name string) string { return Prefix + name + ".json" }

// Member is one person of the social team.
type Member struct {
	Name string `json:"name"`
	// Stamp changes each time the name is added: a session names it, so a member removed and added
	// again does not revive the sessions of before.
	Stamp     string    `json:"stamp"`
	Hash      string    `json:"password_bcrypt"`
	CreatedAt time.Time `json:"created_at"`
}

// Store is the part of the bucket the roster needs.
type Store interface {
	GetJSON(ctx context.Context, key string, v any) error
	PutJSON(ctx context.Context, key string, v any) error
	Delete(ctx context.Context, key string) error
}

// Roster adds, removes and checks members.
type Roster struct{ Store Store }

// Errors a caller can tell apart.
var (
	ErrBadName       = errors.New("a member name is 1 to 32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
	ErrExists        = errors.New("a member has this name already: remove them first to give them a new password")
	ErrNotFound      = errors.New("no member has this name")
	ErrWrongPassword = errors.New("the name or the password is wrong")
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// ValidName reports whether name can be a member's (it is part of an S3 key and of a cookie).
func ValidName(name string) bool { return nameRE.MatchString(name) }

// bcryptCost: 10 is bcrypt's default (~50 ms here): a generated 120-bit password needs no more, and
// a sign-in must stay cheap on a 2-core API host.
const bcryptCost = bcrypt.DefaultCost

// Add creates member name with a new password and returns the password (shown once, never stored).
func (ro Roster) Add(ctx context.Context, name string) (string, error) {
	if !ValidName(name) {
		return "", ErrBadName
	}
	if _, err := ro.Get(ctx, name); err == nil {
		return "", ErrExists
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	pw := NewPassword()
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
	if err != nil {
		return "", err
	}
	m := Member{Name: name, Stamp: rand.Text()[:12], Hash: string(hash), CreatedAt: time.Now().UTC()}
	if err := ro.Store.PutJSON(ctx, Key(name), m); err != nil {
		return "", fmt.Errorf("store member %s: %w", name, err)
	}
	return pw, nil
}

// Remove deletes member name; their sessions stop working on every API process within the roster
// cache's lifetime (uploader's memberTTL).
func (ro Roster) Remove(ctx context.Context, name string) error {
	if !ValidName(name) {
		return ErrBadName
	}
	if _, err := ro.Get(ctx, name); err != nil {
		return err
	}
	return ro.Store.Delete(ctx, Key(name))
}

// Get reads member name: ErrNotFound if there is none.
func (ro Roster) Get(ctx context.Context, name string) (*Member, error) {
	if !ValidName(name) {
		return nil, ErrNotFound
	}
	var m Member
	if err := ro.Store.GetJSON(ctx, Key(name), &m); errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("read member %s: %w", name, err)
	}
	return &m, nil
}

// Verify returns the member when password is theirs, else ErrWrongPassword (also for an unknown name,
// after the same work, so a guess does not learn which names exist).
func (ro Roster) Verify(ctx context.Context, name, password string) (*Member, error) {
	m, err := ro.Get(ctx, name)
	if errors.Is(err, ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, ErrWrongPassword
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(m.Hash), []byte(password)) != nil {
		return nil, ErrWrongPassword
	}
	return m, nil
}

// SameStamp compares stamps in constant time.
func SameStamp(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// dummyHash is made on first use, not at start (it costs a bcrypt).
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password anyone has"), bcryptCost)
	return h
})

// NewPassword is 130 random bits in base32 (26 characters, easy to paste, nothing to guess).
func NewPassword() string { return rand.Text() }
