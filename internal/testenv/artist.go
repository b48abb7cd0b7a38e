package testenv

import (
	"encoding/base64"
	"maps"
	"slices"
	"strings"

	"github.com/quinte-media/quinte/release"
)

// ArtistFields are the fields the artist's page sends with an upload made with an invite: a name, a
// title and the consent to the current release text in English, with extra added (or replacing).
func ArtistFields(extra map[string]string) map[string]string {
	rel := release.Builtin()
	txt, _ := rel.Get(rel.Current(), "en")
	f := map[string]string{
		"artist": "Ada", "title": "Thank you, crew",
		"consent_version": txt.Version, "consent_lang": txt.Lang, "consent_sha256": txt.SHA256,
		"consent_agreed_at": "2026-12-03T10:15:00Z",
	}
	maps.Copy(f, extra)
	for k, v := range f {
		if v == "" {
			delete(f, k)
		}
	}
	return f
}

// TusMetadata encodes fields as a tus Upload-Metadata header.
func TusMetadata(fields map[string]string) string {
	var md []string
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		md = append(md, k+" "+base64.StdEncoding.EncodeToString([]byte(fields[k])))
	}
	return strings.Join(md, ",")
}
