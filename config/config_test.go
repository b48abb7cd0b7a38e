package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsRunEmbedded(t *testing.T) {
	c, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.S3.Bucket != "quinte" || c.Upload.MaxBytes != 2<<30 || c.Upload.URLTTL != time.Hour {
		t.Errorf("defaults: %+v", c)
	}
	if !filepath.IsAbs(c.DataDir) || filepath.Base(c.DataDir) != "data" {
		t.Errorf("data dir %q is not ./data made absolute", c.DataDir)
	}
	if err := c.Validate(RoleRun); err != nil {
		t.Errorf("the zero configuration must run embedded: %v", err)
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(f, []byte("addr: 0.0.0.0:9000\ns3:\n  bucket: from-file\nworker:\n  max_retry: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(f, env(map[string]string{"QUINTE_S3_BUCKET": "from-env", "QUINTE_URL_TTL": "30m", "QUINTE_UPLOAD_MAX_BYTES": "1000"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.S3.Bucket != "from-env" || c.Worker.MaxRetry != 5 || c.Upload.URLTTL != 30*time.Minute || c.Upload.MaxBytes != 1000 {
		t.Errorf("got %+v", c)
	}
}

// A configuration that cannot work fails at start with a message that names what to fix.
func TestValidateSaysWhatToFix(t *testing.T) {
	for _, c := range []struct {
		role Role
		env  map[string]string
		want string
	}{
		{RoleAPI, nil, "QUINTE_REDIS_URL is required"},
		{RoleWorker, map[string]string{"QUINTE_REDIS_URL": "redis://r:6379"}, "QUINTE_S3_ENDPOINT is required"},
		{RoleAPI, map[string]string{"QUINTE_REDIS_URL": "redis://r:6379", "QUINTE_S3_ENDPOINT": "http://m:9000", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, "QUINTE_TEAM_TOKEN is required"},
		{RoleRun, map[string]string{"QUINTE_REDIS_URL": "localhost:6379"}, "is not a redis:// URL"},
		{RoleRun, map[string]string{"QUINTE_S3_ENDPOINT": "minio:9000"}, "is not an http(s)://host:port URL"},
		{RoleRun, map[string]string{"QUINTE_S3_ENDPOINT": "http://minio:9000"}, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required"},
		{RoleRun, map[string]string{"QUINTE_ADDR": "8080"}, "is not host:port"},
		{RoleRun, map[string]string{"QUINTE_TEAM_TOKEN": "short"}, "too short"},
		{RoleRun, map[string]string{"QUINTE_URL_TTL": "30d"}, "want a duration"},
		{RoleRun, map[string]string{"QUINTE_URL_TTL": "400h"}, "QUINTE_URL_TTL must be between"},
		{RoleRun, map[string]string{"QUINTE_MAX_DURATION": "500ms"}, "QUINTE_MAX_DURATION 500ms must be at least 1s"},
		{RoleRun, map[string]string{"QUINTE_MAX_VIDEO_SIDE": "100"}, "QUINTE_MAX_VIDEO_SIDE 100 must be at least 480"},
		{RoleRun, map[string]string{"QUINTE_MAX_FRAME_RATE": "ten"}, "want a whole number"},
	} {
		cfg, err := Load("", env(c.env))
		if err == nil {
			err = cfg.Validate(c.role)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want it to say %q", c.role, c.env, err, c.want)
		}
	}
}

func TestHardeningSettings(t *testing.T) {
	c, err := Load("", env(map[string]string{
		"QUINTE_CORS_ORIGINS":        " https://artists.example.org , http://localhost:5173,",
		"QUINTE_RECONCILE_EVERY":     "2s",
		"QUINTE_UPLOAD_IDLE_TIMEOUT": "30s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Upload.CORSOrigins, "|") != "https://artists.example.org|http://localhost:5173" ||
		c.Worker.ReconcileEvery != 2*time.Second || c.Upload.IdleTimeout != 30*time.Second {
		t.Errorf("got origins %q, reconcile %s, idle %s", c.Upload.CORSOrigins, c.Worker.ReconcileEvery, c.Upload.IdleTimeout)
	}
	if err := c.Validate(RoleRun); err != nil {
		t.Errorf("valid settings refused: %v", err)
	}
	def, _ := Load("", env(nil))
	if len(def.Upload.CORSOrigins) != 0 || def.Worker.ReconcileEvery != 5*time.Minute || def.Upload.IdleTimeout != time.Minute {
		t.Errorf("defaults: origins %q, reconcile %s, idle %s", def.Upload.CORSOrigins, def.Worker.ReconcileEvery, def.Upload.IdleTimeout)
	}
	for _, bad := range []string{"*", "https://*.example.org", "artists.example.org", "https://a.example.org/path", "https://a.example.org/"} {
		c, err := Load("", env(map[string]string{"QUINTE_CORS_ORIGINS": bad}))
		if err == nil {
			err = c.Validate(RoleRun)
		}
		if err == nil || !strings.Contains(err.Error(), "QUINTE_CORS_ORIGINS") {
			t.Errorf("origin %q: %v", bad, err)
		}
	}
	for k, v := range map[string]string{"QUINTE_RECONCILE_EVERY": "10ms", "QUINTE_UPLOAD_IDLE_TIMEOUT": "0s"} {
		c, err := Load("", env(map[string]string{k: v}))
		if err == nil {
			err = c.Validate(RoleRun)
		}
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}

// Campaign files may live in a directory of the operator's, given relative or absolute.
func TestCampaignsDir(t *testing.T) {
	if c, _ := Load("", env(nil)); c.CampaignsDir != "" {
		t.Errorf("default campaigns dir %q, want none (the built-in campaigns only)", c.CampaignsDir)
	}
	dir := t.TempDir()
	c, err := Load("", env(map[string]string{"QUINTE_CAMPAIGNS_DIR": dir}))
	if err != nil || c.CampaignsDir != dir || c.Validate(RoleRun) != nil {
		t.Errorf("campaigns dir %q: %v %v", c.CampaignsDir, err, c.Validate(RoleRun))
	}
	c, err = Load("", env(map[string]string{"QUINTE_CAMPAIGNS_DIR": "no/such/dir"}))
	if err != nil || !filepath.IsAbs(c.CampaignsDir) {
		t.Fatalf("a relative dir is made absolute: %q %v", c.CampaignsDir, err)
	}
	if err := c.Validate(RoleRun); err == nil || !strings.Contains(err.Error(), "QUINTE_CAMPAIGNS_DIR") {
		t.Errorf("a missing campaigns dir: %v", err)
	}
}

// A misspelt QUINTE_* variable is reported with the setting it most likely meant; known ones and
// other programs' variables are not.
func TestUnknownSettings(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"QUINTE_WORKER_CONCURENCY=4", "QUINTE_WORKER_CONCURRENCY"},
		{"QUINTE_S3_BUCKETT=x", "QUINTE_S3_BUCKET"},
		{"QUINTE_MAX_FRAME_RATES=30", "QUINTE_MAX_FRAME_RATE"},
		{"QUINTE_REDIS=redis://x", "QUINTE_REDIS_URL"},
		{"QUINTE_WORKER_CONCURRENCY=4", ""},
		{"QUINTE_CONFIG=/etc/quinte.yaml", ""},
		{"AWS_REGION=eu-west-1", ""},
		{"HOME=/root", ""},
	} {
		got := Unknown([]string{tc.env})
		switch {
		case tc.want == "" && len(got) != 0:
			t.Errorf("%s: reported %+v", tc.env, got)
		case tc.want != "" && (len(got) != 1 || got[0].Closest != tc.want):
			t.Errorf("%s: %+v, want one naming %s", tc.env, got, tc.want)
		}
	}
}

// The start-up line says what runs, and never a secret.
func TestSummaryHasNoSecrets(t *testing.T) {
	c, err := Load("", env(map[string]string{
		"QUINTE_REDIS_URL": "redis://:hunter2-redis@redis:6379/0", "QUINTE_S3_ENDPOINT": "http://minio:9000",
		"AWS_ACCESS_KEY_ID": "AKIDSECRET", "AWS_SECRET_ACCESS_KEY": "s3cr3t-key", "QUINTE_TEAM_TOKEN": "team-token-0123456789",
		"QUINTE_WORKER_CONCURRENCY": "3",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []Role{RoleRun, RoleAPI, RoleWorker} {
		line := fmt.Sprint(c.Summary(role)...)
		for _, secret := range []string{"hunter2", "AKIDSECRET", "s3cr3t", "team-token"} {
			if strings.Contains(line, secret) {
				t.Errorf("%s start-up line shows %s: %s", role, secret, line)
			}
		}
		if !strings.Contains(line, "redis:6379") || !strings.Contains(line, "minio:9000") {
			t.Errorf("%s start-up line lacks the endpoints: %s", role, line)
		}
		if hasConc := strings.Contains(line, "concurrency3"); hasConc == (role == RoleAPI) {
			t.Errorf("%s start-up line and concurrency: %s", role, line)
		}
	}
}
