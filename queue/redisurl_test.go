package queue

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
)

func TestParseRedisURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want asynq.RedisConnOpt
	}{
		{"redis://127.0.0.1:6379/0", asynq.RedisClientOpt{Addr: "127.0.0.1:6379"}},
		{"redis://:pw@redis:6379/2", asynq.RedisClientOpt{Addr: "redis:6379", Password: "pw", DB: 2}},
		{"redis-sentinel://:pw@s1:26379,s2:26379,s3/mymaster/1", asynq.RedisFailoverClientOpt{
			MasterName: "mymaster", SentinelAddrs: []string{"s1:26379", "s2:26379", "s3:26379"}, Password: "pw", SentinelPassword: "pw", DB: 1}},
		{"redis-sentinel://s1:26379?master=mymaster&sentinel_password=sp", asynq.RedisFailoverClientOpt{
			MasterName: "mymaster", SentinelAddrs: []string{"s1:26379"}, SentinelPassword: "sp"}},
		{"redis-cluster://h1:7000,h2:7001,h3:7002", asynq.RedisClusterClientOpt{Addrs: []string{"h1:7000", "h2:7001", "h3:7002"}}},
		{"redis-cluster://:pw@h1,h2/", asynq.RedisClusterClientOpt{Addrs: []string{"h1:6379", "h2:6379"}, Password: "pw"}},
	} {
		got, err := ParseRedisURL(tc.url)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %#v %v, want %#v", tc.url, got, err, tc.want)
		}
	}
	for url, says := range map[string]string{
		"localhost:6379":                    "unknown scheme",
		"redis://h1:6379,h2:6379/0":         "one host",
		"redis://h:6379/x":                  "database number",
		"redis-sentinel://s1:26379":         "name the master",
		"redis-sentinel://s1/m/x":           "database number",
		"redis-cluster://h1:7000/3":         "only database 0",
		"redis-cluster://":                  "no host",
		"memcached://h:11211":               "unknown scheme",
		"rediss-cluster://h1:7000,h2:7001/": "",
	} {
		_, err := ParseRedisURL(url)
		if says == "" {
			if err != nil {
				t.Errorf("%s: %v", url, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: %v, want it to say %q", url, err, says)
		}
	}
}
