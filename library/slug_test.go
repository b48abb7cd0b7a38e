package library

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSlugAndFileBase(t *testing.T) {
	for _, c := range []struct{ artist, title, want string }{
		{"Ada", "Thank you, crew", "ada-thank-you-crew"},
		{"José Álvarez", "Grazie mille!", "jose-alvarez-grazie-mille"},
		{"Zoë Ørsted/../<img src=x>", "", "zoe-orsted-img-src-x"},
		{"Straße", "Æther", "strasse-aether"},
		{"李雷", "", "li-lei"},
		{"坂本龍一 🎹", "ありがとう、クルー！", "ban-ben-long-yi-arigatou-kuru"},
		{"فيروز", "شكرا", "fyrwz-shkr"},
		{"Ελένη", "Σας ευχαριστώ", "elene-sas-eukharisto"},
		{"Алла Пугачёва", "", "alla-pugachiova"},
		{"안녕하세요", "", "annyeonghaseyo"},
		{"नमस्ते", "", "nmste"},
		{"Amélie q\u0303", "", "amelie-q"},
		{"🎸🥁", "!!", "01m8xvqcx11jxd9bvts7jky912"}, // nothing left: the id
		{"../../etc/passwd", "..", "etc-passwd"},
		{strings.Repeat("long ", 40), strings.Repeat("title ", 40), strings.TrimRight(("long-long-long-long-long-long-long-long-long-long-"), "-")},
	} {
		if got := fileBase("01m8xvqcx11jxd9bvts7jky912", c.artist, c.title); got != c.want {
			t.Errorf("fileBase(%q, %q) = %q, want %q", c.artist, c.title, got, c.want)
		}
	}
}

func TestTeamPath(t *testing.T) {
	for p, ok := range map[string]bool{
		"/team": true, "/team/": true, "/team/messages/x?lang=it&review=approved": true, "/team?x=1": true,
		"": false, "team": false, "/teamster": false, "//evil.example/team": false, "https://evil.example/team": false,
		"/team/../v1": false, "/team/%2e%2e/v1": false, "/team\\evil": false, "/team/\r\nSet-Cookie:x": false,
		"/v1/messages": false, "javascript:alert(1)": false, "/team/./x": false,
	} {
		if got := teamPath(p); got != ok {
			t.Errorf("teamPath(%q) = %v, want %v", p, got, ok)
		}
	}
}

// The names a kit gives its files are short, ASCII letters, digits and dashes, with no path in them,
// whatever the text.
func FuzzSlug(f *testing.F) {
	for _, s := range []string{"Ada", "José", "../..", "a/b\\c", "\x00\xff", "Æ ß ı", strings.Repeat("é", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := fileBase("01m8xvqcx11jxd9bvts7jky912", s, s)
		if b == "" || len(b) > 50 || strings.Contains(b, "..") || strings.ContainsAny(b, "/\\ \x00") || !utf8.ValidString(b) {
			t.Fatalf("fileBase(%q) = %q", s, b)
		}
		for _, r := range b {
			if r != '-' && (r < 'a' || r > 'z') && (r < '0' || r > '9') {
				t.Fatalf("fileBase(%q) = %q: %q is not an ASCII letter, a digit or a dash", s, b, r)
			}
		}
	})
}

// A redirect the review route accepts never leaves the team's pages.
func FuzzTeamPath(f *testing.F) {
	for _, s := range []string{"/team", "/team/messages/x?y=z", "//x", "/team/../x", "/team%2f..", "/\\x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if !teamPath(p) {
			return
		}
		if !strings.HasPrefix(p, "/team") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") || strings.Contains(p, "/../") {
			t.Fatalf("teamPath accepted %q", p)
		}
	})
}
