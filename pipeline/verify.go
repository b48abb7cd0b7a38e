package pipeline

import (
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"strings"

	"github.com/quinte-media/quinte/pipeline/internal/safe"
	"github.com/quinte-media/quinte/pipeline/probe"
	"golang.org/x/image/webp"
	"golang.org/x/sync/errgroup"
)

// verify probes every output and fills in what it found, so the manifest states what was really written, not what was meant. A
// planned output that is missing or empty fails the job (a bug or a full disk, retried), never a
// silently shorter manifest.
// Files verified already are left as they are.
func (p *Pipeline) verify(ctx context.Context, files []File, duration float64) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := range files {
		f := &files[i]
		if f.verified {
			continue
		}
		g.Go(safe.Func(func() error {
			if err := p.verifyFile(gctx, f, duration); err != nil {
				return err
			}
			f.verified = true
			return nil
		}))
	}
	return g.Wait()
}

func (p *Pipeline) verifyFile(ctx context.Context, f *File, duration float64) error {
	fi, err := os.Stat(f.Path)
	if err != nil || fi.Size() == 0 {
		return fmt.Errorf("output %s was not written", f.Name)
	}
	f.Size = fi.Size()
	for _, part := range f.Parts {
		if pi, err := os.Stat(part.Path); err != nil || pi.Size() == 0 {
			return fmt.Errorf("output %s: part %s was not written", f.Name, part.Name)
		}
	}
	switch f.Ext {
	case ".vtt":
		return nil
	case ".m3u8":
		f.Duration = round3(duration)
		return nil
	case ".jpg", ".webp":
		// Stills are read by their headers in Go: a dozen ffprobe runs cost more than the checks.
		c, err := stillSize(f.Path, f.Ext)
		if err != nil {
			return fmt.Errorf("output %s: %w", f.Name, err)
		}
		f.Width, f.Height = c.Width, c.Height
		return nil
	}
	pr, err := p.ffprobe().Own(ctx, f.Path)
	if err != nil {
		return fmt.Errorf("output %s: %w", f.Name, err)
	}
	m := probe.Classify(pr)
	if m.Video != nil {
		f.Width, f.Height = m.Video.DisplayWidth, m.Video.DisplayHeight
	}
	f.Duration = round3(m.Duration)
	return nil
}

// uniqueNames checks that no two outputs share a name: the name is what people and the API ask for, and
// the key it is published under.
func uniqueNames(files []File) error {
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		if seen[f.Name] {
			return fmt.Errorf("two outputs are named %s", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// stillSize reads a JPEG's or a WebP's size from its header.
func stillSize(path, ext string) (image.Config, error) {
	r, err := os.Open(path)
	if err != nil {
		return image.Config{}, err
	}
	defer r.Close()
	if ext == ".webp" {
		return webp.DecodeConfig(r)
	}
	return jpeg.DecodeConfig(r)
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
