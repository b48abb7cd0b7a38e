// Package release holds the release texts an artist agrees to before a message is uploaded with an
// invite: one Markdown file per version and language (configs/release/{version}.{lang}.md, embedded in
// the binary). The current version is the newest file name (versions sort as they are written, such
// as 2026-12). A consent names a version, a language and the SHA-256 of the exact text shown, and
// Check says whether they match a text quinte has. It knows nothing of HTTP or of messages.
package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/quinte-media/quinte/configs"
)

// Text is one release text in one language.
type Text struct {
	Version string
	Lang    string
	Body    string // the Markdown, byte for byte as stored
	SHA256  string // hex SHA-256 of Body's UTF-8 bytes
}

// Catalogue is every release text, by version then language.
type Catalogue struct {
	texts map[string]map[string]Text
	// versions, oldest first; the last is the current one.
	versions []string
}

// DefaultLang is the language of a text asked for in a language it does not have.
const DefaultLang = "en"

var fileName = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}(?:-[0-9a-z]+)?)\.([a-z]{2})\.md$`)

// Load reads every {version}.{lang}.md at the root of fsys. Each version must have DefaultLang; a
// file with another name, or one that is not UTF-8, is an error (it would be a text nobody can agree
// to).
func Load(fsys fs.FS) (*Catalogue, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("release texts: %w", err)
	}
	c := &Catalogue{texts: map[string]map[string]Text{}}
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			return nil, fmt.Errorf("release texts: %q is not named {version}.{lang}.md (such as 2026-12.en.md)", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("release texts: %w", err)
		}
		if !utf8.Valid(b) || len(strings.TrimSpace(string(b))) == 0 {
			return nil, fmt.Errorf("release texts: %s is empty or not UTF-8", e.Name())
		}
		sum := sha256.Sum256(b)
		v, lang := m[1], m[2]
		if c.texts[v] == nil {
			c.texts[v] = map[string]Text{}
			c.versions = append(c.versions, v)
		}
		c.texts[v][lang] = Text{Version: v, Lang: lang, Body: string(b), SHA256: hex.EncodeToString(sum[:])}
	}
	if len(c.versions) == 0 {
		return nil, errors.New("release texts: none found")
	}
	sort.Strings(c.versions)
	for _, v := range c.versions {
		if _, ok := c.texts[v][DefaultLang]; !ok {
			return nil, fmt.Errorf("release texts: version %s has no %s text", v, DefaultLang)
		}
	}
	return c, nil
}

// Builtin is the catalogue of configs/release, embedded in the binary.
func Builtin() *Catalogue {
	c, err := Load(configs.Releases())
	if err != nil {
		panic(err) // the embedded files are checked by this package's tests
	}
	return c
}

// Current is the newest version.
func (c *Catalogue) Current() string { return c.versions[len(c.versions)-1] }

// Languages are the languages of version, sorted.
func (c *Catalogue) Languages(version string) []string {
	var out []string
	for l := range c.texts[version] {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// Get returns version's text in lang, or in DefaultLang when it has none in lang. ok is false for a
// version that does not exist.
func (c *Catalogue) Get(version, lang string) (Text, bool) {
	byLang, ok := c.texts[version]
	if !ok {
		return Text{}, false
	}
	if t, ok := byLang[lang]; ok {
		return t, true
	}
	return byLang[DefaultLang], true
}

// Mismatch is why a consent does not name a text quinte has.
type Mismatch struct{ Reason string }

func (e *Mismatch) Error() string { return e.Reason }

// Check returns the text a consent names, exactly: the version and the language must exist (no
// fallback: the artist read that language) and sha256 must be the hex SHA-256 of its bytes.
func (c *Catalogue) Check(version, lang, sha string) (Text, error) {
	byLang, ok := c.texts[version]
	if !ok {
		return Text{}, &Mismatch{fmt.Sprintf("there is no release version %q; the current one is %s (GET /v1/release)", version, c.Current())}
	}
	t, ok := byLang[lang]
	if !ok {
		return Text{}, &Mismatch{fmt.Sprintf("release %s has no text in language %q; it has %s", version, lang, strings.Join(c.Languages(version), ", "))}
	}
	if !strings.EqualFold(sha, t.SHA256) {
		return Text{}, &Mismatch{fmt.Sprintf("consent_sha256 is not the SHA-256 of release %s in %s (it changed, or the text shown was not the one quinte serves): read GET /v1/release again", version, lang)}
	}
	return t, nil
}
