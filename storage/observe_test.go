package storage

import (
	"context"
	"fmt"
	"net"
	"testing"
)

// An S3 that does not answer: every failed operation is counted once under its name, after the
// client's retries; a context the caller cancelled is not the storage's failure.
func TestCountErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	counted := map[string]int{}
	s, err := New(Config{Endpoint: "http://" + addr, Bucket: "quinte", AccessKey: "k", SecretKey: "s"},
		CountErrors(func(op string) { counted[op]++ }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Exists(ctx, "a"); err == nil {
		t.Fatal("Exists on a dead S3 did not fail")
	}
	if err := s.PutJSON(ctx, "b", 1); err == nil {
		t.Fatal("PutJSON on a dead S3 did not fail")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, _ = s.Exists(cancelled, "c")
	if fmt.Sprint(counted) != "map[HeadObject:1 PutObject:1]" {
		t.Errorf("counted %v, want one HeadObject and one PutObject", counted)
	}
}
