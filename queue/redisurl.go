package queue

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"
)

// ParseRedisURL turns QUINTE_REDIS_URL into asynq's connection options. Three forms:
//
//	redis://[:password@]host:6379[/db]        one server (rediss:// for TLS)
//	redis-sentinel://[:password@]h1:26379,h2:26379/mastername[/db]
//	                                          Sentinel: the master's name, the password of the master
//	                                          (also sent to the sentinels unless ?sentinel_password= is set)
//	redis-cluster://[:password@]h1:7000,h2:7001,h3:7002
//	                                          Redis Cluster: any of its nodes (rediss-cluster:// for TLS)
//
// asynq.ParseRedisURI reads only the first, and Sentinel as ?master= without a database or the
// master's password; it has no cluster form.
func ParseRedisURL(s string) (asynq.RedisConnOpt, error) {
	u, hosts, err := splitHosts(s)
	if err != nil {
		return nil, errors.New("not a URL (for example redis://127.0.0.1:6379/0)")
	}
	password, _ := u.User.Password()
	switch u.Scheme {
	case "redis", "rediss":
		if hosts == "" || strings.Contains(hosts, ",") {
			return nil, errors.New("want one host:port (for example redis://127.0.0.1:6379/0); several hosts are redis-sentinel:// or redis-cluster://")
		}
		opt, err := asynq.ParseRedisURI(s)
		if err != nil {
			return nil, errors.New("the path must be a database number (redis://host:6379/0)")
		}
		return opt, nil
	case "redis-sentinel":
		addrs, err := hostList(hosts, "26379")
		if err != nil {
			return nil, err
		}
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		master := parts[0]
		if m := u.Query().Get("master"); m != "" && master == "" {
			master = m
		}
		if master == "" {
			return nil, errors.New("name the master: redis-sentinel://h1:26379,h2:26379/mastername[/db]")
		}
		var db int
		if len(parts) > 1 {
			if db, err = strconv.Atoi(parts[1]); err != nil || db < 0 || len(parts) > 2 {
				return nil, errors.New("after the master's name the path holds only a database number: redis-sentinel://h1:26379/mastername/0")
			}
		}
		sentinelPassword := password
		if v, ok := u.Query()["sentinel_password"]; ok {
			sentinelPassword = v[0]
		}
		return asynq.RedisFailoverClientOpt{MasterName: master, SentinelAddrs: addrs, SentinelPassword: sentinelPassword,
			Password: password, DB: db}, nil
	case "redis-cluster", "rediss-cluster":
		addrs, err := hostList(hosts, "6379")
		if err != nil {
			return nil, err
		}
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return nil, errors.New("a Redis Cluster has only database 0: drop the path")
		}
		opt := asynq.RedisClusterClientOpt{Addrs: addrs, Password: password}
		if u.Scheme == "rediss-cluster" {
			h, _, _ := net.SplitHostPort(addrs[0])
			opt.TLSConfig = &tls.Config{ServerName: h}
		}
		return opt, nil
	default:
		return nil, fmt.Errorf("unknown scheme %q: want redis://, rediss://, redis-sentinel:// or redis-cluster://", u.Scheme)
	}
}

// splitHosts parses a URL whose authority may list several hosts (h1:p1,h2,[::1]:p3), which
// net/url refuses: it returns the URL parsed with a placeholder host, and the host list.
func splitHosts(s string) (*url.URL, string, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		u, err := url.Parse(s)
		return u, "", err
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth, tail := rest[:end], rest[end:]
	user, hosts := "", auth
	if i := strings.LastIndex(auth, "@"); i >= 0 {
		user, hosts = auth[:i+1], auth[i+1:]
	}
	u, err := url.Parse(scheme + "://" + user + "placeholder" + tail)
	return u, hosts, err
}

// hostList splits "h1:p1,h2:p2" and gives a bare host the default port.
func hostList(hosts, port string) ([]string, error) {
	var addrs []string
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(h, port)
		}
		addrs = append(addrs, h)
	}
	if len(addrs) == 0 {
		return nil, errors.New("no host: list them as h1:port,h2:port")
	}
	return addrs, nil
}
