// Package pipeline turns one original into its published outputs: probe the input, build a plan (which
// outputs, which filters, and why), execute it (one ffmpeg pass for video, one decode for photos),
// verify every output, then publish them to S3 with the manifest written last.
//
// It owns the ffmpeg and imaging work and the output keys; it must not know about HTTP or the queue.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/quinte-media/quinte/message"
)

// Config tunes the pipeline.
type Config struct {
	FFmpeg         string        `yaml:"ffmpeg"`
	FFprobe        string        `yaml:"ffprobe"`
	Preset         string        `yaml:"preset"`
	CRF            int           `yaml:"crf"`
	MaxPhotoPixels int64         `yaml:"max_photo_pixels"`
	StallTimeout   time.Duration `yaml:"stall_timeout"`
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.FFmpeg == "" || c.FFprobe == "" {
		errs = append(errs, errors.New("QUINTE_FFMPEG and QUINTE_FFPROBE must name the ffmpeg and ffprobe programs"))
	}
	if c.CRF < 0 || c.CRF > 51 {
		errs = append(errs, fmt.Errorf("QUINTE_X264_CRF %d is outside 0..51", c.CRF))
	}
	if c.MaxPhotoPixels <= 0 {
		errs = append(errs, errors.New("QUINTE_MAX_PHOTO_PIXELS must be positive"))
	}
	return errors.Join(errs...)
}

// InputError is an input that will never work: the job fails at once with a reason a person can act on.
type InputError struct {
	Code    string
	Message string
	Err     error
}

func (e *InputError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *InputError) Unwrap() error { return e.Err }

// Reject returns an InputError.
func Reject(code, format string, a ...any) error {
	return &InputError{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Pipeline runs jobs. It is safe for concurrent use.
type Pipeline struct {
	cfg Config
	run runner
	log *slog.Logger
}

// New returns a pipeline.
func New(cfg Config, log *slog.Logger) *Pipeline {
	if log == nil {
		log = slog.Default()
	}
	return &Pipeline{cfg: cfg, run: runner{Grace: 5 * time.Second, Stall: cfg.StallTimeout}, log: log}
}

// Input is one job's original, already on local disk.
type Input struct {
	ID      string
	Path    string
	Kind    message.Kind // what the upload's magic bytes said
	WorkDir string       // the job's scratch directory; outputs are written here
}

// File is one output on local disk, ready to publish.
type File struct {
	message.Output
	Path string
	Ext  string
}

// Result is everything a job produced.
type Result struct {
	Kind     message.Kind
	Media    *Media
	Plan     *Plan
	Files    []File
	Warnings []string
}

// job is the state passed from step to step.
type job struct {
	in  Input
	res *Result
}

// step is one stage of a job.
type step struct {
	name string
	run  func(context.Context, *job) error
}

// Process runs every step of the job in order, checking for cancellation between steps.
func (p *Pipeline) Process(ctx context.Context, in Input) (*Result, error) {
	j := &job{in: in, res: &Result{Kind: in.Kind}}
	var steps []step
	if in.Kind == message.KindImage {
		steps = []step{{"photo", p.photo}}
	} else {
		steps = []step{{"probe", p.probe}, {"encode", p.encode}, {"verify", p.verify}}
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.name == "encode" && j.res.Media != nil {
			// Once the duration is known, the job gets a deadline that grows with it.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, JobTimeout(j.res.Media.Duration))
			defer cancel()
		}
		start := time.Now()
		if err := s.run(ctx, j); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		p.log.DebugContext(ctx, "step done", "message_id", in.ID, "step", s.name, "took", time.Since(start))
	}
	return j.res, nil
}

func (p *Pipeline) probe(ctx context.Context, j *job) error {
	pr, err := p.Probe(ctx, j.in.Path)
	if err != nil {
		var ee *ExecError
		if errors.As(err, &ee) && ctx.Err() == nil {
			return &InputError{Code: "unreadable_media", Message: "the file could not be read as video or audio (" + ee.Tail + ")"}
		}
		return err
	}
	m := Classify(pr)
	plan, err := PlanMedia(m)
	if err != nil {
		return err
	}
	j.res.Media, j.res.Plan, j.res.Kind = &m, plan, plan.Kind
	return nil
}

func (p *Pipeline) encode(ctx context.Context, j *job) error {
	e := encodeSettings{Preset: p.cfg.Preset, CRF: p.cfg.CRF}
	plan := j.res.Plan
	var args []string
	switch {
	case plan.Video != nil:
		var files map[string]string
		args, files = videoCommand(plan.Video, j.in.Path, j.in.WorkDir, e)
		for _, o := range plan.Video.Outputs {
			j.res.Files = append(j.res.Files, File{
				Output: message.Output{Name: o.Name, Role: o.Role, Mode: o.Mode, ContentType: contentType(o.Format)},
				Path:   files[o.Name], Ext: "." + o.Format,
			})
		}
	case plan.Audio != nil:
		var file string
		args, file = audioCommand(plan.Audio, j.in.Path, j.in.WorkDir, e)
		j.res.Files = append(j.res.Files, File{
			Output: message.Output{Name: plan.Audio.Name, Role: message.RoleRendition, ContentType: "audio/mp4"},
			Path:   file, Ext: ".m4a",
		})
	}
	err := p.run.FFmpeg(ctx, p.cfg.FFmpeg, args, nil)
	return classifyFFmpeg(ctx, err)
}

// classifyFFmpeg decides whether a failed ffmpeg run is the input's fault (never retried) or the
// machine's (retried): a clean non-zero exit on a readable probe means the streams cannot be decoded.
func classifyFFmpeg(ctx context.Context, err error) error {
	var ee *ExecError
	if err == nil || ctx.Err() != nil || !errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, ErrStalled) {
		return &InputError{Code: "stalled", Message: "ffmpeg stopped making progress on this file", Err: err}
	}
	if ee.Signal != "" || isResourceTrouble(ee.Tail) {
		return err
	}
	return &InputError{Code: "undecodable", Message: "the file could not be transcoded (" + ee.Tail + ")"}
}

func isResourceTrouble(tail string) bool {
	for _, s := range []string{"No space left", "Cannot allocate memory", "Too many open files", "Resource temporarily unavailable"} {
		if containsFold(tail, s) {
			return true
		}
	}
	return false
}

func contentType(format string) string {
	switch format {
	case "mp4":
		return "video/mp4"
	case "jpg":
		return "image/jpeg"
	case "webp":
		return "image/webp"
	case "m4a":
		return "audio/mp4"
	case "vtt":
		return "text/vtt"
	case "m3u8":
		return "application/vnd.apple.mpegurl"
	}
	return "application/octet-stream"
}

// JobTimeout is how long the work on a file of this many seconds may take: generous (a few times
// slower than real time on two cores), since the stall watchdog is what catches a stuck ffmpeg.
func JobTimeout(seconds float64) time.Duration {
	return 2*time.Minute + time.Duration(seconds*20)*time.Second
}

// DefaultConcurrency is one job per two cores: each ffmpeg pass already uses every core.
func DefaultConcurrency() int { return max(1, runtime.NumCPU()/2) }
