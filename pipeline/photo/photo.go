// Package photo makes a photo's outputs. It checks what the file claims before decoding anything
// (file size, pixel count, frame count: see guard.go), decodes once, brings the picture upright
// (EXIF orientation; HEIF irot is applied by libheif), into sRGB (ICC profiles, CMYK press profiles,
// HDR tone mapping) and opaque (alpha composited onto white), then cuts every output from that one
// picture: image/web and image/thumb as JPEG and WebP, one crop per aspect, and for animations an MP4
// loop. Encoders write no metadata, so no EXIF, GPS, XMP or ICC ever leaves.
//
// It writes files into a directory and knows nothing of S3 or the queue; subpackages hold the parts
// that are not about outputs (anim, heif, icc, ycc).
package photo

import (
	"context"
	"fmt"
	"image"
	"math"
	"os"
	"runtime"
	"time"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
)

// Config limits what is decoded and names the tools used. Zero fields take the documented defaults.
type Config struct {
	MaxPixels          int64              // photos claiming more are refused before decoding (50 MP)
	MaxBytes           int64              // larger files are refused before reading (128 MiB)
	MaxFrames          int                // animations with more frames are refused (1000)
	MaxAnimationPixels int64              // frames × canvas pixels, the decoding work of a loop (1000 MP)
	MaxLoop            time.Duration      // the MP4 loop of a longer animation stops here (15 s)
	Aspects            []geom.Aspect      // social crops, in output order (1:1)
	Framer             Framer             // where each crop sits (CentreFramer)
	FFmpeg             string             // encodes WebP and the MP4 loop ("ffmpeg")
	HeifConvert        string             // libheif's decoder for HEIC and AVIF ("heif-convert")
	ToolTimeout        time.Duration      // per run of ffmpeg or heif-convert (2 min)
	Progress           func(stage string) // told each stage done (a child process's watchdog feeds on it); nil: nobody

	// Preset and CRF are the x264 settings of the MP4 loop: the service's (QUINTE_X264_PRESET,
	// QUINTE_X264_CRF), as every other encode. An empty Preset means veryfast at CRF 23, the defaults.
	Preset string
	CRF    int
	// Stall stops a run of ffmpeg or heif-convert that reads, writes and reports nothing for this
	// long (QUINTE_STALL_TIMEOUT, as every other ffmpeg run; 0: only ToolTimeout stops it).
	Stall time.Duration
}

// Defaults.
const (
	DefaultMaxPixels          = 50_000_000
	DefaultMaxBytes           = 128 << 20
	DefaultMaxFrames          = 1000
	DefaultMaxAnimationPixels = 1_000_000_000
	DefaultMaxLoop            = 15 * time.Second
	DefaultToolTimeout        = 2 * time.Minute
	DefaultPreset             = "veryfast" // configs/default.yaml's, with DefaultCRF
	DefaultCRF                = 23
)

// DefaultAspects is the crop a Config without Aspects gets; the service asks for the four social
// aspects (pipeline/photostep.go).
var DefaultAspects = []geom.Aspect{{Name: "1x1", W: 1, H: 1, Out: geom.Size{W: 1080, H: 1080}}}

func (c Config) withDefaults() Config {
	set := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&c.MaxPixels, DefaultMaxPixels)
	set(&c.MaxBytes, DefaultMaxBytes)
	set(&c.MaxAnimationPixels, DefaultMaxAnimationPixels)
	if c.MaxFrames <= 0 {
		c.MaxFrames = DefaultMaxFrames
	}
	if c.MaxLoop <= 0 {
		c.MaxLoop = DefaultMaxLoop
	}
	if c.ToolTimeout <= 0 {
		c.ToolTimeout = DefaultToolTimeout
	}
	if c.Preset == "" {
		c.Preset, c.CRF = DefaultPreset, DefaultCRF
	}
	if c.Aspects == nil {
		c.Aspects = DefaultAspects
	}
	if c.Framer == nil {
		c.Framer = CentreFramer{}
	}
	if c.FFmpeg == "" {
		c.FFmpeg = "ffmpeg"
	}
	if c.HeifConvert == "" {
		c.HeifConvert = "heif-convert"
	}
	if c.Progress == nil {
		c.Progress = func(string) {}
	}
	return c
}

// File is one output written to disk.
type File struct {
	message.Output
	Path string
	Ext  string
}

// Process makes every output of the photo at path into dir (an absolute path).
func Process(ctx context.Context, cfg Config, path, dir string) (*plan.PhotoPlan, []File, error) {
	cfg = cfg.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	h, err := inspect(f, cfg)
	if err != nil {
		return nil, nil, err
	}
	cfg.Progress("inspected")
	pic, err := decode(ctx, cfg, f, path, dir, h)
	if err != nil {
		return nil, nil, err
	}
	runtime.GC() // the decoder's planes (and a picture before its rotation) are garbage now
	cfg.Progress("decoded")
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	crops, err := frame(ctx, cfg, pic.img, h)
	if err != nil {
		return nil, nil, err
	}
	cfg.Progress("framed")
	b := pic.img.Bounds()
	src := plan.PhotoSource{
		Format: h.Format, Stored: h.Stored, Shown: geom.Size{W: b.Dx(), H: b.Dy()}, Orientation: h.Orientation,
		Frames: h.Frames, Duration: h.Duration, Colour: pic.colour,
	}
	if h.HEIF != nil && h.HEIF.Images > 1 {
		src.Images, src.Primary = h.HEIF.Images, fmt.Sprintf("item %d, named by pitm", h.HEIF.PrimaryID)
	}
	pl := plan.NewPhoto(src, cfg.Aspects, crops, cfg.MaxLoop)
	files, err := render(ctx, cfg, pl, pic, path, h, dir)
	if err != nil {
		return nil, nil, err
	}
	return pl, files, nil
}

// frame asks the framer how each crop is made and checks its answer: a fill's region inside the
// picture and of the aspect's shape, no output larger than the pixels it comes from.
func frame(ctx context.Context, cfg Config, img image.Image, h *header) ([]geom.Framing, error) {
	crops, err := cfg.Framer.Frame(ctx, img, cfg.Aspects)
	if err != nil {
		return nil, fmt.Errorf("framing crops: %w", err)
	}
	if len(crops) != len(cfg.Aspects) {
		return nil, fmt.Errorf("framing crops: %d framings for %d aspects", len(crops), len(cfg.Aspects))
	}
	b := img.Bounds()
	for i, c := range crops {
		a := cfg.Aspects[i]
		bad := c.Out.W <= 0 || c.Out.H <= 0 || !shaped(c.Out, a)
		switch r := c.Rect; c.Mode {
		case geom.Fill:
			bad = bad || r.W <= 0 || r.H <= 0 || r.X < 0 || r.Y < 0 || r.X+r.W > b.Dx() || r.Y+r.H > b.Dy() || c.Out.W > r.W || c.Out.H > r.H
		case geom.Fit:
			bad = bad || c.Inner.W <= 0 || c.Inner.H <= 0 || c.Inner.W > c.Out.W || c.Inner.H > c.Out.H || c.Inner.W > b.Dx() || c.Inner.H > b.Dy()
		default:
			bad = true
		}
		if bad {
			return nil, fmt.Errorf("framing crops: %+v for crop %s of the %dx%d picture", c, a.Name, b.Dx(), b.Dy())
		}
	}
	return crops, nil
}

// shaped reports whether s has the aspect's shape, give or take the 2 px of rounding to even sizes.
func shaped(s geom.Size, a geom.Aspect) bool {
	r := float64(a.W) / float64(a.H)
	return math.Abs(float64(s.W)-float64(s.H)*r) <= 2 || math.Abs(float64(s.H)-float64(s.W)/r) <= 2
}
