package config

import (
	"net/url"
	"runtime"
	"sort"
	"strings"

	"github.com/quinte-media/quinte/queue"
)

// Summary is the settings in effect for role, as slog key-value pairs for the start-up line: what an
// operator needs to see that the process runs as they meant. It holds no secret (no token, no key, no
// password in a URL).
func (c *Config) Summary(role Role) []any {
	kv := []any{"role", string(role)}
	if role != RoleWorker {
		kv = append(kv, "addr", c.Addr, "reconcile_every", c.Worker.ReconcileEvery.String(),
			"upload_max_bytes", c.Upload.MaxBytes, "cors_origins", strings.Join(c.Upload.CORSOrigins, ","),
			"public_url", c.Upload.PublicURL)
	}
	if c.MetricsAddr != "" {
		kv = append(kv, "metrics_addr", c.MetricsAddr)
	}
	kv = append(kv, "redis", redacted(c.RedisURL), "s3_endpoint", redacted(c.S3.Endpoint), "bucket", c.S3.Bucket)
	kv = append(kv, "webhook_endpoints", len(c.Webhooks.Endpoints))
	if role != RoleAPI {
		tmp := c.Worker.TempDir
		if tmp == "" {
			tmp = "(system temp dir)"
		}
		kv = append(kv,
			"concurrency", c.Worker.Slots(), "light_concurrency", c.Worker.LightSlots(), "gomaxprocs", runtime.GOMAXPROCS(0),
			"queues", strings.Join(queue.Names, ","),
			"max_retry", c.Worker.MaxRetry, "shutdown_timeout", c.Worker.ShutdownTimeout.String(),
			"max_job_time", c.Worker.MaxJobTime.String(), "temp_dir", tmp,
			"max_photo_pixels", c.Pipeline.MaxPhotoPixels, "max_duration", c.Pipeline.MaxDuration.String(),
			"max_video_side", c.Pipeline.MaxVideoSide, "max_frames", c.Pipeline.MaxFrames,
			"stall_timeout", c.Pipeline.StallTimeout.String())
	}
	return kv
}

// redacted drops the password of a URL (redis://:secret@host); "" stays "" (embedded).
func redacted(s string) string {
	if s == "" {
		return "(embedded)"
	}
	u, err := url.Parse(s)
	if err != nil {
		// redis-sentinel:// and redis-cluster:// list hosts, which net/url refuses.
		scheme, rest, ok := strings.Cut(s, "://")
		if at := strings.LastIndex(rest, "@"); ok && at >= 0 {
			return scheme + "://…@" + rest[at+1:]
		} else if ok {
			return s
		}
		return "(unparsable)"
	}
	if u.User != nil {
		u.User = url.User("…")
	}
	return u.String()
}

// UnknownSetting is a QUINTE_* variable of the environment that quinte does not read.
type UnknownSetting struct {
	Name    string
	Closest string // the known variable it most likely meant
}

// Unknown lists the QUINTE_* variables of environ (as os.Environ gives it) that no setting reads, each
// with the known name closest to it: a misspelt setting would otherwise be silently ignored.
func Unknown(environ []string) []UnknownSetting {
	var c Config
	known := map[string]bool{"QUINTE_CONFIG": true, "QUINTE_SERVER": true, "QUINTE_TOKEN": true, "QUINTE_CACHE_DIR": true} // the last three: the CLI's
	for _, e := range c.env() {
		known[e.name] = true
	}
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []UnknownSetting
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "QUINTE_") || known[name] {
			continue
		}
		// Fewest edits; on a tie, the longest shared beginning (QUINTE_REDIS is QUINTE_REDIS_URL
		// cut short, not QUINTE_ADDR).
		best, bestD, bestP := "", -1, 0
		for _, k := range names {
			d, p := distance(name, k), sharedPrefix(name, k)
			if bestD < 0 || d < bestD || (d == bestD && p > bestP) {
				best, bestD, bestP = k, d, p
			}
		}
		out = append(out, UnknownSetting{Name: name, Closest: best})
	}
	return out
}

// distance is the Levenshtein distance between a and b (ASCII names).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func sharedPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
