package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"testing/fstest"
)

// The embedded texts load: every version has English and Italian, and the current version is the
// newest file name.
func TestBuiltin(t *testing.T) {
	c := Builtin()
	if got := c.Current(); got != "2026-12" {
		t.Errorf("current = %q, want 2026-12", got)
	}
	for _, lang := range []string{"en", "it"} {
		txt, ok := c.Get(c.Current(), lang)
		sum := sha256.Sum256([]byte(txt.Body))
		if !ok || txt.Lang != lang || txt.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: %+v", lang, txt)
		}
		if _, err := c.Check(c.Current(), lang, txt.SHA256); err != nil {
			t.Errorf("check %s: %v", lang, err)
		}
	}
	if txt, _ := c.Get(c.Current(), "fr"); txt.Lang != "en" {
		t.Errorf("an unknown language gave %q, want the English text", txt.Lang)
	}
}

func TestCheck(t *testing.T) {
	c, err := Load(fstest.MapFS{
		"2025-01.en.md": {Data: []byte("old")},
		"2026-12.en.md": {Data: []byte("new")},
		"2026-12.it.md": {Data: []byte("nuovo")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Current() != "2026-12" {
		t.Errorf("current = %s", c.Current())
	}
	en, _ := c.Get("2026-12", "en")
	for _, tc := range []struct{ v, lang, sha string }{
		{"2027-01", "en", en.SHA256},
		{"2026-12", "fr", en.SHA256},
		{"2026-12", "it", en.SHA256},
		{"2026-12", "en", ""},
		{"2025-01", "en", en.SHA256},
	} {
		var m *Mismatch
		if _, err := c.Check(tc.v, tc.lang, tc.sha); !errors.As(err, &m) {
			t.Errorf("%v: err = %v, want a mismatch", tc, err)
		}
	}
	if _, err := c.Check("2026-12", "en", en.SHA256); err != nil {
		t.Error(err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"no english": {"2026-12.it.md": {Data: []byte("x")}},
		"bad name":   {"release.md": {Data: []byte("x")}},
		"empty":      {"2026-12.en.md": {Data: []byte(" \n")}},
		"not utf-8":  {"2026-12.en.md": {Data: []byte{0xff, 0xfe}}},
		"none":       {},
	} {
		if _, err := Load(fsys); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}
