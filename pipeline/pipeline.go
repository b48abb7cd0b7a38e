// Package pipeline turns one original into its published outputs: Process runs a job's steps in
// order, each taking what the earlier ones gave. For video and audio:
//
//	brand    the message's campaign and captions, checked before anything is decoded (brandstep.go)
//	probe    ffprobe with allowlists, classify the streams, refuse what is over a limit (package probe)
//	analyze  cheap passes: packet timeline, loudness, idet when the stream claims interlacing (analyze.go)
//	subjects where the artist is over the whole video, for the social crops (package reframe)
//	plan     a pure function of the probe and the analyses, golden-tested, stored in the manifest (package plan)
//	poster   the best analysis frame (scored in Go as the subject analysis sees it), cut from the source at
//	         once and handed to Input.Early, so the artist sees it before the main pass ends (poster.go)
//	encode   the one pass that decodes the source: every encode, crop and still from one ffmpeg
//	finish   preview and HLS from the main pass's own files; caption/vtt (finish.go)
//	verify   every output probed, so the manifest says what was written (verify.go)
//
// then Publish puts the outputs in S3 with the manifest last. The command lines come from package
// ffcmd and run through package run. Photos are one decode in package photo, in a child process
// (photostep.go, photochild.go), their crops framed by the same subject analysis.
//
// It owns the job's steps and the output keys; it must not know about HTTP or the queue.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"runtime"
	"time"

	"slices"

	"github.com/quinte-media/quinte/internal/logs"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/internal/reject"
	"github.com/quinte-media/quinte/pipeline/internal/safe"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
	"github.com/quinte-media/quinte/pipeline/reframe"
	"github.com/quinte-media/quinte/pipeline/reframe/subject"
	"github.com/quinte-media/quinte/pipeline/run"
)

// InputError is an input that will never work: the job fails at once with a reason a person can act
// on. Package photo's refusals are the same type.
type InputError = reject.Error

// Reject returns an InputError.
func Reject(code, format string, a ...any) error {
	return &InputError{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Pipeline runs jobs. It is safe for concurrent use.
type Pipeline struct {
	cfg       Config
	run       run.Runner
	log       *slog.Logger
	subjects  Subjects
	campaigns *brand.Catalogue
}

// Subjects finds where the artist is, in a video or a photo: a *subject.Analyzer, which a worker makes
// once (its face detectors cost ~180 ms each to create) and every job shares.
type Subjects interface {
	Analyze(ctx context.Context, in subject.Input) (*reframe.Track, error)
	PhotoTrack(ctx context.Context, img image.Image) (*reframe.Track, error)
}

// Parts are the long-lived pieces a worker makes once and gives every job.
type Parts struct {
	Subjects  Subjects         // nil: no subject analysis, the social crops are centred
	Campaigns *brand.Catalogue // nil: no campaign exists, and a message naming one fails
}

// New returns a pipeline; limits left at zero get their defaults.
func New(cfg Config, parts Parts, log *slog.Logger) *Pipeline {
	if log == nil {
		log = slog.Default()
	}
	cfg = cfg.withDefaults()
	return &Pipeline{cfg: cfg, run: run.Runner{Grace: 5 * time.Second, Stall: cfg.StallTimeout}, log: log,
		subjects: parts.Subjects, campaigns: parts.Campaigns}
}

// Input is one job's original, already on local disk, and what the message asks of its social outputs.
type Input struct {
	ID      string
	Path    string
	Kind    message.Kind // what the upload's magic bytes said
	WorkDir string       // the job's scratch directory; outputs are written here

	Artist   string // the artist's name, drawn on the campaign's lower-third
	Campaign string // a campaign of the catalogue ("" for none)
	Captions string // a .srt or .vtt on local disk, burned into the video crops and published ("" for none)

	// MaxSeconds is the longest recording the invite the message came with allows (0: none but the
	// configured limit); see InviteLimit.
	MaxSeconds int

	// Progress, when set, is told which step the job is in and how far that step is, as it moves
	// (from the tools' own reads and reports; a few times a second at most). It must not block.
	Progress func(message.Progress)

	// Early, when set, is given the outputs that are finished long before the job: the poster, cut
	// right after the subject analysis and before the main pass, so that it can be published at once.
	// The job goes on meanwhile and its Result lists these files again, unchanged. It must not block:
	// the main pass waits for it to return.
	Early func(ctx context.Context, files []File)
}

// File is one output on local disk, ready to publish.
type File struct {
	message.Output
	Path  string
	Ext   string
	Parts []Part // the other files of a multi-file output (HLS)

	verified bool // probed already (the main pass's files are, while the finishing pass runs)
}

// Part is one file of a multi-file output. Name is its path under the message's folder
// ("hls/720p_000.m4s").
type Part struct {
	Name        string
	Path        string
	ContentType string
}

// Result is everything a job produced.
type Result struct {
	Kind     message.Kind
	Media    *probe.Media
	Plan     *plan.Plan
	Finish   *FinishResult // what the finishing step chose (videos only)
	Files    []File
	Warnings []string
}

// Process runs the steps of a job in order, each taking what the earlier ones gave (steps.go checks
// for cancellation between them, names each in the job's progress, and turns a panic into the job's
// error). A photo is one step in a child process (photostep.go).
func (p *Pipeline) Process(ctx context.Context, in Input) (*Result, error) {
	s := p.start(ctx, in)
	defer s.stop()
	var warn []string
	branding := step(s, "brand", func(context.Context) (*plan.Branding, error) { return p.branding(in, &warn) })
	if in.Kind == message.KindImage {
		res := step(s, "photo", func(ctx context.Context) (*Result, error) { return p.photo(ctx, in) })
		if res != nil {
			res.Warnings = append(warn, res.Warnings...)
		}
		return s.result(res)
	}

	// brand → probe → analyze → subjects → plan → (poster beside) encode → finish → verify
	media := step(s, "probe", func(ctx context.Context) (*probe.Media, error) { return p.probe(ctx, in) })
	s.deadline(media) // once the duration is known, the job gets a deadline that grows with it
	s.do("analyze", func(ctx context.Context) error { return p.analyzeStep(ctx, in, media) })
	seen := newAnalysisFrames() // the subject analysis's frames, measured for the poster as they pass
	extras := step(s, "subjects", func(ctx context.Context) (plan.Extras, error) {
		return p.subjectStep(ctx, in, media, branding, seen, s.progress)
	})
	planned := step(s, "plan", func(context.Context) (*plan.Plan, error) { return plan.New(*media, extras) })
	// The poster is cut beside the main pass: one seek and one frame, while the main pass leaves a core
	// idle now and then; it is handed over (published early) the moment it is written.
	poster := background(s, "poster", func(ctx context.Context) (*posterChoice, error) {
		return p.posterStep(ctx, in, planned, extras.Track, seen)
	})
	s.do("encode", func(ctx context.Context) error { return p.encode(ctx, in, media, planned, s.progress) })
	cut := poster()
	done := step(s, "finish", func(ctx context.Context) (finished, error) {
		return p.finish(ctx, in, planned, branding, cut, s.progress)
	})
	s.do("verify", func(ctx context.Context) error { return p.verify(ctx, done.files, media.Duration) })

	res := &Result{Kind: in.Kind}
	if planned != nil {
		res.Kind, res.Media, res.Plan, res.Finish, res.Files = planned.Kind, media, planned, done.choice, done.files
		res.Warnings = slices.Concat(warn, planned.Warnings, done.warnings)
	}
	return s.result(res)
}

// logger is the logger of the job ctx belongs to (the worker's, which names its message and task), or
// the pipeline's own naming message id when the caller gave none.
func (p *Pipeline) logger(ctx context.Context, id string) *slog.Logger {
	if l := logs.From(ctx, nil); l != nil {
		return l
	}
	return p.log.With("message_id", id)
}

// CodeInternal is the code of a job that hit a bug of quinte's (a recovered panic).
const CodeInternal = "internal_error"

// panicked turns a recovered panic into the job's error, logged with its stack: the same file would
// panic again, so it is not retried, and the message says so instead of the worker dying with it.
func (p *Pipeline) panicked(ctx context.Context, id string, err error) error {
	var pe *safe.PanicError
	if !errors.As(err, &pe) {
		return err
	}
	p.logger(ctx, id).ErrorContext(ctx, "the pipeline panicked on this file", "panic", pe.Value, "stack", string(pe.Stack))
	return &InputError{Code: CodeInternal, Message: "quinte hit a bug on this file and stopped its job (the message id is in the logs); report it, and try exporting the file again in another format", Err: pe}
}

// probe reads the container and refuses, before any decoding, what the gate does not let through.
func (p *Pipeline) probe(ctx context.Context, in Input) (*probe.Media, error) {
	pr, err := p.ffprobe().Upload(ctx, in.Path)
	if err != nil {
		var ee *run.ExecError
		if errors.As(err, &ee) && ctx.Err() == nil && ee.Signal == "" {
			return nil, probe.Refusal(ee.Tail)
		}
		return nil, err
	}
	m := probe.Classify(pr)
	if m.Kind == "" {
		return nil, Reject("no_media_streams", "the file has no video or audio stream that quinte can use")
	}
	if err := p.cfg.limits().Check(&m); err != nil {
		return nil, err
	}
	if err := probe.InviteLimit(m.Duration, in.MaxSeconds); err != nil {
		return nil, err
	}
	return &m, nil
}

// analyzeStep measures into m what the probe cannot say (analyze.go).
func (p *Pipeline) analyzeStep(ctx context.Context, in Input, m *probe.Media) error {
	if err := classifyFFmpeg(ctx, p.analyze(ctx, in.Path, m)); err != nil {
		return err
	}
	return probe.InviteLimit(m.Duration, in.MaxSeconds) // a browser's WebM says its length only now
}

// ffprobe is the job's ffprobe, with the pipeline's runner.
func (p *Pipeline) ffprobe() probe.FFprobe { return probe.FFprobe{Run: p.run, Bin: p.cfg.FFprobe} }

func (p *Pipeline) settings() ffcmd.Settings {
	return ffcmd.Settings{Preset: p.cfg.Preset, CRF: p.cfg.CRF}
}

// encode is the one pass that decodes the source.
func (p *Pipeline) encode(ctx context.Context, in Input, m *probe.Media, pl *plan.Plan, progress *run.Progress) error {
	var args []string
	frames := 0
	switch {
	case pl.Video != nil:
		if err := ffcmd.Prepare(pl.Video, in.WorkDir); err != nil {
			return err
		}
		var err error
		if args, err = ffcmd.VideoCommand(pl.Video, in.Path, in.WorkDir, p.settings()); err != nil {
			return err
		}
		frames = pl.Video.Frames
	case pl.Audio != nil:
		if err := ffcmd.WriteAudiogramOverlays(pl.Audio, in.WorkDir); err != nil {
			return err
		}
		args, frames = ffcmd.AudioCommand(pl.Audio, in.Path, in.WorkDir, p.settings()), pl.Audio.Frames
	}
	run := p.run.Measured(progress.Meter(in.Path, m.Duration))
	errs, err := run.FFmpeg(ctx, p.cfg.FFmpeg, args)
	if err != nil {
		return classifyFFmpeg(ctx, err)
	}
	// A clean exit is not proof: a misread stream can "decode" with hundreds of errors and exit 0.
	if errs > max(20, frames/50) {
		return Reject("corrupt_stream", "the file decoded with %d errors: it is damaged; export or record it again", errs)
	}
	return nil
}

// classifyFFmpeg decides whether a failed ffmpeg run is the input's fault (never retried) or the
// machine's (retried): a clean non-zero exit on a readable probe means the streams cannot be decoded.
func classifyFFmpeg(ctx context.Context, err error) error {
	var ee *run.ExecError
	if err == nil || ctx.Err() != nil || !errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, run.ErrStalled) {
		return &InputError{Code: "stalled", Message: "ffmpeg stopped making progress on this file", Err: err}
	}
	if ee.Signal != "" || isResourceTrouble(ee.Tail) {
		return err
	}
	if ee.Code == 69 {
		return &InputError{Code: "corrupt_stream", Message: "more than a tenth of the frames could not be decoded: the file is damaged (" + probe.CleanTail(ee.Tail) + ")"}
	}
	return &InputError{Code: "undecodable", Message: "the file could not be transcoded (" + probe.CleanTail(ee.Tail) + ")"}
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
	case "m4s":
		return "video/iso.segment"
	}
	return "application/octet-stream"
}

// JobTimeout is how long the work on a file of this many seconds may take: generous (a few times
// slower than real time on two cores), since the stall watchdog is what catches a stuck ffmpeg.
func JobTimeout(seconds float64) time.Duration {
	return 2*time.Minute + time.Duration(seconds*20)*time.Second
}

// DefaultConcurrency is one job per two cores: each ffmpeg pass already uses every core. The cores are
// those the process may use (GOMAXPROCS, which follows a container's CPU limit), not the host's.
func DefaultConcurrency() int { return max(1, runtime.GOMAXPROCS(0)/2) }
