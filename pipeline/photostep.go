package pipeline

import (
	"context"
	"errors"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/photo"
)

// photo is the step of an image message: package photo does the work (its other limits keep their
// documented defaults).
func (p *Pipeline) photo(ctx context.Context, j *job) error {
	cfg := photo.Config{MaxPixels: p.cfg.MaxPhotoPixels, FFmpeg: p.cfg.FFmpeg}
	plan, files, err := photo.Process(ctx, cfg, j.in.Path, j.in.WorkDir)
	var pe *photo.Error
	if errors.As(err, &pe) {
		return &InputError{Code: pe.Code, Message: pe.Message, Err: pe.Err}
	}
	if err != nil {
		return err
	}
	j.res.Kind = message.KindImage
	j.res.Plan = &Plan{Kind: message.KindImage, Photo: plan, Why: plan.Why}
	for _, f := range files {
		j.res.Files = append(j.res.Files, File{Output: f.Output, Path: f.Path, Ext: f.Ext})
	}
	return nil
}
