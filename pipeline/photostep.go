package pipeline

import (
	"context"
	"image"
	"log/slog"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// photo is the step of an image message: package photo does the work in a child process
// (photochild.go: a crash, a runaway allocation or a hang there fails this job alone), with the four
// social crops framed here around the subject by the video's detector and rules.
func (p *Pipeline) photo(ctx context.Context, in Input) (*Result, error) {
	req := photoRequest{Path: in.Path, WorkDir: in.WorkDir, MaxPixels: p.cfg.MaxPhotoPixels, FFmpeg: p.cfg.FFmpeg,
		Aspects: reframe.SocialAspects(), AnalysisLong: reframe.DefaultConfig().AnalysisLong, MemoryLimit: p.cfg.PhotoMemoryLimit,
		Preset: p.cfg.Preset, CRF: p.cfg.CRF, Stall: p.cfg.StallTimeout}
	var small []string
	res, err := p.runPhotoChild(ctx, req, subjectFramer{subjects: p.subjects, log: p.logger(ctx, in.ID), small: &small})
	if err != nil {
		return nil, err // a refused or crashing photo is already an InputError
	}
	out := &Result{Kind: message.KindImage, Plan: &plan.Plan{Kind: message.KindImage, Photo: res.Plan, Why: res.Plan.Why}, Warnings: small}
	for _, f := range res.Files {
		out.Files = append(out.Files, File{Output: f.Output, Path: f.Path, Ext: f.Ext})
	}
	return out, nil
}

// subjectFramer frames a photo's crops as the video's are framed: the subject found by the same
// detector (faces, else saliency, else the centre), the same fill and fit rules. Without subject
// analysis, or when it fails, the crops are planned around the centre: a crop is never worth failing a
// message.
type subjectFramer struct {
	subjects Subjects
	log      *slog.Logger
	small    *[]string // the crops the photo is too small for, said in the message's warnings (nil: not said)
}

// frame plans the crops of a photo of the given size from small, the photo at the analysis size.
func (f subjectFramer) frame(ctx context.Context, small image.Image, size geom.Size, aspects []geom.Aspect) ([]geom.Framing, error) {
	var tr *reframe.Track
	note := ""
	if f.subjects == nil {
		note = "no subject analysis: "
	} else if t, err := f.subjects.PhotoTrack(ctx, small); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		f.log.WarnContext(ctx, "subject analysis of the photo failed; its crops are centred", "err", err)
		note = "the subject analysis failed: "
	} else {
		tr = t
	}
	out := reframe.PhotoCrops(tr, size, aspects, reframe.DefaultConfig())
	for i, p := range out {
		out[i].Why = note + p.Why
		if p.Small != "" && f.small != nil {
			*f.small = append(*f.small, p.Small)
		}
	}
	return out, nil
}
