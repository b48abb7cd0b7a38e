package pipeline

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// verify probes every output, so the manifest states what was really written, not what was meant.
func (p *Pipeline) verify(ctx context.Context, j *job) error {
	for i := range j.res.Files {
		f := &j.res.Files[i]
		fi, err := os.Stat(f.Path)
		if err != nil || fi.Size() == 0 {
			return fmt.Errorf("output %s was not written", f.Name)
		}
		f.Size = fi.Size()
		pr, err := p.Probe(ctx, f.Path)
		if err != nil {
			return fmt.Errorf("output %s: %w", f.Name, err)
		}
		m := Classify(pr)
		if m.Video != nil {
			f.Width, f.Height = m.Video.DisplayWidth, m.Video.DisplayHeight
		}
		if f.Ext != ".jpg" && f.Ext != ".webp" {
			f.Duration = round3(m.Duration)
		}
	}
	return nil
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
