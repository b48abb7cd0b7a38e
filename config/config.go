// Package config loads quinte's configuration: the embedded configs/default.yaml, then an optional file,
// then environment variables. It owns only the loading and the cross-package checks; each package's own
// settings and their meaning live in that package's Config.
package config

import (
	"encoding"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/quinte-media/quinte/configs"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/queue"
	"github.com/quinte-media/quinte/storage"
	"github.com/quinte-media/quinte/uploader"
	"github.com/quinte-media/quinte/webhook"
	"github.com/quinte-media/quinte/worker"
)

// Config is the whole configuration of one quinte process.
type Config struct {
	Addr      string `yaml:"addr"`
	DataDir   string `yaml:"data_dir"`
	TeamToken string `yaml:"team_token"`
	RedisURL  string `yaml:"redis_url"`
	// CampaignsDir holds campaign files (<name>.yaml) added to, or replacing, the built-in ones.
	CampaignsDir string `yaml:"campaigns_dir"`
	// MetricsAddr is where the Prometheus figures are served (/metrics), on a listener of its own;
	// empty: not served.
	MetricsAddr string `yaml:"metrics_addr"`
	// LogFormat is json or text; empty: json for api and worker, text for run (internal/logs).
	LogFormat string `yaml:"log_format"`

	S3       storage.Config  `yaml:"s3"`
	Upload   uploader.Config `yaml:"upload"`
	Worker   worker.Config   `yaml:"worker"`
	Pipeline pipeline.Config `yaml:"pipeline"`
	Webhooks webhook.Config  `yaml:"webhooks"`
}

// Load reads the defaults, then file (if not empty), then the environment.
func Load(file string, getenv func(string) string) (Config, error) {
	var c Config
	if err := yaml.Unmarshal(configs.Default, &c); err != nil {
		return c, fmt.Errorf("embedded default.yaml: %w", err)
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return c, fmt.Errorf("config file: %w", err)
		}
		if err := yaml.Unmarshal(b, &c); err != nil {
			return c, fmt.Errorf("config file %s: %w", file, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return c, err
	}
	// Absolute paths from here on: the embedded S3 server changes the working directory.
	for _, p := range []*string{&c.DataDir, &c.Worker.TempDir, &c.CampaignsDir} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return c, err
			}
			*p = abs
		}
	}
	return c, nil
}

// env lists every environment override; README's configuration table mirrors it.
func (c *Config) env() []envVar {
	return []envVar{
		{"QUINTE_ADDR", &c.Addr},
		{"QUINTE_DATA_DIR", &c.DataDir},
		{"QUINTE_TEAM_TOKEN", &c.TeamToken},
		{"QUINTE_REDIS_URL", &c.RedisURL},
		{"QUINTE_CAMPAIGNS_DIR", &c.CampaignsDir},
		{"QUINTE_METRICS_ADDR", &c.MetricsAddr},
		{"QUINTE_LOG_FORMAT", &c.LogFormat},
		{"QUINTE_S3_ENDPOINT", &c.S3.Endpoint},
		{"QUINTE_S3_PUBLIC_ENDPOINT", &c.S3.PublicEndpoint},
		{"QUINTE_S3_BUCKET", &c.S3.Bucket},
		{"QUINTE_S3_REGION", &c.S3.Region},
		{"AWS_ACCESS_KEY_ID", &c.S3.AccessKey},
		{"AWS_SECRET_ACCESS_KEY", &c.S3.SecretKey},
		{"QUINTE_S3_EMBEDDED_ADDR", &c.S3.EmbeddedAddr},
		{"QUINTE_UPLOAD_MAX_BYTES", &c.Upload.MaxBytes},
		{"QUINTE_URL_TTL", &c.Upload.URLTTL},
		{"QUINTE_CORS_ORIGINS", &c.Upload.CORSOrigins},
		{"QUINTE_UPLOAD_IDLE_TIMEOUT", &c.Upload.IdleTimeout},
		{"QUINTE_TUS_EXPIRE_AFTER", &c.Upload.TusExpireAfter},
		{"QUINTE_PUBLIC_URL", &c.Upload.PublicURL},
		{"QUINTE_RECONCILE_EVERY", &c.Worker.ReconcileEvery},
		{"QUINTE_WORKER_CONCURRENCY", &c.Worker.Concurrency},
		{"QUINTE_WORKER_LIGHT_CONCURRENCY", &c.Worker.LightConcurrency},
		{"QUINTE_WORKER_MAX_RETRY", &c.Worker.MaxRetry},
		{"QUINTE_WORKER_SHUTDOWN_TIMEOUT", &c.Worker.ShutdownTimeout},
		{"QUINTE_WORKER_MAX_JOB_TIME", &c.Worker.MaxJobTime},
		{"QUINTE_WORKER_TEMP_DIR", &c.Worker.TempDir},
		{"QUINTE_FFMPEG", &c.Pipeline.FFmpeg},
		{"QUINTE_FFPROBE", &c.Pipeline.FFprobe},
		{"QUINTE_X264_PRESET", &c.Pipeline.Preset},
		{"QUINTE_X264_CRF", &c.Pipeline.CRF},
		{"QUINTE_MAX_PHOTO_PIXELS", &c.Pipeline.MaxPhotoPixels},
		{"QUINTE_STALL_TIMEOUT", &c.Pipeline.StallTimeout},
		{"QUINTE_PHOTO_MEMORY_LIMIT", &c.Pipeline.PhotoMemoryLimit},
		{"QUINTE_MAX_DURATION", &c.Pipeline.MaxDuration},
		{"QUINTE_MAX_VIDEO_SIDE", &c.Pipeline.MaxVideoSide},
		{"QUINTE_MAX_FRAME_RATE", &c.Pipeline.MaxFrameRate},
		{"QUINTE_MAX_STREAMS", &c.Pipeline.MaxStreams},
		{"QUINTE_MAX_FRAMES", &c.Pipeline.MaxFrames},
		{"QUINTE_WEBHOOKS", &c.Webhooks.Endpoints},
		{"QUINTE_WEBHOOKS_ALLOW_PRIVATE", &c.Webhooks.AllowPrivate},
		{"QUINTE_WEBHOOKS_CONCURRENCY", &c.Webhooks.Concurrency},
	}
}

type envVar struct {
	name string
	dst  any
}

func (c *Config) applyEnv(getenv func(string) string) error {
	var errs []error
	for _, e := range c.env() {
		v := strings.TrimSpace(getenv(e.name))
		if v == "" {
			continue
		}
		if err := set(e.dst, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", e.name, v, err))
		}
	}
	return errors.Join(errs...)
}

func set(dst any, v string) error {
	switch d := dst.(type) {
	case encoding.TextUnmarshaler:
		return d.UnmarshalText([]byte(v))
	case *bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*d = b
	case *string:
		*d = v
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("want a whole number")
		}
		*d = n
	case *int64:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number")
		}
		*d = n
	case *[]string:
		*d = nil
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				*d = append(*d, f)
			}
		}
	case *time.Duration:
		n, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("want a duration such as 30s or 1h")
		}
		*d = n
	default:
		panic(fmt.Sprintf("config: unsupported type %T", dst))
	}
	return nil
}

// Role is what a process runs: everything (run), the HTTP API (api) or a worker (worker).
type Role string

const (
	RoleRun    Role = "run"
	RoleAPI    Role = "api"
	RoleWorker Role = "worker"
)

// Validate checks that the configuration can work for role, with messages that say what to fix.
func (c *Config) Validate(role Role) error {
	var errs []error
	if role != RoleWorker {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			errs = append(errs, fmt.Errorf("QUINTE_ADDR %q is not host:port (for example 127.0.0.1:8080)", c.Addr))
		}
	}
	if role != RoleRun {
		if c.RedisURL == "" {
			errs = append(errs, fmt.Errorf("QUINTE_REDIS_URL is required for `quinte %s` (for example redis://redis:6379/0); only `quinte run` embeds a queue", role))
		}
		if c.S3.Endpoint == "" {
			errs = append(errs, fmt.Errorf("QUINTE_S3_ENDPOINT is required for `quinte %s` (for example http://minio:9000); only `quinte run` embeds S3", role))
		}
		if role == RoleAPI && c.TeamToken == "" {
			errs = append(errs, errors.New("QUINTE_TEAM_TOKEN is required for `quinte api`: set it to a long random string"))
		}
	}
	if c.RedisURL != "" {
		if _, err := queue.ParseRedisURL(c.RedisURL); err != nil {
			errs = append(errs, fmt.Errorf("QUINTE_REDIS_URL %q is not a redis:// URL: %v", redacted(c.RedisURL), err))
		}
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("QUINTE_METRICS_ADDR %q is not host:port (for example 0.0.0.0:9090), or empty for no metrics", c.MetricsAddr))
		} else if c.MetricsAddr == c.Addr && port != "0" && role != RoleWorker {
			errs = append(errs, fmt.Errorf("QUINTE_METRICS_ADDR is QUINTE_ADDR: the metrics need a port of their own, off the public one"))
		}
	}
	if c.LogFormat != "" && c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("QUINTE_LOG_FORMAT %q is neither json nor text (empty: json for api and worker, text for run)", c.LogFormat))
	}
	if c.TeamToken != "" && len(c.TeamToken) < 16 {
		errs = append(errs, errors.New("QUINTE_TEAM_TOKEN is too short: use at least 16 random characters"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("QUINTE_DATA_DIR is empty"))
	}
	if c.CampaignsDir != "" {
		if st, err := os.Stat(c.CampaignsDir); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("QUINTE_CAMPAIGNS_DIR %s is not a directory (it holds campaign files, <name>.yaml)", c.CampaignsDir))
		}
	}
	errs = append(errs, c.S3.Validate(), c.Upload.Validate(), c.Worker.Validate(), c.Pipeline.Validate())
	errs = append(errs, c.Webhooks.Validate())
	return errors.Join(errs...)
}
