package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// The strings of the pages, one JSON file per language under i18n/, every key in every language (a test
// holds them to it). The server renders a page in one language and the page's script switches between
// them without a request, so the same files serve both.

//go:embed i18n/*.json
var i18nFiles embed.FS

// Languages are the pages' languages, the default first.
var Languages = []string{"en", "it"}

// catalogue is every string by language, then key.
type catalogue map[string]map[string]string

func loadCatalogue() (catalogue, error) {
	c := catalogue{}
	for _, lang := range Languages {
		b, err := i18nFiles.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("web strings %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("web strings %s: %w", lang, err)
		}
		c[lang] = m
	}
	for _, lang := range Languages[1:] {
		if a, b := slices.Sorted(maps.Keys(c[Languages[0]])), slices.Sorted(maps.Keys(c[lang])); !slices.Equal(a, b) {
			return nil, fmt.Errorf("web strings: %s and %s do not have the same keys", Languages[0], lang)
		}
	}
	return c, nil
}

func catalogueJSON() ([]byte, error) {
	c, err := loadCatalogue()
	if err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// T is the string key in lang, with {name} placeholders filled from args (name, value, name, value…).
// Templates escape what it returns.
func (c catalogue) T(lang, key string, args ...string) string {
	s, ok := c[lang][key]
	if !ok {
		s = key
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// pickLanguage is the page's language: ?lang= (the switch on pages the server renders), else the first
// of the browser's Accept-Language the pages have, else English. The script then applies the choice the
// artist made before (kept in the browser's localStorage).
func pickLanguage(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); slices.Contains(Languages, l) {
		return l
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.ReplaceAll(q, " ", "") == "q=0" {
			continue
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if slices.Contains(Languages, base) {
			return base
		}
	}
	return Languages[0]
}
