package uploader

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/release"
)

// consentOf on whatever a client sends: never a panic; an answer is a 400 with a code, or a record;
// a recorded consent from the page's fields names a release text exactly; and the stored record
// reads back as it was written.
func FuzzConsentFields(f *testing.F) {
	rel := release.Builtin()
	en, _ := rel.Get(rel.Current(), "en")
	f.Add(en.Version, en.Lang, en.SHA256, "2026-12-03T10:15:00Z", "", true)
	f.Add(en.Version, "IT", en.SHA256, "yesterday", "", false)
	f.Add("", "", "", "", "yes", false)
	f.Add("", "", "", "", "2026-12", true)
	f.Add("../2026-12", "e\x00n", "zz", "2026-13-40T99:00:00+25:00", "\xff", true)
	s := &Server{releases: rel}
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, version, lang, sha, agreedAt, legacy string, withInvite bool) {
		fields := map[string]string{"consent_version": version, "consent_lang": lang, "consent_sha256": sha,
			"consent_agreed_at": agreedAt, "consent": legacy}
		inviteID := ""
		if withInvite {
			inviteID = "01m8xvhefaa3b7f979294e5r2q"
		}
		c, aerr := s.consentOf(fields, inviteID, at, true)
		if aerr != nil {
			if aerr.Status != http.StatusBadRequest || aerr.Code == "" || c != nil {
				t.Fatalf("refusal %+v with %+v", aerr, c)
			}
			return
		}
		if c == nil || (withInvite && !c.Recorded) {
			t.Fatalf("accepted without a record: %+v", c)
		}
		if c.Recorded && c.SHA256 != "" {
			if _, err := rel.Check(c.Version, c.Lang, c.SHA256); err != nil {
				t.Fatalf("recorded a consent to no text: %+v: %v", c, err)
			}
		}
		b, err := json.Marshal(message.Meta{Consent: c})
		if err != nil {
			t.Fatal(err)
		}
		var back message.Meta
		if err := json.Unmarshal(b, &back); err != nil || back.Consent == nil || back.Consent.SHA256 != c.SHA256 || back.Consent.Statement != c.Statement {
			t.Fatalf("record %s read back as %+v (%v)", b, back.Consent, err)
		}
	})
}

// A meta.json written before consent was a record holds a string: it reads as a statement, not a
// recorded consent.
func TestLegacyConsentString(t *testing.T) {
	var m message.Meta
	if err := json.Unmarshal([]byte(`{"id":"x","consent":"yes"}`), &m); err != nil || m.Consent == nil || m.Consent.Recorded || m.Consent.Statement != "yes" {
		t.Fatalf("%+v %v", m.Consent, err)
	}
}
