// Package invite holds the invitations that let an artist upload without the team's token: until when,
// how many files, and what the artist is asked to record. An invite lives in the bucket at
// invites/{id}.json (S3 is the source of truth) with a hash of its token, never the token itself. The
// token is shown once, when the invite is created.
//
// It knows nothing of HTTP: the API decides what an invite may do.
package invite

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/quinte-media/quinte/message"
)

// Invite is one invitation.
type Invite struct {
	ID         string     `json:"id"`
	Label      string     `json:"label,omitempty"`   // for the team: who it was sent to
	Prompts    []string   `json:"prompts,omitempty"` // shown to the artist
	MaxUploads int        `json:"max_uploads"`
	Uploads    []string   `json:"uploads"` // message ids, one per upload started with this invite
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	TokenHash  string     `json:"token_hash"` // hex SHA-256 of the token

	// MaxSeconds is the longest recording the invite takes; 0 (an invite made before the limit
	// existed) means DefaultMaxSeconds.
	MaxSeconds int `json:"max_seconds,omitempty"`
}

// Recording limits of an invite, in seconds.
const (
	DefaultMaxSeconds = 120
	MaxMaxSeconds     = 600
)

// Seconds is the longest recording the invite takes.
func (inv *Invite) Seconds() int {
	if inv.MaxSeconds <= 0 {
		return DefaultMaxSeconds
	}
	return inv.MaxSeconds
}

// Errors of invites that cannot be used.
var (
	ErrUnknown  = errors.New("this invite token is not valid")
	ErrExpired  = errors.New("this invite has expired; ask the team for a new one")
	ErrDisabled = errors.New("this invite was withdrawn; ask the team for a new one")
	ErrUsedUp   = errors.New("this invite has no uploads left; ask the team for a new one")
)

// Usable reports why inv cannot be used at now, or nil.
func (inv *Invite) Usable(now time.Time) error {
	switch {
	case inv.DisabledAt != nil:
		return ErrDisabled
	case !now.Before(inv.ExpiresAt):
		return ErrExpired
	}
	return nil
}

// Owns reports whether the message id was uploaded with this invite.
func (inv *Invite) Owns(id string) bool { return slices.Contains(inv.Uploads, id) }

// Remaining is how many more uploads the invite allows.
func (inv *Invite) Remaining() int { return max(0, inv.MaxUploads-len(inv.Uploads)) }

// tokenPrefix marks invite tokens, so the API tells them from the team token without a lookup.
const tokenPrefix = "qi_"

// IsToken reports whether s has the shape of an invite token.
func IsToken(s string) bool { return strings.HasPrefix(s, tokenPrefix) }

// newToken returns a token for invite id: the id (to find the invite without scanning) and 256 random
// bits.
func newToken(id string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return tokenPrefix + id + "_" + hex.EncodeToString(b)
}

// parseToken returns the invite id a token names.
func parseToken(tok string) (string, bool) {
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || !message.ValidID(id) || len(secret) != 64 {
		return "", false
	}
	return id, true
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// matches compares in constant time, so the hash cannot be guessed byte by byte from response times.
func (inv *Invite) matches(tok string) bool {
	return subtle.ConstantTimeCompare([]byte(inv.TokenHash), []byte(hashToken(tok))) == 1
}
