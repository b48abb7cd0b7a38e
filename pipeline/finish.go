package pipeline

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/internal/safe"
	"github.com/quinte-media/quinte/pipeline/output"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
	"github.com/quinte-media/quinte/pipeline/run"
	"golang.org/x/sync/errgroup"
)

// The finishing pass makes what needs the whole clip first, from files the main pass wrote, without
// decoding the source again (the poster is made before the main pass: poster.go):
//   - the preview: the liveliest 3 seconds cut from the smallest rendition (at most 480p, so decoding
//     3 seconds of it costs far less than one more pass over a 4K HDR source would);
//   - HLS: the rendition MP4s remuxed (-c copy) into fMP4 segments. A remux reads and writes bytes
//     only; the tee muxer could write the segments during the main pass instead, but a remux keeps the
//     main command the same whether or not HLS is wanted, and the hls muxer then writes the master
//     playlist with every variant's bandwidth and resolution.
//
// The motion that places the preview comes from the small grey frames the main pass writes as it goes
// (score.go): measuring it in a pre-analysis would decode the video a second time. When no subject
// analysis chose the poster, the poster is chosen from those frames too and cut from the source here.

// writeCaptions writes the supplied captions as the caption/vtt output, when there are some.
func writeCaptions(b *plan.Branding, dir string) error {
	if b == nil || len(b.Cues) == 0 {
		return nil
	}
	return os.WriteFile(ffcmd.OutputFile(dir, plan.CaptionName, ".vtt"), brand.WebVTT(b.Cues), 0o644)
}

// storyboardVTT is the WebVTT that maps each stretch of the clip to its tile of the sprite (players such
// as video.js and Plyr read "sprite.jpg#xywh=x,y,w,h"). The sprite is named relative to the VTT: both are
// published under messages/{id}/storyboard/.
func storyboardVTT(sb plan.StoryboardPlan, duration float64) []byte {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	for i := 0; i < sb.Count; i++ {
		start := float64(i) * sb.Interval
		if start >= duration && i > 0 {
			break
		}
		end := min(duration, start+sb.Interval)
		x, y := (i%sb.Cols)*sb.Tile.W, (i/sb.Cols)*sb.Tile.H
		fmt.Fprintf(&b, "\n%s --> %s\nsprite.jpg#xywh=%d,%d,%d,%d\n", vttTime(start), vttTime(end), x, y, sb.Tile.W, sb.Tile.H)
	}
	return []byte(b.String())
}

func vttTime(s float64) string {
	ms := int64(s*1000 + 0.5)
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// hlsParts lists the HLS files the finishing pass wrote, other than the master playlist, with their
// content types.
func hlsParts(dir string) ([]Part, error) {
	entries, err := os.ReadDir(ffcmd.JobFile(dir, ffcmd.HLSDir))
	if err != nil {
		return nil, err
	}
	var parts []Part
	for _, e := range entries {
		name := e.Name()
		if name == "master.m3u8" || e.IsDir() {
			continue
		}
		ct := contentType(strings.TrimPrefix(filepath.Ext(name), "."))
		if ct == "application/octet-stream" {
			return nil, fmt.Errorf("unexpected HLS file %s", name)
		}
		parts = append(parts, Part{Name: ffcmd.HLSDir + "/" + name, Path: filepath.Join(dir, ffcmd.HLSDir, name), ContentType: ct})
	}
	return parts, nil
}

// FinishResult is what the job decided from the frames it looked at: the poster's frame and the
// preview's start. It is the run's own result, kept out of the plan: the plan is what was decided before
// anything ran, and stays as planned (the manifest lists this next to it, as finish).
type FinishResult struct {
	PosterFrame  int     `json:"poster_frame"`          // output frame number
	PosterScore  float64 `json:"poster_score"`          // of the chosen frame (score.go)
	PosterFace   bool    `json:"poster_face,omitempty"` // the subject analysis found a face in it
	PosterFrom   string  `json:"poster_from"`           // PosterFromSubjects or PosterFromGrey
	PreviewStart float64 `json:"preview_start"`
}

// Where the poster's frame was chosen: among the subject analysis's frames (and published before the
// main pass), or among the main pass's grey frames when there was no subject analysis.
const (
	PosterFromSubjects = "subjects"
	PosterFromGrey     = "grey"
)

// finished is what the finishing step gives: what it chose (videos only), the job's files, and what
// the people downloading them should know.
type finished struct {
	choice   *FinishResult
	files    []File
	warnings []string
}

// finish scores the grey frames, runs the finishing pass, writes the storyboard's VTT and the captions,
// and lists the job's files. poster is the frame the poster step cut (nil: it cut none, and the poster
// is chosen and cut here).
func (p *Pipeline) finish(ctx context.Context, in Input, pl *plan.Plan, b *plan.Branding, poster *posterChoice, progress *run.Progress) (finished, error) {
	dir := in.WorkDir
	if err := writeCaptions(b, dir); err != nil {
		return finished{}, err
	}
	if pl.Audio != nil {
		return finished{files: plannedFiles(pl.Audio.Outputs, dir)}, nil
	}
	vp := pl.Video
	stats, err := readGrey(ffcmd.JobFile(dir, ffcmd.GreyFile), vp.Grey)
	if err != nil {
		return finished{}, err
	}
	var done finished
	rate := probe.ParseRatio(vp.FrameRate)
	from := PosterFromSubjects
	if poster == nil {
		c := pickPoster(stats, nil)
		if _, err := p.cutPoster(ctx, in, vp, float64(c.Frame)/rate); err != nil {
			return finished{}, err
		}
		poster, from = &c, PosterFromGrey
	}
	if poster.Dark {
		done.warnings = append(done.warnings, "the video is dark throughout: the poster is its best frame, but it is dark too")
	}
	start := liveliest(stats, rate, vp.Preview.Seconds, vp.Duration)
	done.choice = &FinishResult{PosterFrame: poster.Frame, PosterScore: poster.Score, PosterFace: poster.Face, PosterFrom: from,
		PreviewStart: math.Round(start*1000) / 1000}

	// The main pass's files are verified while the finishing pass runs: its two processes have
	// single-threaded encoders, and the probes fill the gaps they leave.
	done.files = plannedFiles(vp.Outputs, dir)
	var made []File // the main pass's and the poster's, verified beside the finishing pass
	for _, f := range done.files {
		if !finishWrites(f) {
			made = append(made, f)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(safe.Func(func() error {
		if err := p.verify(gctx, made, vp.Duration); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		return nil
	}))
	for i, args := range ffcmd.FinishCommands(vp, dir, start, p.settings()) {
		run := p.run
		if i == 0 { // the MP4 and HLS: the one whose progress is shown
			run = p.run.Measured(progress.Meter("", vp.Duration))
		}
		g.Go(safe.Func(func() error {
			_, err := run.FFmpeg(gctx, p.cfg.FFmpeg, args)
			return err // the inputs are quinte's own files: a failure here is not the upload's fault
		}))
	}
	if err := g.Wait(); err != nil {
		return finished{}, err
	}
	if err := os.WriteFile(ffcmd.OutputFile(dir, "storyboard/vtt", ".vtt"), storyboardVTT(vp.Storyboard, vp.Duration), 0o644); err != nil {
		return finished{}, err
	}
	verified := map[string]File{}
	for _, f := range made {
		verified[f.Name] = f
	}
	for i := range done.files {
		if f, ok := verified[done.files[i].Name]; ok {
			done.files[i] = f
		}
	}
	for i := range done.files {
		f := &done.files[i]
		if f.Role == message.RoleHLS {
			f.Path = filepath.Join(dir, ffcmd.HLSDir, "master.m3u8")
			if f.Parts, err = hlsParts(dir); err != nil {
				return finished{}, err
			}
		}
	}
	return done, nil
}

// finishWrites says whether the finishing step writes f (the preview, HLS, the storyboard's and the
// captions' VTT), so that it cannot be verified before.
func finishWrites(f File) bool {
	return strings.HasPrefix(f.Name, "preview/") || f.Role == message.RoleHLS || f.Ext == ".vtt"
}

// plannedFiles are the outputs of a plan as files of the job's directory.
func plannedFiles(outs []output.Planned, dir string) []File {
	var files []File
	for _, o := range outs {
		files = append(files, File{
			Output: message.Output{Name: o.Name, Role: o.Role, Mode: o.Mode, Width: o.Width, Height: o.Height, ContentType: contentType(o.Format)},
			Path:   ffcmd.OutputFile(dir, o.Name, "."+o.Format), Ext: "." + o.Format,
		})
	}
	return files
}
