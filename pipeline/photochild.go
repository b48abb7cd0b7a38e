package pipeline

// A photo is decoded, colour-converted and rendered in a child process: quinte run again as
// `quinte photo-job`, so that a decoder's panic, a runaway allocation (a fatal out-of-memory, which no
// recover catches) or a hang ends that process and fails that job alone; the worker goes on.
//
// The child runs in a process group of its own (SIGINT, then a kill), dies with its parent
// (Pdeathsig), has its address space limited (RLIMIT_AS, set by the child on itself before it reads a
// byte of the photo, and inherited by the heif-convert and ffmpeg it starts), and is watched for
// progress: every line it writes kicks the stall watchdog, and it writes one per stage and output.
//
// The protocol is JSON lines. On stdin the parent writes the request, then the answer to each framing
// question; on stdout the child writes progress, one framing question (the picture downscaled to the
// analysis size, as a PNG in the job's directory: the subject analysis, dlib's face detector, stays
// in the worker, where its detectors are made once), and at the end the result or the reason of a
// refusal. Its stderr is diagnostics, of which the end is kept for the crash reason.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/internal/proc"
	"github.com/quinte-media/quinte/pipeline/internal/safe"
	"github.com/quinte-media/quinte/pipeline/photo"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/run"
)

// PhotoJobCommand is the hidden subcommand that runs one photo job (cmd/quinte's role switch).
const PhotoJobCommand = "photo-job"

// CodePhotoCrashed and CodePhotoStalled fail a photo whose child process died or stopped.
const (
	CodePhotoCrashed = "photo_crashed"
	CodePhotoStalled = "photo_stalled"
)

// TestCrashEnv, set to anything in a child's environment, lets a photo carrying the bytes
// "quinte-test-crash:panic", ":oom" or ":hang" make that child panic on a goroutine of its own,
// allocate without bound, or hang ignoring SIGINT: tests prove the isolation with it whatever the
// decoders do. Only the child honours it, and only with the variable set.
const TestCrashEnv = "QUINTE_TEST_PHOTO_CRASH"

const testCrashMarker = "quinte-test-crash:"

// IsPhotoJob reports whether args (os.Args[1:]) start a photo child: the TestMain of a package whose
// tests run photo jobs calls it, as `os.Executable()` is then the test binary.
func IsPhotoJob(args []string) bool { return len(args) > 0 && args[len(args)-1] == PhotoJobCommand }

// PhotoJobMain runs a photo child on the process's standard streams and returns its exit status (for
// TestMain; cmd/quinte calls RunPhotoJob).
func PhotoJobMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := RunPhotoJob(ctx, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "quinte photo-job:", err)
		return 1
	}
	return 0
}

// photoArgs are the child's arguments after the executable. A test binary gets -test.run=^$ first, so
// that one whose TestMain does not dispatch to PhotoJobMain runs no test (and the job fails with "no
// result") instead of running the whole suite again.
func photoArgs() []string {
	if testing.Testing() {
		return []string{"-test.run=^$", PhotoJobCommand}
	}
	return []string{PhotoJobCommand}
}

type photoRequest struct {
	Path         string        `json:"path"`
	WorkDir      string        `json:"work_dir"`
	MaxPixels    int64         `json:"max_pixels"`
	FFmpeg       string        `json:"ffmpeg"`
	Aspects      []geom.Aspect `json:"aspects"`
	AnalysisLong int           `json:"analysis_long"` // long side of the picture sent for framing
	MemoryLimit  int64         `json:"memory_limit"`  // bytes of address space; 0: none

	// The encode settings of every other encode: x264's for the MP4 loop, the stall watchdog's for
	// each ffmpeg and heif-convert run.
	Preset string        `json:"preset"`
	CRF    int           `json:"crf"`
	Stall  time.Duration `json:"stall"`
}

// childLine is one line of the child's stdout; exactly one field is set.
type childLine struct {
	Progress string        `json:"progress,omitempty"`
	Frame    *frameAsk     `json:"frame,omitempty"`
	Result   *photoResult  `json:"result,omitempty"`
	Failure  *childFailure `json:"failure,omitempty"`
}

// frameAsk asks the parent to frame the crops: Picture is the photo at the analysis size (a PNG in
// the work directory), Size the upright photo's own.
type frameAsk struct {
	Picture string    `json:"picture"`
	Size    geom.Size `json:"size"`
}

type frameAnswer struct {
	Framings []geom.Framing `json:"framings"`
	Error    string         `json:"error,omitempty"`
}

type photoResult struct {
	Plan  *plan.PhotoPlan `json:"plan"`
	Files []photo.File    `json:"files"`
	// The child's own peaks, from /proc/self/status at its end: VmPeak is what its memory limit
	// bounds, VmHWM its resident high-water mark.
	VmPeak int64 `json:"vm_peak"`
	VmHWM  int64 `json:"vm_hwm"`
}

// childFailure is a job the child ended cleanly with an error: Input when the photo is at fault (its
// code and message are the InputError's), else the machine's (retried).
type childFailure struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
	Input   bool   `json:"input"`
}

// PhotoCrash is how a photo child died: its exit, the crash line of its stderr, and its peak resident
// memory (from wait4's rusage: an upper bound, as it counts the pages shared with this process
// between fork and exec).
type PhotoCrash struct {
	Exit    string
	Crash   string
	PeakRSS int64
	Stalled bool
}

func (c *PhotoCrash) Error() string {
	s := "photo child " + c.Exit
	if c.Crash != "" {
		s += ": " + c.Crash
	}
	return s
}

var errPhotoStalled = errors.New("the photo child stopped making progress")

// runPhotoChild runs one photo job in a child process and returns its plan and files.
func (p *Pipeline) runPhotoChild(ctx context.Context, req photoRequest, framer subjectFramer) (*photoResult, error) {
	exe := p.cfg.PhotoExecutable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("photo child: %w", err)
		}
	}
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	cmd := proc.Command(cctx, 2*time.Second, exe, photoArgs()...)
	// glibc makes an arena of 64 MiB of address space per thread that calls malloc: under RLIMIT_AS
	// those would count against the photo for nothing.
	cmd.Env = append(os.Environ(), "MALLOC_ARENA_MAX=2")
	stderr := proc.NewTail(16 << 10)
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the photo child %s: %w", exe, err)
	}
	wd := proc.NewWatchdog(p.cfg.StallTimeout, func() { cancel(errPhotoStalled) })
	defer wd.Stop()
	wd.Follow(cmd) // between its progress lines, the child (and the tools it runs) reading or writing is progress
	waited := false
	defer func() {
		if !waited { // a panic here (in the framing): the child must not outlive the job
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
		}
	}()

	res, fail, protoErr := talkToPhotoChild(cctx, req, stdin, stdout, wd, framer)
	stdin.Close()
	_, _ = io.Copy(io.Discard, stdout) // a child still writing must not block on a full pipe
	werr := cmd.Wait()
	waited = true
	run.KillGroup(cmd)
	wd.Stop()
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	crash := &PhotoCrash{Exit: exitOf(cmd, werr), Crash: crashLine(stderr.Raw())}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		crash.PeakRSS = ru.Maxrss << 10
	}
	log := framer.log.With("peak_rss_mib", crash.PeakRSS>>20, "exit", crash.Exit)
	if errors.Is(context.Cause(cctx), errPhotoStalled) {
		crash.Stalled = true
		log.WarnContext(ctx, "photo child stalled", "stderr", stderr.String())
		return nil, &InputError{Code: CodePhotoStalled, Err: crash, Message: fmt.Sprintf(
			"this photo stopped making progress while it was decoded (nothing for %s) and was stopped: export it again as JPEG", p.cfg.StallTimeout)}
	}
	switch {
	case werr == nil && protoErr == nil && res != nil:
		log.DebugContext(ctx, "photo child done", "vm_peak_mib", res.VmPeak>>20, "vm_hwm_mib", res.VmHWM>>20)
		return res, nil
	case werr == nil && protoErr == nil && fail != nil:
		if fail.Input {
			return nil, &InputError{Code: fail.Code, Message: fail.Message}
		}
		return nil, errors.New(fail.Message)
	case werr == nil:
		// A clean exit without an answer: not the photo's doing (a test binary that does not
		// dispatch, a broken install), retried.
		return nil, fmt.Errorf("photo child %s gave no result (%v): %s", exe, protoErr, stderr.String())
	}
	log.WarnContext(ctx, "photo child crashed", "crash", crash.Crash, "stderr", stderr.String())
	return nil, &InputError{Code: CodePhotoCrashed, Err: crash, Message: fmt.Sprintf(
		"this photo could not be processed safely (%s): export it again as JPEG", crashReason(crash, werr, req.MemoryLimit))}
}

// talkToPhotoChild sends the request and answers the child until it gives its result or failure.
func talkToPhotoChild(ctx context.Context, req photoRequest, stdin io.Writer, stdout io.Reader, wd *proc.Watchdog, framer subjectFramer) (*photoResult, *childFailure, error) {
	enc := json.NewEncoder(stdin)
	if err := enc.Encode(req); err != nil {
		return nil, nil, fmt.Errorf("send the request: %w", err)
	}
	// The child is ours, but it has just parsed hostile bytes: bound what is read from it.
	dec := json.NewDecoder(io.LimitReader(stdout, 8<<20))
	for {
		var m childLine
		if err := dec.Decode(&m); err != nil {
			return nil, nil, fmt.Errorf("read the child: %w", err)
		}
		wd.Kick()
		switch {
		case m.Result != nil:
			return m.Result, nil, nil
		case m.Failure != nil:
			return nil, m.Failure, nil
		case m.Frame != nil:
			var ans frameAnswer
			if f, err := framer.frameFile(ctx, m.Frame, req); err != nil {
				ans.Error = err.Error()
			} else {
				ans.Framings = f
			}
			wd.Kick()
			if err := enc.Encode(ans); err != nil {
				return nil, nil, fmt.Errorf("answer the framing: %w", err)
			}
		}
	}
}

// exitOf says how the child ended.
func exitOf(cmd *exec.Cmd, err error) string {
	if err == nil {
		return "exited cleanly"
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by signal: " + ws.Signal().String()
	}
	return err.Error()
}

// crashLine is the line of a Go crash or a C++ abort that names the cause.
func crashLine(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		for _, p := range []string{"panic: ", "fatal error: ", "terminate called", "runtime: out of memory"} {
			if strings.HasPrefix(l, p) {
				return strings.ToValidUTF8(l, "?")
			}
		}
	}
	return ""
}

// crashReason is the reason a person reads, in the words of what happened.
func crashReason(c *PhotoCrash, err error, limit int64) string {
	low := strings.ToLower(c.Crash)
	switch {
	case strings.Contains(low, "out of memory") || strings.Contains(low, "bad_alloc") || strings.Contains(low, "cannot allocate"):
		return fmt.Sprintf("its decoder ran out of memory, over the %d MiB a photo may use", limit>>20)
	case strings.HasPrefix(low, "panic") || strings.HasPrefix(low, "fatal error") || strings.HasPrefix(low, "terminate"):
		return "its decoder crashed"
	case c.Exit == "killed by signal: killed":
		// SIGKILL that the watchdog did not send: the kernel's OOM killer, most likely.
		return "its decoder was killed, most likely for the memory it took"
	case strings.HasPrefix(c.Exit, "killed by signal: "):
		return "its decoder was " + c.Exit
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Sprintf("its decoder exited with status %d", ee.ExitCode())
	}
	return "its decoder failed: " + err.Error()
}

// frameFile frames the crops from the child's analysis picture.
func (f subjectFramer) frameFile(ctx context.Context, ask *frameAsk, req photoRequest) ([]geom.Framing, error) {
	if filepath.Dir(ask.Picture) != filepath.Clean(req.WorkDir) {
		return nil, fmt.Errorf("analysis picture %q is outside the job's directory", ask.Picture)
	}
	if ask.Size.W <= 0 || ask.Size.H <= 0 || int64(ask.Size.W)*int64(ask.Size.H) > req.MaxPixels {
		return nil, fmt.Errorf("photo size %dx%d is outside the limits", ask.Size.W, ask.Size.H)
	}
	file, err := os.Open(ask.Picture)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	br := bufio.NewReader(file)
	hdr, err := br.Peek(64)
	if err != nil {
		return nil, fmt.Errorf("analysis picture: %w", err)
	}
	c, err := png.DecodeConfig(bytes.NewReader(hdr))
	if err != nil || c.Width > 2*req.AnalysisLong || c.Height > 2*req.AnalysisLong || c.Width < 1 || c.Height < 1 {
		return nil, fmt.Errorf("analysis picture %dx%d is not what was asked (%v)", c.Width, c.Height, err)
	}
	small, err := png.Decode(br)
	if err != nil {
		return nil, fmt.Errorf("analysis picture: %w", err)
	}
	return f.frame(ctx, small, ask.Size, req.Aspects)
}

// RunPhotoJob is the child: it reads one request on stdin, limits its own memory, makes the photo's
// outputs and writes the result on stdout. A refusal is a result (Failure); a panic on this goroutine
// is reported as a crash; what it cannot report (a panic elsewhere, a fatal out-of-memory) ends the
// process, which the parent reads from its exit and stderr.
func RunPhotoJob(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) error {
	in := bufio.NewReader(stdin)
	dec := json.NewDecoder(in)
	var req photoRequest
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("read the request: %w", err)
	}
	if req.MemoryLimit > 0 {
		if err := limitMemory(req.MemoryLimit); err != nil {
			return err
		}
	}
	out := &lineWriter{enc: json.NewEncoder(stdout)}
	if os.Getenv(TestCrashEnv) != "" {
		testCrash(req.Path)
	}
	cfg := photo.Config{MaxPixels: req.MaxPixels, FFmpeg: req.FFmpeg, Aspects: req.Aspects,
		Preset: req.Preset, CRF: req.CRF, Stall: req.Stall,
		Framer:   remoteFramer{out: out, in: dec, dir: req.WorkDir, long: req.AnalysisLong},
		Progress: func(stage string) { out.send(childLine{Progress: stage}) }}
	var res photoResult
	err := safe.Call(func() (err error) {
		res.Plan, res.Files, err = photo.Process(ctx, cfg, req.Path, req.WorkDir)
		return err
	})
	if err == nil {
		res.VmPeak, res.VmHWM = selfMemory()
		return out.send(childLine{Result: &res})
	}
	var pe *safe.PanicError
	var ie *InputError
	switch {
	case errors.As(err, &pe):
		fmt.Fprintf(stderr, "panic: %v\n%s", pe.Value, pe.Stack)
		return out.send(childLine{Failure: &childFailure{Code: CodePhotoCrashed, Input: true,
			Message: "this photo could not be processed safely (its decoder crashed): export it again as JPEG"}})
	case errors.As(err, &ie):
		return out.send(childLine{Failure: &childFailure{Code: ie.Code, Message: ie.Message, Input: true}})
	}
	return out.send(childLine{Failure: &childFailure{Message: err.Error()}})
}

// limitMemory caps the process's address space, and tells the Go collector to work hard before it
// reaches the cap: a photo that needs more than the cap fails; it does not take the machine.
func limitMemory(limit int64) error {
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: uint64(limit), Max: uint64(limit)}); err != nil {
		return fmt.Errorf("limit the photo child's memory to %d bytes: %w", limit, err)
	}
	debug.SetMemoryLimit(limit / 2)
	return nil
}

// selfMemory reads this process's VmPeak and VmHWM, in bytes.
func selfMemory() (peak, hwm int64) {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(l, "VmPeak: %d kB", &kb); err == nil {
			peak = kb << 10
		} else if _, err := fmt.Sscanf(l, "VmHWM: %d kB", &kb); err == nil {
			hwm = kb << 10
		}
	}
	return peak, hwm
}

// lineWriter writes JSON lines from any goroutine (the encodes report progress concurrently).
type lineWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *lineWriter) send(l childLine) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.enc.Encode(l)
}

// remoteFramer asks the parent where each crop sits, from the photo downscaled to the analysis size.
type remoteFramer struct {
	out  *lineWriter
	in   *json.Decoder
	dir  string
	long int
}

func (f remoteFramer) Frame(ctx context.Context, img image.Image, aspects []geom.Aspect) ([]geom.Framing, error) {
	b := img.Bounds()
	full := geom.Size{W: b.Dx(), H: b.Dy()}
	// The analysis resizes to this size with the same filter: the parent's resize is then a copy, and
	// it sees the very pixels it would have made from the full picture.
	s := geom.FitLong(full, f.long)
	small := imaging.Resize(img, s.W, s.H, imaging.Box)
	path := filepath.Join(f.dir, "photo_analysis.png")
	if err := writePNG(path, small); err != nil {
		return nil, err
	}
	if err := f.out.send(childLine{Frame: &frameAsk{Picture: path, Size: full}}); err != nil {
		return nil, err
	}
	var ans frameAnswer
	if err := f.in.Decode(&ans); err != nil {
		return nil, fmt.Errorf("read the framing: %w", err)
	}
	if ans.Error != "" {
		return nil, errors.New(ans.Error)
	}
	return ans.Framings, nil
}

func writePNG(path string, img image.Image) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(file, img); err != nil {
		file.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return file.Close()
}

// testCrash is the test hook (TestCrashEnv): it looks for the marker in the photo's first 64 KiB.
func testCrash(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	f.Close()
	i := bytes.Index(head[:n], []byte(testCrashMarker))
	if i < 0 {
		return
	}
	mode := head[i+len(testCrashMarker) : n]
	switch {
	case bytes.HasPrefix(mode, []byte("panic")):
		done := make(chan struct{})
		go func() { panic("quinte-test-crash: a decoder panicked on a goroutine of its own") }()
		<-done
	case bytes.HasPrefix(mode, []byte("oom")):
		var keep [][]byte
		for {
			b := make([]byte, 32<<20)
			for j := 0; j < len(b); j += 4096 {
				b[j] = 1
			}
			keep = append(keep, b)
		}
	case bytes.HasPrefix(mode, []byte("hang")):
		signal.Ignore(os.Interrupt, syscall.SIGTERM)
		for {
			time.Sleep(time.Hour)
		}
	}
}
