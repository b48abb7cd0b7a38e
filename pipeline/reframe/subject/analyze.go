package subject

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quinte-media/quinte/pipeline/face"
	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/internal/proc"
	"github.com/quinte-media/quinte/pipeline/internal/safe"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// FaceFinder finds faces in a grey picture; *face.Pool is the real one. Size is how many searches
// may run at once.
type FaceFinder interface {
	Detect(ctx context.Context, g *image.Gray, zoom face.Zoom) ([]face.Box, error)
	Size() int
}

// Analyzer builds subject tracks. It is safe for concurrent use when its FaceFinder is.
type Analyzer struct {
	cfg   reframe.Config
	faces FaceFinder
}

// NewAnalyzer returns an analyzer that finds faces with faces (a worker shares one face.Pool).
func NewAnalyzer(cfg reframe.Config, faces FaceFinder) *Analyzer {
	return &Analyzer{cfg: cfg, faces: faces}
}

// Input is the video to analyse.
type Input struct {
	FFmpeg      string        // the ffmpeg program
	InputArgs   []string      // options before -i: the caller's allowlists (default: the file protocol only)
	Path        string        // the original on local disk
	VideoStream int           // index of the video stream to follow
	Display     geom.Size     // the picture as shown: rotation applied, square pixels
	Duration    float64       // seconds, from the probe (0 if unknown: sampling then uses the configured rate)
	WorkDir     string        // the job's scratch directory (ffmpeg writes the shot cuts there)
	Stall       time.Duration // the analysis stops when ffmpeg sends and reads nothing this long (0: only ctx stops it)
	Progress    func(float64) // told the share of the expected frames analysed so far (nil: nobody asked)

	// Frame, when set, is given the grey picture of each analysed frame (the i-th sample, at i/Rate
	// seconds) before its face search, so that the caller can measure it (the poster's choice) without
	// decoding the video again. It is called from several goroutines at once and must not keep g.
	Frame func(i int, g *image.Gray)
}

// Analyze decodes the video once more at low resolution, a few frames per second, and returns its
// subject track. ffmpeg autorotates and scales to the display shape, so the track is in display
// orientation; shot cuts come from ffmpeg's scdet run at the full frame rate in the same decode.
func (a *Analyzer) Analyze(ctx context.Context, in Input) (*reframe.Track, error) {
	if in.Display.W < 16 || in.Display.H < 16 {
		return nil, fmt.Errorf("analyse %dx%d picture: too small", in.Display.W, in.Display.H)
	}
	size := analysisSize(in.Display, a.cfg.AnalysisLong)
	rate := sampleRate(a.cfg, in.Duration)
	cutsFile := cutsPath(in)
	args := a.Command(in)
	run, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	cmd, stderr := command(run, in.FFmpeg, args)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", in.FFmpeg, err)
	}
	w := proc.NewWatchdog(in.Stall, func() { stop(errStalled) })
	defer w.Stop()
	w.Follow(cmd)
	var frames io.Reader = out
	if w != nil {
		frames = w.Reader(out)
	}
	expected := int(math.Ceil(in.Duration * rate))
	// A face search under way is progress too: while the searches lag, ffmpeg waits on a full pipe and
	// moves nothing, and must not be taken for stalled (a slow search on a busy machine takes seconds).
	searched := func(n int) {
		if in.Progress != nil && expected > 0 {
			in.Progress(float64(n) / float64(expected))
		}
	}
	obs, upsampled, readErr := a.observe(run, bufio.NewReaderSize(frames, 1<<20), size, rate, expected, w.Kick, searched, in.Frame)
	if readErr != nil {
		_ = cmd.Cancel()
	}
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(context.Cause(run), errStalled):
		return nil, fmt.Errorf("subject analysis: %w for %s", errStalled, in.Stall)
	case readErr != nil:
		return nil, fmt.Errorf("analyse frames: %w", readErr)
	case waitErr != nil:
		return nil, toolError("ffmpeg (subject analysis)", waitErr, stderr)
	case len(obs) == 0:
		return nil, errors.New("subject analysis: ffmpeg returned no frame")
	}
	cuts, err := readCuts(cutsFile)
	if err != nil {
		return nil, err
	}
	dur := in.Duration
	if last := obs[len(obs)-1].T + 1/rate; dur <= 0 || dur < last-1/rate {
		dur = last
	}
	tr := reframe.NewTrack(size, rate, dur, cuts, obs, a.cfg)
	tr.Upsampled = upsampled
	return tr, nil
}

// Command is the ffmpeg argv (without the program) that Analyze runs for in: raw frames to stdout,
// shot cuts to a file in in.WorkDir. The benchmark runs it bare, beside the plan's own passes.
func (a *Analyzer) Command(in Input) []string {
	return ffcmd.SubjectCommand(ffcmd.SubjectDecode{Path: in.Path, Stream: in.VideoStream, InputArgs: in.InputArgs,
		Size: analysisSize(in.Display, a.cfg.AnalysisLong), Rate: sampleRate(a.cfg, in.Duration), Scene: a.cfg.SceneThreshold, CutsFile: cutsPath(in)})
}

func cutsPath(in Input) string { return filepath.Join(in.WorkDir, "reframe_cuts.txt") }

// maxSampleRate bounds the dense sampling of short clips: beyond it, frames barely differ.
const maxSampleRate = 15

// sampleRate is how many frames per second are analysed: the configured rate, raised for short clips
// (a face turning within a second would otherwise be seen in 4 frames) and lowered for long ones.
func sampleRate(cfg reframe.Config, duration float64) float64 {
	rate := cfg.SampleRate
	if duration <= 0 {
		return rate
	}
	if duration*rate < float64(cfg.MinSamples) {
		rate = math.Min(math.Max(rate, maxSampleRate), float64(cfg.MinSamples)/duration)
	}
	if duration*rate > float64(cfg.MaxSamples) {
		rate = float64(cfg.MaxSamples) / duration
	}
	return math.Round(rate*1000) / 1000
}

// analysisSize is the display shape with its long side at most long, even sizes (4:2:0 planes).
func analysisSize(d geom.Size, long int) geom.Size {
	return geom.FitLong(d, long)
}

// observe reads raw frames from r in runs of about a second (runLength) and searches the runs on as
// many goroutines as the face finder allows. searching is called every half second while a search
// runs, searched with how many frames have been searched so far, after each one; frame (when not nil)
// is shown each frame first (Input.Frame).
//
// A run's first frame is searched whole. Each next frame is searched only around the faces of the
// frame before it (follow), at the zoom their size asks for, which costs a fraction of a whole search;
// when that finds none, the frame is searched whole. A frame whose run has lost every face is not
// searched, and falls back to saliency: a face that enters the picture is found at the next run's
// first frame, within a second. A first frame with no face at the plain size is searched at twice the
// size around the faces of the run before's first frame, then whole (small faces: the whole picture
// at twice the size costs as much as a dozen searches around a face). Which search a frame gets
// depends only on the frames before it, so the track is the same however the goroutines are
// scheduled.
func (a *Analyzer) observe(ctx context.Context, r io.Reader, size geom.Size, rate float64, expected int, searching func(), searched func(n int), frame func(int, *image.Gray)) ([]reframe.Observation, int, error) {
	frameBytes := size.W * size.H * 3 / 2
	workers := max(1, min(a.faces.Size(), runtime.GOMAXPROCS(0))) // the CPUs this process may use
	stride := 1
	if a.cfg.MaxUpsampled > 0 && expected > a.cfg.MaxUpsampled {
		stride = (expected + a.cfg.MaxUpsampled - 1) / a.cfg.MaxUpsampled
	}
	type run struct {
		first         int
		frames        [][]byte
		before, faces *firstFaces // the first frame's faces of the run before (nil for the first run), and of this one
	}
	runs := make(chan run, workers)
	var (
		mu        sync.Mutex
		obs       = map[int]reframe.Observation{}
		firstErr  error
		upsampled atomic.Int64
		wg        sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var inFlight atomic.Int64
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if inFlight.Load() > 0 {
					searching()
				}
			}
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ru := range runs {
				var last []face.Box // the faces of the frame before, in this run
				before := func() []face.Box { return ru.before.wait(ctx) }
				for k, pix := range ru.frames {
					i := ru.first + k
					f := yuvFrame{W: size.W, H: size.H, Pix: pix}
					g := f.grey()
					// A panic in a look (cgo dlib, saliency) ends the analysis with its error, and this
					// goroutine keeps draining runs so that the reader is never left blocked.
					var (
						boxes []face.Box
						up    bool
					)
					inFlight.Add(1)
					err := safe.Call(func() (err error) {
						if ctx.Err() != nil {
							return nil
						}
						if frame != nil {
							frame(i, g)
						}
						if k > 0 && len(last) > 0 {
							if boxes, err = a.follow(ctx, g, last); err != nil || len(boxes) > 0 {
								return err
							}
						}
						switch {
						case k == 0:
							boxes, up, err = a.searchFirst(ctx, g, i%stride == 0, before)
						case len(last) > 0:
							boxes, up, err = a.search(ctx, g, i%stride == 0)
						}
						return err
					})
					inFlight.Add(-1)
					last = boxes
					if k == 0 {
						ru.faces.set(boxes)
					}
					var o reframe.Observation
					if err == nil {
						err = safe.Call(func() error { o = observation(f, boxes); return nil })
					}
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = err
						cancel()
					}
					o.T = float64(i) / rate
					obs[i] = o
					n := len(obs)
					mu.Unlock()
					searched(n)
					if up {
						upsampled.Add(1)
					}
				}
				ru.faces.set(nil) // when the first frame ended in a panic
			}
		}()
	}
	var readErr error
	each := runLength(rate)
	cur := run{faces: newFirstFaces()}
	send := func() {
		if len(cur.frames) == 0 {
			return
		}
		select {
		case runs <- cur:
		case <-ctx.Done():
		}
		cur = run{first: cur.first + len(cur.frames), before: cur.faces, faces: newFirstFaces()}
	}
	for {
		buf := make([]byte, frameBytes)
		if _, err := io.ReadFull(r, buf); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				readErr = err
			}
			break
		}
		if cur.frames = append(cur.frames, buf); len(cur.frames) == each {
			send()
		}
		if ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() == nil {
		send()
	}
	close(runs)
	wg.Wait()
	// Drain what ffmpeg still writes so that it can exit.
	_, _ = io.Copy(io.Discard, r)
	if firstErr != nil {
		return nil, 0, firstErr
	}
	if readErr != nil {
		return nil, 0, readErr
	}
	out := make([]reframe.Observation, 0, len(obs))
	for _, o := range obs {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].T < out[j].T })
	return out, int(upsampled.Load()), nil
}

// runLength is how many frames a run holds: about a second's worth, at most 8 (a short clip sampled
// at 15/s still searches whole every half second).
func runLength(rate float64) int {
	return max(1, min(8, int(math.Round(rate))))
}

// look finds the faces and the salient region of one picture, searched whole.
func (a *Analyzer) look(ctx context.Context, f yuvFrame, mayUpsample bool) (reframe.Observation, bool, error) {
	boxes, up, err := a.search(ctx, f.grey(), mayUpsample)
	if err != nil {
		return reframe.Observation{}, false, err
	}
	return observation(f, boxes), up, nil
}

// firstFaces are the faces of a run's first frame, for the run after it. Nil waits for nothing.
type firstFaces struct {
	once  sync.Once
	done  chan struct{}
	boxes []face.Box
}

func newFirstFaces() *firstFaces { return &firstFaces{done: make(chan struct{})} }

// set gives the faces; only the first call counts.
func (f *firstFaces) set(boxes []face.Box) {
	f.once.Do(func() { f.boxes = boxes; close(f.done) })
}

// wait returns the faces once they are set (none for a nil f, or once ctx ends).
func (f *firstFaces) wait(ctx context.Context) []face.Box {
	if f == nil {
		return nil
	}
	select {
	case <-f.done:
		return f.boxes
	case <-ctx.Done():
		return nil
	}
}

// searchFirst searches a run's first frame: whole at the plain size, then (when none is found) at
// twice the size around the faces of the run before's first frame, a second earlier (before), grown by
// three times their size on every side (a face crossing the picture moves that much in a second), then
// whole at twice the size when allowed.
func (a *Analyzer) searchFirst(ctx context.Context, g *image.Gray, mayUpsample bool, before func() []face.Box) ([]face.Box, bool, error) {
	boxes, err := a.faces.Detect(ctx, g, face.Plain)
	if err != nil || len(boxes) > 0 || !a.cfg.Upsample {
		return boxes, false, err
	}
	if prev := before(); len(prev) > 0 {
		if boxes, err = a.around(ctx, g, prev, 3, face.Double); err != nil || len(boxes) > 0 {
			return boxes, false, err
		}
	}
	if !mayUpsample {
		return nil, false, nil
	}
	boxes, err = a.faces.Detect(ctx, g, face.Double)
	return boxes, true, err
}

// search finds the faces of the whole picture. A picture with no face at the plain size is searched
// again at twice the size when allowed (faces of 40 to 80 pixels); the bool says it was.
func (a *Analyzer) search(ctx context.Context, g *image.Gray, mayUpsample bool) ([]face.Box, bool, error) {
	boxes, err := a.faces.Detect(ctx, g, face.Plain)
	if err != nil || len(boxes) > 0 || !a.cfg.Upsample || !mayUpsample {
		return boxes, false, err
	}
	boxes, err = a.faces.Detect(ctx, g, face.Double)
	return boxes, true, err
}

// Sizes (pixels of the analysed frame) at which follow searches at another zoom: a face last seen
// under followDouble pixels is looked for at twice the size, one of followHalf or more at half. The
// detector's window is 80 px at each zoom, so a face may shrink by a fifth between two frames and
// still be found (and if not, the frame is searched whole).
const (
	followDouble = 100
	followHalf   = 200
)

// follow searches g around the faces of the frame before (last) only: each box grown by its own size
// on every side (a face moves less than that in a quarter of a second), at the zoom the smallest of
// them asks for.
func (a *Analyzer) follow(ctx context.Context, g *image.Gray, last []face.Box) ([]face.Box, error) {
	smallest := math.MaxInt
	for _, b := range last {
		smallest = min(smallest, max(b.Dx(), b.Dy()))
	}
	zoom := face.Plain
	switch {
	case smallest < followDouble:
		zoom = face.Double
	case smallest >= followHalf:
		zoom = face.Half
	}
	return a.around(ctx, g, last, 1, zoom)
}

// around searches g at zoom inside the union of boxes, each grown by grow times its size on every side.
func (a *Analyzer) around(ctx context.Context, g *image.Gray, boxes []face.Box, grow int, zoom face.Zoom) ([]face.Box, error) {
	var area image.Rectangle
	for _, b := range boxes {
		area = area.Union(b.Rectangle.Inset(-grow * max(b.Dx(), b.Dy())))
	}
	area = area.Intersect(g.Rect)
	if area.Empty() {
		return nil, nil
	}
	return a.faces.Detect(ctx, g.SubImage(area).(*image.Gray), zoom)
}

// observation is what one frame shows: its faces, or when it has none its salient region.
func observation(f yuvFrame, boxes []face.Box) reframe.Observation {
	o := reframe.Observation{Faces: normBoxes(boxes, f.W, f.H)}
	if len(o.Faces) == 0 {
		o.Saliency = saliency(f)
	}
	return o
}

// normBoxes turns pixel boxes into fractions of the picture, largest first.
func normBoxes(boxes []face.Box, w, h int) []reframe.Box {
	out := make([]reframe.Box, 0, len(boxes))
	for _, b := range boxes {
		out = append(out, reframe.Box{
			X0: float64(b.Min.X) / float64(w), Y0: float64(b.Min.Y) / float64(h),
			X1: float64(b.Max.X) / float64(w), Y1: float64(b.Max.Y) / float64(h),
		})
	}
	sortFaces(out)
	return out
}

// readCuts reads the scene-change times that ffmpeg's metadata filter printed.
func readCuts(path string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read shot cuts: %w", err)
	}
	var cuts []float64
	for _, line := range strings.Split(string(b), "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "lavfi.scd.time=")
		if !ok {
			continue
		}
		t, err := strconv.ParseFloat(v, 64)
		if err != nil || t <= 0 {
			continue
		}
		if len(cuts) == 0 || t > cuts[len(cuts)-1] {
			cuts = append(cuts, t)
		}
	}
	return cuts, nil
}

// sortFaces orders faces largest first, as an Observation lists them.
func sortFaces(f []reframe.Box) {
	sort.SliceStable(f, func(i, j int) bool { return f[i].W()*f[i].H() > f[j].W()*f[j].H() })
}
