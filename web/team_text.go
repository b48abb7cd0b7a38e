package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
)

// The gallery's words are JSON files per language like the artist page's (i18n.go), kept apart
// (i18n/team/) so the artist's page does not ship them; every key in every language.
//
//go:embed i18n/team/*.json
var teamI18n embed.FS

func loadTeamStrings() (catalogue, error) {
	c := catalogue{}
	for _, lang := range Languages {
		b, err := teamI18n.ReadFile("i18n/team/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("team strings %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("team strings %s: %w", lang, err)
		}
		c[lang] = m
	}
	for _, lang := range Languages[1:] {
		if a, b := slices.Sorted(maps.Keys(c[Languages[0]])), slices.Sorted(maps.Keys(c[lang])); !slices.Equal(a, b) {
			return nil, fmt.Errorf("team strings: %s and %s do not have the same keys", Languages[0], lang)
		}
	}
	return c, nil
}

// teamLang is the gallery's language: ?lang= (kept in a cookie for the next pages), else the cookie,
// else the browser's Accept-Language as the artist's page reads it (pickLanguage).
func teamLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); slices.Contains(Languages, l) {
		http.SetCookie(w, &http.Cookie{Name: "quinte-lang", Value: l, Path: "/team", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie("quinte-lang"); err == nil && slices.Contains(Languages, c.Value) {
		return c.Value
	}
	return pickLanguage(r)
}

// withQuery is path with the current query, key set to value (empty: removed), and before dropped (a
// new filter starts at the newest).
func withQuery(path, raw, key, value string) string {
	q, _ := url.ParseQuery(raw)
	q.Del("before")
	q.Del("notice")
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

func humanSeconds(v any) string {
	var s float64
	switch n := v.(type) {
	case float64:
		s = n
	case int:
		s = float64(n)
	}
	if s <= 0 {
		return ""
	}
	n := int(s + 0.5)
	return fmt.Sprintf("%d:%02d", n/60, n%60)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// teamStrings are the gallery's words, English and Italian (the artist's page speaks both too).
