package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/queue"
	"github.com/quinte-media/quinte/webhook"
)

// quinte api and quinte worker on a three-node Redis Cluster (QUINTE_REDIS_URL=redis-cluster://…)
// and versitygw: an upload reaches ready, the API sees the task in the queue, and the ready webhook
// goes through the cluster too (its own queue lands on another hash slot).
func TestRedisClusterUploadToReady(t *testing.T) {
	nodes := testenv.RedisCluster(t)
	url := testenv.ClusterURL(nodes)
	got := make(chan []byte, 4)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer rc.Close()
	hooks, _ := json.Marshal([]webhook.Endpoint{{URL: rc.URL, Secret: webhook.NewSecret(), Events: []string{webhook.MessageReady}}})
	c := newCluster(t, map[string]string{"QUINTE_REDIS_URL": url, "QUINTE_WEBHOOKS": string(hooks), "QUINTE_WEBHOOKS_ALLOW_PRIVATE": "true"})
	c.StartAPI()
	w := c.StartWorker(nil)

	id := c.Client.Upload(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), map[string]string{"artist": "Ada"})
	c.Client.WaitReady(t, id, 2*time.Minute)
	select {
	case b := <-got:
		if !strings.Contains(string(b), id) {
			t.Errorf("webhook body %s does not name %s", b, id)
		}
	case <-time.After(time.Minute):
		t.Error("no message.ready webhook through the cluster")
	}

	// The queue's keys are spread over the nodes by their hash tag ({media}, {webhooks}), and the
	// Inspector the API reads the queue with works on the cluster.
	opt, err := queue.ParseRedisURL(url)
	testenv.Must(t, err)
	if _, ok := opt.(asynq.RedisClusterClientOpt); !ok {
		t.Fatalf("%s parsed as %T", url, opt)
	}
	ins := asynq.NewInspector(opt)
	defer ins.Close()
	queues, err := ins.Queues()
	testenv.Must(t, err)
	t.Logf("queues on the cluster: %v", queues)
	info, err := ins.GetQueueInfo(queue.Light) // the photo's queue
	testenv.Must(t, err)
	if info.Processed < 1 {
		t.Errorf("queue %s on the cluster processed %d tasks", queue.Light, info.Processed)
	}
	for _, n := range nodes {
		t.Logf("node %s holds %s keys", n.Addr, n.Command(t, "DBSIZE"))
	}
	for _, p := range []*testenv.Proc{c.API, w} {
		for _, line := range strings.Split(string(mustRead(t, p.Log)), "\n") {
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "CROSSSLOT") {
				t.Errorf("quinte %s on the cluster: %s", p.Role, line)
			} else if strings.Contains(line, "component=asynq") {
				t.Logf("quinte %s, asynq says: %s", p.Role, line)
			}
		}
	}
}

// quinte run on a Redis reached through Sentinel (QUINTE_REDIS_URL=redis-sentinel://…/mymaster/0)
// and versitygw: an upload reaches ready.
func TestRedisSentinelUploadToReady(t *testing.T) {
	sentinel := testenv.RedisSentinel(t, "mymaster")
	env := realEnv(t)
	env["QUINTE_REDIS_URL"] = "redis-sentinel://" + sentinel.Addr + "/mymaster/0"
	m := startMain(t, config.RoleRun, env)
	c := &testenv.Client{Base: m.URL, Token: token}
	c.WaitReady(t, c.Upload(t, testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), nil), 2*time.Minute)
}
