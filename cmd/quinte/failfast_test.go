package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
)

// A configuration that cannot work stops quinte at start with a message that names what to fix.
func TestStartFailsFastWithAReason(t *testing.T) {
	redis := testenv.Redis(t)
	closed := "http://127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown role", []string{"serve"}, nil, `unknown role "serve"`},
		{"api without redis", []string{"api"}, map[string]string{"QUINTE_TEAM_TOKEN": token}, "QUINTE_REDIS_URL is required"},
		{"bad redis url", []string{"worker"}, map[string]string{"QUINTE_REDIS_URL": "redis//x", "QUINTE_S3_ENDPOINT": closed, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, "is not a redis:// URL"},
		{"S3 unreachable", []string{"worker"}, map[string]string{"QUINTE_REDIS_URL": redis.URL(), "QUINTE_S3_ENDPOINT": closed, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, "check QUINTE_S3_ENDPOINT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"QUINTE_DATA_DIR": t.TempDir(), "QUINTE_ADDR": "127.0.0.1:0"}
			for k, v := range c.env {
				env[k] = v
			}
			var out, errb bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := run(ctx, c.args, testenv.Env(env), &out, &errb)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
			if ctx.Err() != nil {
				t.Fatal("quinte did not fail fast: it waited for the deadline")
			}
		})
	}
}
