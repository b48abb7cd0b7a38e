package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/quinte-media/quinte/message"
)

// Publisher is the part of the bucket that publishing needs.
type Publisher interface {
	PutFile(ctx context.Context, key, path, contentType string) (int64, error)
	PutJSON(ctx context.Context, key string, v any) error
}

// Publish uploads every output to its deterministic key, then writes the manifest. Until the manifest
// exists nothing is visible, and a retried job overwrites the same keys with the same files. The keys
// in published were uploaded already, from the same files (Input.Early): they are listed, not sent
// again.
func Publish(ctx context.Context, s Publisher, id string, res *Result, published map[string]bool) (*message.Manifest, error) {
	man := &message.Manifest{ID: id, Kind: res.Kind, Warnings: res.Warnings, Plan: res.Plan, PublishedAt: time.Now().UTC()}
	if res.Media != nil {
		man.Probe = res.Media
	}
	if res.Finish != nil {
		man.Finish = res.Finish
	}
	for _, f := range res.Files {
		o := f.Output
		// The parts first (segments, variant playlists), the file that names them last.
		for _, part := range f.Parts {
			key := message.OutputPrefix(id) + part.Name
			if _, err := s.PutFile(ctx, key, part.Path, part.ContentType); err != nil {
				return nil, fmt.Errorf("publish %s: %w", part.Name, err)
			}
			o.Parts = append(o.Parts, key)
		}
		o.Key = message.OutputKey(id, f.Name, f.Ext)
		if published[o.Key] && len(f.Parts) == 0 {
			man.Outputs = append(man.Outputs, o)
			continue
		}
		if _, err := s.PutFile(ctx, o.Key, f.Path, f.ContentType); err != nil {
			return nil, fmt.Errorf("publish %s: %w", f.Name, err)
		}
		man.Outputs = append(man.Outputs, o)
	}
	if err := s.PutJSON(ctx, message.ManifestKey(id), man); err != nil {
		return nil, fmt.Errorf("publish manifest: %w", err)
	}
	return man, nil
}
