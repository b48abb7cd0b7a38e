package config

import (
	"fmt"
	"strings"
	"testing"
)

// QUINTE_WEBHOOKS and the Redis forms beyond one server: what is wrong is said at start, and the
// start-up line shows neither a Redis password in a host list nor a webhook secret.
func TestWebhooksAndRedisForms(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ok := `[{"url":"https://tools.example.org/quinte","secret":"` + secret + `","events":["message.ready"]}]`
	for _, tc := range []struct {
		env  map[string]string
		want string // "" = valid
	}{
		{map[string]string{"QUINTE_WEBHOOKS": ok}, ""},
		{map[string]string{"QUINTE_WEBHOOKS": `{"url":"x"}`}, "want a JSON array"},
		{map[string]string{"QUINTE_WEBHOOKS": `[{"url":"https://a.example","secret":"whsec_MfKQ","colour":"red"}]`}, "unknown field"},
		{map[string]string{"QUINTE_WEBHOOKS": `[{"url":"https://a.example","secret":"abc"}]`}, "does not start with whsec_"},
		{map[string]string{"QUINTE_WEBHOOKS": `[{"url":"https://a.example","secret":"whsec_c2hvcnQ="}]`}, "24 to 64"},
		{map[string]string{"QUINTE_WEBHOOKS": `[{"url":"ftp://a.example","secret":"` + secret + `"}]`}, "not an http(s)"},
		{map[string]string{"QUINTE_WEBHOOKS": `[{"url":"https://a.example","secret":"` + secret + `","events":["message.done"]}]`}, `unknown event "message.done"`},
		{map[string]string{"QUINTE_WEBHOOKS": `[{"url":"http://192.168.1.20/hook","secret":"` + secret + `"}]`}, "QUINTE_WEBHOOKS_ALLOW_PRIVATE"},
		{map[string]string{"QUINTE_WEBHOOKS": `[{"url":"http://192.168.1.20/hook","secret":"` + secret + `"}]`, "QUINTE_WEBHOOKS_ALLOW_PRIVATE": "true"}, ""},
		{map[string]string{"QUINTE_WEBHOOKS_ALLOW_PRIVATE": "maybe"}, "want true or false"},
		{map[string]string{"QUINTE_REDIS_URL": "redis-sentinel://:pw@s1:26379,s2:26379/mymaster/0"}, ""},
		{map[string]string{"QUINTE_REDIS_URL": "redis-cluster://h1:7000,h2:7001,h3:7002"}, ""},
		{map[string]string{"QUINTE_REDIS_URL": "redis-sentinel://s1:26379,s2:26379"}, "name the master"},
	} {
		c, err := Load("", env(tc.env))
		if err == nil {
			err = c.Validate(RoleRun)
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want it to say %q", tc.env, err, tc.want)
		}
	}

	c, err := Load("", env(map[string]string{"QUINTE_REDIS_URL": "redis-sentinel://:hunter2-redis@s1:26379,s2:26379/mymaster", "QUINTE_WEBHOOKS": ok}))
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprint(c.Summary(RoleWorker)...)
	if strings.Contains(line, "hunter2") || strings.Contains(line, "MfKQ") || !strings.Contains(line, "s1:26379,s2:26379") || !strings.Contains(line, "webhook_endpoints1") {
		t.Errorf("start-up line: %s", line)
	}
}
