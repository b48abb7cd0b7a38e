package message

import (
	"bytes"
	"encoding/json"
	"time"
)

// Consent is what the artist agreed to when the message was uploaded, stored in Meta. With an invite
// it is recorded from the release text the page showed (version, language, the SHA-256 of its exact
// bytes) and the time; the team's own uploads may name a version or nothing, and then say so.
type Consent struct {
	Recorded bool   `json:"recorded"`
	Version  string `json:"version,omitempty"` // a release version (configs/release/{version}.{lang}.md)
	Lang     string `json:"lang,omitempty"`
	SHA256   string `json:"sha256,omitempty"` // hex SHA-256 of the text agreed to
	// AgreedAt is the server's time of the upload's creation; ClientAgreedAt what the client said.
	AgreedAt       *time.Time `json:"agreed_at,omitempty"`
	ClientAgreedAt *time.Time `json:"client_agreed_at,omitempty"`
	InviteID       string     `json:"invite_id,omitempty"`
	// By says who stated it when it was not an artist on the page: "team" for the team's `consent`
	// field naming a release version.
	By string `json:"by,omitempty"`
	// Statement is the team's `consent` text when it names no release version (before releases were
	// versioned it was free text, such as "yes"): kept as data, not a recorded consent.
	Statement string `json:"statement,omitempty"`
}

// NotRecorded is the consent of a message uploaded without one.
func NotRecorded() *Consent { return &Consent{} }

// UnmarshalJSON reads a consent record, or the plain string older meta.json files hold.
func (c *Consent) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Consent{Statement: s}
		return nil
	}
	type plain Consent
	return json.Unmarshal(b, (*plain)(c))
}

// Revocation is how a message's consent was withdrawn: who, when, and every key deleted. It is all a
// revoked message's record keeps besides its id.
type Revocation struct {
	By      string    `json:"by"` // "team" or "invite:<invite id>"
	At      time.Time `json:"at"`
	Deleted []string  `json:"deleted"`
}
