package uploader

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/release"
)

// Consent: an upload with an invite token carries the release text the artist agreed to, by version,
// language and the SHA-256 of its exact bytes (GET /v1/release serves them), checked against the texts
// built into the binary (configs/release) before the upload is taken. The team may send the same,
// the older `consent` naming a release version, or nothing: the message then says consent is not
// recorded.

// The consent's upload fields (multipart fields, or tus metadata under the same names) are
// consent_version, consent_lang, consent_sha256 and the optional consent_agreed_at.

// consentAtKey is the tus metadata key holding the server's time of the upload's creation, when the
// consent was given. Clients cannot set it: tusCreate overwrites whatever they sent.
const consentAtKey = "quinte_consent_at"

// releaseView is GET /v1/release's answer.
type releaseView struct {
	Version   string   `json:"version"`
	Lang      string   `json:"lang"`
	Text      string   `json:"text"`
	SHA256    string   `json:"sha256"`
	Languages []string `json:"languages"`
}

// getRelease handles GET /v1/release?lang=en|it (invite or team token): the current release text in
// that language (English when it has none), with the hash an upload sends back.
func (s *Server) getRelease(w http.ResponseWriter, r *http.Request) {
	v := s.releases.Current()
	t, _ := s.releases.Get(v, strings.ToLower(strings.TrimSpace(r.URL.Query().Get("lang"))))
	writeJSON(w, http.StatusOK, releaseView{Version: t.Version, Lang: t.Lang, Text: t.Body, SHA256: t.SHA256,
		Languages: s.releases.Languages(v)})
}

// consentOf builds the consent record of an upload from its fields (consentFields and the older
// "consent"), given at (the server's time of the upload's creation) by inviteID ("" for the team).
// With check, a consent that names no text quinte has is refused; without (a tus upload finishing,
// checked at its creation), the fields are recorded as sent.
func (s *Server) consentOf(fields map[string]string, inviteID string, at time.Time, check bool) (*message.Consent, *apiError) {
	get := func(k string) string { return strings.TrimSpace(message.CleanText(fields[k])) }
	version, lang, sha := get("consent_version"), strings.ToLower(get("consent_lang")), strings.ToLower(get("consent_sha256"))
	if version == "" && lang == "" && sha == "" {
		if inviteID != "" {
			return nil, errorf(http.StatusBadRequest, "consent_required", "an upload with an invite needs the artist's consent: send consent_version, consent_lang and consent_sha256 of the release text agreed to (GET /v1/release)")
		}
		legacy := get("consent")
		switch {
		case legacy == "":
			return message.NotRecorded(), nil
		case s.hasRelease(legacy):
			return &message.Consent{Recorded: true, Version: legacy, AgreedAt: &at, By: "team"}, nil
		}
		return &message.Consent{Statement: legacy}, nil
	}
	var missing []string
	for k, v := range map[string]string{"consent_version": version, "consent_lang": lang, "consent_sha256": sha} {
		if v == "" {
			missing = append(missing, k)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		return nil, errorf(http.StatusBadRequest, "consent_required", "the consent is incomplete: %s missing (send consent_version, consent_lang and consent_sha256 of the release text agreed to: GET /v1/release)", strings.Join(missing, ", "))
	}
	c := &message.Consent{Recorded: true, Version: version, Lang: lang, SHA256: sha, AgreedAt: &at, InviteID: inviteID}
	if inviteID == "" {
		c.By = "team"
	}
	if check {
		if _, err := s.releases.Check(version, lang, sha); err != nil {
			var m *release.Mismatch
			if errors.As(err, &m) {
				return nil, errorf(http.StatusBadRequest, "consent_mismatch", "%s", m.Reason)
			}
			return nil, errorf(http.StatusBadRequest, "consent_mismatch", "%v", err)
		}
	}
	if v := get("consent_agreed_at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil && check {
			return nil, errorf(http.StatusBadRequest, "bad_consent_agreed_at", "consent_agreed_at %q is not an RFC 3339 time such as 2026-12-03T10:15:00Z", v)
		}
		if err == nil {
			t = t.UTC()
			c.ClientAgreedAt = &t
		}
	}
	return c, nil
}

func (s *Server) hasRelease(version string) bool {
	_, ok := s.releases.Get(version, release.DefaultLang)
	return ok
}

// requireNames refuses an invite's upload without the artist's name or a title: the page asks for
// both, and a message published without them says nothing of who sent it. The team's are optional.
func requireNames(meta *message.Meta) *apiError {
	if meta.InviteID == "" {
		return nil
	}
	if meta.Artist == "" {
		return errorf(http.StatusBadRequest, "artist_required", "say who you are: send the artist's name (artist)")
	}
	if meta.Title == "" {
		return errorf(http.StatusBadRequest, "title_required", "give the message a title (title)")
	}
	return nil
}

// Tus metadata keys the API sets at an upload's creation; a client's keys with this prefix are dropped.
const (
	serverMetaPrefix  = "quinte_"
	maxSecondsMetaKey = "quinte_max_seconds" // the invite's longest recording
)

// tusConsent is the consent and the recording limit of a finished tus upload, from the metadata
// tusCreate checked and completed. An upload created before consent was asked for goes without one
// (recorded: false) rather than being lost.
func (s *Server) tusConsent(md map[string]string, inviteID string, finished time.Time) (*message.Consent, int) {
	at, err := time.Parse(time.RFC3339Nano, md[consentAtKey])
	if err != nil {
		at = finished
	}
	c, aerr := s.consentOf(md, inviteID, at, false)
	if aerr != nil {
		c = message.NotRecorded()
	}
	n, _ := strconv.Atoi(md[maxSecondsMetaKey])
	return c, max(n, 0)
}
