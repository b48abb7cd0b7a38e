package web

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// safeNext keeps a post-sign-in destination on the gallery.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "/team",
		"/team":                   "/team",
		"/team/m/01abc?x=1":       "/team/m/01abc?x=1",
		"/team/invites":           "/team/invites",
		"//evil.example/team":     "/team",
		"https://evil.example/":   "/team",
		"/teams":                  "/team",
		"/v1/messages":            "/team",
		"/team/../v1/messages":    "/team",
		"javascript:alert(1)":     "/team",
		"/team/%2e%2e/v1/invites": "/team",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// The QR code's SVG draws exactly the dark modules of the code, and nothing of the link as text.
func TestQRSVG(t *testing.T) {
	link := "http://127.0.0.1:8080/a/qi_01abc_<script>"
	svg, err := qrSVG(link)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(svg), "<script>") || strings.Contains(string(svg), "127.0.0.1") {
		t.Fatalf("the SVG carries the link's text: %s", svg)
	}
	q, _ := qrcode.New(link, qrcode.Medium)
	dark := 0
	for _, row := range q.Bitmap() {
		for _, on := range row {
			if on {
				dark++
			}
		}
	}
	// Each "hN" of the path is a run of N dark modules.
	drawn := 0
	for _, m := range regexp.MustCompile(`h(\d+)v1`).FindAllStringSubmatch(string(svg), -1) {
		n, _ := strconv.Atoi(m[1])
		drawn += n
	}
	if drawn != dark {
		t.Errorf("the SVG draws %d modules, the code has %d dark", drawn, dark)
	}
}
