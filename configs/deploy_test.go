package configs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// These machines have no Docker engine: the compose file is loaded and validated with the same library
// docker compose uses, and checked for what the operator relies on.
func TestComposeFile(t *testing.T) {
	p := loadCompose(t)
	svc := func(name string) types.ServiceConfig {
		s, err := p.GetService(name)
		if err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
		return s
	}

	redis := svc("redis")
	cmd := strings.Join(redis.Command, " ")
	if !strings.Contains(cmd, "--appendonly yes") || !strings.Contains(cmd, "--maxmemory-policy noeviction") {
		t.Errorf("redis must run with AOF and noeviction: %q", cmd)
	}
	if !strings.HasPrefix(svc("minio").Image, "minio/minio") {
		t.Errorf("minio image %q", svc("minio").Image)
	}
	// Only `quinte init` creates the bucket (api and worker refuse a missing one), before both start.
	if in := svc("init"); !slices.Equal(in.Command, types.ShellCommand{"init"}) || in.Image != "quinte:latest" || in.Restart != "no" {
		t.Errorf("init service: command %v, image %q, restart %q", in.Command, in.Image, in.Restart)
	}
	for _, role := range []string{"api", "worker"} {
		if d, ok := svc(role).DependsOn["init"]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s does not wait for quinte init to create the bucket", role)
		}
	}
	// Every long-running service has a health check, and quinte's is `quinte health <its role>`.
	for _, name := range []string{"redis", "minio", "api", "worker"} {
		hc := svc(name).HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) == 0 {
			t.Errorf("%s has no health check", name)
			continue
		}
		if name == "api" || name == "worker" {
			if want := []string{"CMD", "/usr/local/bin/quinte", "health", name}; !slices.Equal([]string(hc.Test), want) {
				t.Errorf("%s health check %v, want %v", name, hc.Test, want)
			}
			if hc.Interval == nil || hc.Timeout == nil || *hc.Timeout >= *hc.Interval {
				t.Errorf("%s health check: interval %v, timeout %v", name, hc.Interval, hc.Timeout)
			}
		}
	}
	for _, role := range []string{"api", "worker"} {
		s := svc(role)
		if !slices.Equal(s.Command, types.ShellCommand{role}) {
			t.Errorf("%s command = %v", role, s.Command)
		}
		if s.Image != "quinte:latest" {
			t.Errorf("%s image = %q", role, s.Image)
		}
		for _, k := range []string{"QUINTE_REDIS_URL", "QUINTE_S3_ENDPOINT", "QUINTE_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "QUINTE_TEAM_TOKEN"} {
			if v := s.Environment[k]; v == nil || *v == "" {
				t.Errorf("%s: %s is not set", role, k)
			}
		}
		if *s.Environment["QUINTE_REDIS_URL"] != "redis://redis:6379/0" || *s.Environment["QUINTE_S3_ENDPOINT"] != "http://minio:9000" {
			t.Errorf("%s does not point at the redis and minio services", role)
		}
	}
	w := svc("worker")
	if w.ContainerName != "" || len(w.Ports) != 0 {
		t.Error("worker must not pin a container name or host ports, or --scale worker=3 fails")
	}
	if w.StopGracePeriod == nil || *w.StopGracePeriod <= types.Duration(25e9) {
		t.Error("worker stop_grace_period must exceed its 25s shutdown timeout")
	}
	if len(svc("api").Ports) == 0 {
		t.Error("api publishes no port")
	}
	if !strings.Contains(strings.Join(svc("asynqmon").Command, " "), "--redis-url=redis://redis:6379") {
		t.Error("asynqmon does not watch the queue")
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Count(s, "\nFROM ") < 1 || !strings.Contains(s, "AS build") || !strings.Contains(s, "COPY --from=build") {
		t.Error("Dockerfile is not multi-stage")
	}
	for _, want := range []string{"ffmpeg", "USER quinte", "docker.yaml"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The golang image sets GOTOOLCHAIN=local: the build stage must name go.mod's toolchain before it
	// runs the go command, or the image's own Go builds quinte.
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var toolchain string
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "toolchain" {
			toolchain = f[1]
		}
	}
	if toolchain == "" {
		t.Fatal("go.mod names no toolchain")
	}
	set := strings.Index(s, "ENV GOTOOLCHAIN="+toolchain+"\n")
	build := strings.Index(s, "RUN go mod download")
	if set < 0 || build < 0 || set > build {
		t.Errorf("the Dockerfile's build stage does not set GOTOOLCHAIN=%s (go.mod's toolchain) before running go", toolchain)
	}
}

// scripts/deps.sh installs the C and C++ compilers cgo needs for the face detector: a fresh Debian
// with Go may have neither.
func TestDepsInstallCompilers(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "scripts", "deps.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "debs=") {
			f := strings.Fields(strings.Trim(strings.TrimPrefix(line, "debs="), `"`))
			if !slices.Contains(f, "gcc") || !slices.Contains(f, "g++") {
				t.Errorf("scripts/deps.sh does not install gcc and g++: %s", line)
			}
			return
		}
	}
	t.Error("scripts/deps.sh has no debs= line")
}

// Every configuration file parses, and docker.yaml only names keys that default.yaml has.
func TestConfigFiles(t *testing.T) {
	var def, dock map[string]any
	if err := yaml.Unmarshal(Default, &def); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("docker.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &dock); err != nil {
		t.Fatal(err)
	}
	var check func(prefix string, d, o map[string]any)
	check = func(prefix string, d, o map[string]any) {
		for k, v := range o {
			dv, ok := d[k]
			if !ok {
				t.Errorf("docker.yaml: %s%s is not a configuration key", prefix, k)
				continue
			}
			if om, ok := v.(map[string]any); ok {
				dm, _ := dv.(map[string]any)
				check(prefix+k+".", dm, om)
			}
		}
	}
	check("", def, dock)
}
