package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisCluster starts a Redis Cluster of three masters (no replicas) on loopback, each node a
// redis-server of its own without persistence, and returns its nodes; ClusterURL gives quinte's
// redis-cluster:// URL of them.
func RedisCluster(t testing.TB) []*Server {
	t.Helper()
	bin := need(t, "redis-server", "apt-get install redis-server (make test does it)")
	cli := need(t, "redis-cli", "apt-get install redis-tools (comes with redis-server)")
	var nodes []*Server
	var addrs []string
	for i := 0; i < 3; i++ {
		port := FreePort(t)
		dir := t.TempDir()
		s := &Server{t: t, name: "redis-cluster-" + strconv.Itoa(i), bin: bin, Addr: "127.0.0.1:" + strconv.Itoa(port), args: []string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--cluster-enabled", "yes", "--cluster-config-file", dir + "/nodes.conf",
			"--cluster-node-timeout", "5000", "--maxmemory-policy", "noeviction",
		}}
		s.Start()
		t.Cleanup(s.Stop)
		nodes, addrs = append(nodes, s), append(addrs, s.Addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v: %s", err, out)
	}
	// Every node must know the whole slot map before a client asks it.
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range nodes {
		for {
			out, _ := exec.Command(cli, "-h", "127.0.0.1", "-p", strings.TrimPrefix(n.Addr, "127.0.0.1:"), "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redis cluster node %s not ok within 30s: %s", n.Addr, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nodes
}

// ClusterURL is the redis-cluster:// URL of nodes.
func ClusterURL(nodes []*Server) string {
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.Addr)
	}
	return "redis-cluster://" + strings.Join(addrs, ",")
}

// RedisSentinel starts a redis-server and one Sentinel watching it under the name master, and returns
// the Sentinel: quinte reaches the server through it (redis-sentinel://<sentinel addr>/master).
func RedisSentinel(t testing.TB, master string) *Server {
	t.Helper()
	bin := need(t, "redis-server", "apt-get install redis-server (make test does it)")
	primary := Redis(t)
	port := FreePort(t)
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor %s %s 1\nsentinel down-after-milliseconds %s 5000\n",
		port, master, strings.Replace(primary.Addr, ":", " ", 1), master)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, name: "redis-sentinel", bin: bin, Addr: "127.0.0.1:" + strconv.Itoa(port), args: []string{conf, "--sentinel"}}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}
