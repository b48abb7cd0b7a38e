package config

import (
	"strings"
	"testing"
)

// QUINTE_PUBLIC_URL is an address (scheme, host, port; a trailing slash is forgiven), nothing more.
func TestPublicURL(t *testing.T) {
	for _, good := range []string{"", "https://upload.example.org", "https://upload.example.org/", "http://127.0.0.1:8080"} {
		c, err := Load("", env(map[string]string{"QUINTE_PUBLIC_URL": good}))
		if err == nil {
			err = c.Validate(RoleRun)
		}
		if err != nil {
			t.Errorf("%q refused: %v", good, err)
		}
	}
	for _, bad := range []string{"upload.example.org", "https://upload.example.org/a/", "ftp://x.org", "https://x.org?q=1", "https://u:p@x.org"} {
		c, err := Load("", env(map[string]string{"QUINTE_PUBLIC_URL": bad}))
		if err == nil {
			err = c.Validate(RoleRun)
		}
		if err == nil || !strings.Contains(err.Error(), "QUINTE_PUBLIC_URL") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
