package configs

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// loadCompose loads docker-compose.yml with the library docker compose uses.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"},
		cli.WithWorkingDirectory(".."), cli.WithName("quinte"),
		cli.WithEnv([]string{"QUINTE_TEAM_TOKEN=test-token-0123456789abcdef"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

// defaults reads the settings of default.yaml overlaid with docker.yaml, as the containers see them.
func defaults(t *testing.T) (tusExpire, shutdown time.Duration, tempDir string) {
	t.Helper()
	type file struct {
		Upload struct {
			TusExpireAfter string `yaml:"tus_expire_after"`
		} `yaml:"upload"`
		Worker struct {
			ShutdownTimeout string `yaml:"shutdown_timeout"`
			TempDir         string `yaml:"temp_dir"`
		} `yaml:"worker"`
	}
	var f file
	if err := yaml.Unmarshal(Default, &f); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("docker.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	tusExpire, err1 := time.ParseDuration(f.Upload.TusExpireAfter)
	shutdown, err2 := time.ParseDuration(f.Worker.ShutdownTimeout)
	if err1 != nil || err2 != nil {
		t.Fatalf("default.yaml: tus_expire_after %q, shutdown_timeout %q", f.Upload.TusExpireAfter, f.Worker.ShutdownTimeout)
	}
	return tusExpire, shutdown, f.Worker.TempDir
}

// The compose file is production's shape: durable Redis, a bucket whose stale multipart uploads
// are aborted (but not before a tus upload may still resume), workers that scale, run as a user on a
// read-only root with a tmpfs scratch, within memory limits, stop cleanly, and are scraped by
// Prometheus, with every variable documented.
func TestComposeForReal(t *testing.T) {
	p := loadCompose(t)
	svc := func(name string) types.ServiceConfig {
		t.Helper()
		s, err := p.GetService(name)
		if err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
		return s
	}
	tusExpire, shutdown, tempDir := defaults(t)

	t.Run("redis", func(t *testing.T) {
		r := svc("redis")
		if !strings.HasPrefix(r.Image, "redis:7") {
			t.Errorf("redis image %q, want Redis 7", r.Image)
		}
		cmd := strings.Join(r.Command, " ")
		for _, want := range []string{"--appendonly yes", "--maxmemory-policy noeviction"} {
			if !strings.Contains(cmd, want) {
				t.Errorf("redis command %q lacks %s", cmd, want)
			}
		}
		if len(r.Volumes) == 0 || r.Volumes[0].Target != "/data" {
			t.Error("redis keeps its AOF in no volume")
		}
	})

	t.Run("bucket and lifecycle", func(t *testing.T) {
		in := svc("minio-init")
		if !strings.HasPrefix(in.Image, "minio/mc") || in.Restart != "no" {
			t.Errorf("minio-init: image %q restart %q", in.Image, in.Restart)
		}
		if d := in.DependsOn["minio"]; d.Condition != types.ServiceConditionHealthy {
			t.Error("minio-init does not wait for MinIO to be healthy")
		}
		script := strings.Join(in.Command, " ")
		for _, want := range []string{"set -e", "mc alias set local http://minio:9000", "mc mb --ignore-existing", "mc ilm rule import", "/etc/quinte/s3-lifecycle.json"} {
			if !strings.Contains(script, want) {
				t.Errorf("minio-init script lacks %q:\n%s", want, script)
			}
		}
		if env := in.Environment["BUCKET"]; env == nil || *env != *svc("api").Environment["QUINTE_S3_BUCKET"] {
			t.Error("minio-init creates another bucket than QUINTE_S3_BUCKET")
		}
		mounted := false
		for _, v := range in.Volumes {
			if v.Target == "/etc/quinte/s3-lifecycle.json" && strings.HasSuffix(v.Source, "configs/s3-lifecycle.json") && v.ReadOnly {
				mounted = true
			}
		}
		if !mounted {
			t.Errorf("minio-init does not mount configs/s3-lifecycle.json read-only: %+v", in.Volumes)
		}
		var lc struct {
			Rules []struct {
				Status string
				Filter struct{ Prefix *string }
				Abort  *struct{ DaysAfterInitiation int } `json:"AbortIncompleteMultipartUpload"`
			}
		}
		b, err := os.ReadFile("s3-lifecycle.json")
		if err != nil || json.Unmarshal(b, &lc) != nil || len(lc.Rules) != 1 {
			t.Fatalf("s3-lifecycle.json: %v %s", err, b)
		}
		r := lc.Rules[0]
		if r.Status != "Enabled" || r.Filter.Prefix == nil || *r.Filter.Prefix != "" || r.Abort == nil {
			t.Fatalf("the lifecycle rule does not abort incomplete uploads across the bucket: %s", b)
		}
		// A tus upload is one multipart upload until it completes: aborting it sooner than
		// QUINTE_TUS_EXPIRE_AFTER would break a resume the API still promises.
		if after := time.Duration(r.Abort.DaysAfterInitiation) * 24 * time.Hour; after <= tusExpire {
			t.Errorf("incomplete uploads aborted after %s, not after the tus expiry %s", after, tusExpire)
		}
		m := svc("minio")
		stale := m.Environment["MINIO_API_STALE_UPLOADS_EXPIRY"]
		if stale == nil {
			t.Fatal("MinIO's own stale-upload sweep (24 h by default) is not set above the tus expiry")
		}
		if d, err := time.ParseDuration(*stale); err != nil || d <= tusExpire {
			t.Errorf("MINIO_API_STALE_UPLOADS_EXPIRY %s is not above QUINTE_TUS_EXPIRE_AFTER %s", *stale, tusExpire)
		}
		if d := svc("init").DependsOn["minio-init"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Error("quinte init does not wait for the bucket")
		}
	})

	t.Run("worker", func(t *testing.T) {
		w := svc("worker")
		if w.ContainerName != "" || len(w.Ports) != 0 {
			t.Error("worker pins a container name or host ports: --scale worker=3 would fail")
		}
		uid, _, _ := strings.Cut(w.User, ":")
		if n, err := strconv.Atoi(uid); err != nil || n == 0 {
			t.Errorf("worker user %q is not a numeric non-root uid", w.User)
		}
		if df, err := os.ReadFile("../Dockerfile"); err != nil || !strings.Contains(string(df), "--uid "+uid) {
			t.Errorf("worker uid %s is not the image's quinte user", uid)
		}
		if !w.ReadOnly {
			t.Error("worker root file system is writable")
		}
		if w.Init == nil || !*w.Init {
			t.Error("worker runs without an init to reap ffmpeg's leftovers")
		}
		tmp := *w.Environment["QUINTE_WORKER_TEMP_DIR"]
		if tmp != tempDir {
			t.Errorf("compose temp dir %s, docker.yaml's %s", tmp, tempDir)
		}
		var tmpfs string
		for _, m := range w.Tmpfs {
			if path, _, _ := strings.Cut(m, ":"); path == tmp {
				tmpfs = m
			}
		}
		if tmpfs == "" || !strings.Contains(tmpfs, "uid="+uid) || !strings.Contains(tmpfs, "size=") {
			t.Errorf("the work dir %s is not a sized tmpfs owned by uid %s: %v", tmp, uid, w.Tmpfs)
		}
		for _, k := range []string{"TMPDIR", "XDG_CACHE_HOME"} {
			if v := w.Environment[k]; v == nil || !strings.HasPrefix(*v, tmp) {
				t.Errorf("worker %s is not on the tmpfs (the root is read-only)", k)
			}
		}
		if w.Deploy == nil || w.Deploy.Resources.Limits == nil || w.Deploy.Resources.Limits.MemoryBytes == 0 {
			t.Fatal("worker has no memory limit")
		}
		// tmpfs pages count against the memory limit: leave room for the job itself.
		if size := tmpfsSize(t, tmpfs); int64(w.Deploy.Resources.Limits.MemoryBytes)-size < 1<<30 {
			t.Errorf("memory limit %d leaves less than 1 GiB beside a %d-byte tmpfs", w.Deploy.Resources.Limits.MemoryBytes, size)
		}
		if v := w.Environment["QUINTE_WORKER_SHUTDOWN_TIMEOUT"]; v != nil {
			shutdown, _ = time.ParseDuration(*v)
		}
		// Shutdown waits the timeout, then gives the stopped jobs 10 s to clean up.
		if w.StopGracePeriod == nil || time.Duration(*w.StopGracePeriod) <= shutdown+10*time.Second {
			t.Errorf("stop_grace_period %v is not above the shutdown timeout %s + 10 s", w.StopGracePeriod, shutdown)
		}
	})

	t.Run("health checks", func(t *testing.T) {
		for _, name := range []string{"redis", "minio", "api", "worker", "prometheus"} {
			hc := svc(name).HealthCheck
			if hc == nil || hc.Disable || len(hc.Test) < 2 || hc.Interval == nil || hc.Timeout == nil || *hc.Timeout >= *hc.Interval {
				t.Errorf("%s: no health check, or its timeout is not under its interval: %+v", name, hc)
			}
		}
	})

	t.Run("dashboard", func(t *testing.T) {
		a := svc("asynqmon")
		cmd := strings.Join(a.Command, " ")
		if !strings.Contains(cmd, "--redis-url=redis://redis:6379") || !strings.Contains(cmd, "--read-only") {
			t.Errorf("asynqmon %q: not read-only on the queue", cmd)
		}
		for _, port := range a.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("asynqmon (no sign-in) published beyond loopback: %+v", port)
			}
		}
	})

	t.Run("prometheus", func(t *testing.T) {
		pr := svc("prometheus")
		mounted := false
		for _, v := range pr.Volumes {
			if v.Target == "/etc/prometheus/prometheus.yml" && strings.HasSuffix(v.Source, "configs/prometheus.yml") {
				mounted = true
			}
		}
		if !mounted || !slices.Contains(pr.Command, "--config.file=/etc/prometheus/prometheus.yml") {
			t.Errorf("prometheus does not read configs/prometheus.yml: %v %+v", pr.Command, pr.Volumes)
		}
		var cfg struct {
			ScrapeConfigs []struct {
				JobName string `yaml:"job_name"`
				DNS     []struct {
					Names []string `yaml:"names"`
					Type  string   `yaml:"type"`
					Port  int      `yaml:"port"`
				} `yaml:"dns_sd_configs"`
			} `yaml:"scrape_configs"`
		}
		b, err := os.ReadFile("prometheus.yml")
		if err != nil || yaml.Unmarshal(b, &cfg) != nil {
			t.Fatalf("prometheus.yml: %v", err)
		}
		for _, role := range []string{"api", "worker"} {
			addr := svc(role).Environment["QUINTE_METRICS_ADDR"]
			if addr == nil {
				t.Errorf("%s serves no metrics (QUINTE_METRICS_ADDR)", role)
				continue
			}
			host, port, err := net.SplitHostPort(*addr)
			if err != nil || (host != "0.0.0.0" && host != "") || port != "9090" {
				t.Errorf("%s QUINTE_METRICS_ADDR %q: want 0.0.0.0:9090, reachable on the compose network", role, *addr)
			}
			for _, p := range svc(role).Ports {
				if p.Target == 9090 {
					t.Errorf("%s publishes its metrics port on the host", role)
				}
			}
			// Discovery by the service's name finds every container of `--scale worker=N`.
			found := false
			for _, sc := range cfg.ScrapeConfigs {
				for _, d := range sc.DNS {
					if slices.Contains(d.Names, role) && d.Type == "A" && strconv.Itoa(d.Port) == port {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("prometheus.yml does not discover every %s container on port %s", role, port)
			}
		}
	})

	t.Run("every variable documented", func(t *testing.T) {
		readme, err := os.ReadFile("../README.md")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile("../docker-compose.yml")
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, m := range regexp.MustCompile(`\$\{([A-Z0-9_]+)`).FindAllStringSubmatch(string(raw), -1) {
			names[m[1]] = true // what the operator sets
		}
		for _, s := range p.Services {
			for k := range s.Environment {
				if strings.HasPrefix(k, "QUINTE_") || strings.HasPrefix(k, "MINIO_") || strings.HasPrefix(k, "AWS_") {
					names[k] = true
				}
			}
		}
		for _, m := range regexp.MustCompile(`QUINTE_[A-Z0-9_]+`).FindAllString(string(Default), -1) {
			names[m] = true // every setting quinte reads
		}
		for n := range names {
			if !strings.Contains(string(readme), n) {
				t.Errorf("README.md does not document %s", n)
			}
		}
	})
}

// tmpfsSize reads size= of a tmpfs mount (k, m, g suffixes).
func tmpfsSize(t *testing.T, mount string) int64 {
	t.Helper()
	_, opts, _ := strings.Cut(mount, ":")
	for _, o := range strings.Split(opts, ",") {
		v, ok := strings.CutPrefix(o, "size=")
		if !ok {
			continue
		}
		mult := int64(1)
		switch strings.ToLower(v[len(v)-1:]) {
		case "k":
			mult = 1 << 10
		case "m":
			mult = 1 << 20
		case "g":
			mult = 1 << 30
		}
		n, err := strconv.ParseInt(strings.TrimRight(v, "kKmMgG"), 10, 64)
		if err != nil {
			t.Fatalf("tmpfs size %q", v)
		}
		return n * mult
	}
	t.Fatalf("tmpfs %q has no size", mount)
	return 0
}
