package pipeline

import (
	"errors"
	"fmt"
	"time"

	"github.com/quinte-media/quinte/pipeline/probe"
)

// Config tunes the pipeline. The zero value of every limit means its default (see withDefaults), so a
// Config that only names the programs runs with the documented limits.
type Config struct {
	FFmpeg         string        `yaml:"ffmpeg"`
	FFprobe        string        `yaml:"ffprobe"`
	Preset         string        `yaml:"preset"`
	CRF            int           `yaml:"crf"`
	MaxPhotoPixels int64         `yaml:"max_photo_pixels"`
	StallTimeout   time.Duration `yaml:"stall_timeout"`
	// PhotoMemoryLimit caps the address space of the child process that decodes one photo, in bytes;
	// 0 sizes it from MaxPhotoPixels (PhotoMemoryLimitFor).
	PhotoMemoryLimit int64 `yaml:"photo_memory_limit"`
	// PhotoExecutable is the program run as `photo-job` for each photo ("" is this program, as
	// os.Executable names it).
	PhotoExecutable string `yaml:"-"`

	// Limits checked on the probe, before anything is decoded: an input over one of them fails at once
	// with a reason instead of costing minutes of CPU.
	MaxDuration  time.Duration `yaml:"max_duration"`   // longest video or audio
	MaxVideoSide int           `yaml:"max_video_side"` // widest or tallest coded picture, in pixels
	MaxFrameRate int           `yaml:"max_frame_rate"` // frames per second of the main video
	MaxStreams   int           `yaml:"max_streams"`    // streams in the container
	MaxFrames    int           `yaml:"max_frames"`     // frames of the main video
}

// Default limits.
const (
	DefaultMaxDuration  = 10 * time.Minute
	DefaultMaxVideoSide = 4096
	DefaultMaxFrameRate = 240
	DefaultMaxStreams   = 16
	DefaultMaxFrames    = 72000 // ten minutes at 120 fps
)

// withDefaults fills the limits left at zero.
func (c Config) withDefaults() Config {
	if c.MaxDuration == 0 {
		c.MaxDuration = DefaultMaxDuration
	}
	if c.MaxVideoSide == 0 {
		c.MaxVideoSide = DefaultMaxVideoSide
	}
	if c.MaxFrameRate == 0 {
		c.MaxFrameRate = DefaultMaxFrameRate
	}
	if c.MaxStreams == 0 {
		c.MaxStreams = DefaultMaxStreams
	}
	if c.MaxFrames == 0 {
		c.MaxFrames = DefaultMaxFrames
	}
	if c.PhotoMemoryLimit == 0 {
		c.PhotoMemoryLimit = PhotoMemoryLimitFor(c.MaxPhotoPixels)
	}
	if c.Preset == "" {
		c.Preset = "veryfast"
	}
	return c
}

// limits are the gate's limits of c (after withDefaults).
func (c Config) limits() probe.Limits {
	return probe.Limits{MaxDuration: c.MaxDuration, MaxVideoSide: c.MaxVideoSide, MaxFrameRate: c.MaxFrameRate,
		MaxStreams: c.MaxStreams, MaxFrames: c.MaxFrames}
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
	if c.PhotoMemoryLimit != 0 && c.PhotoMemoryLimit < minPhotoMemoryLimit {
		errs = append(errs, fmt.Errorf("QUINTE_PHOTO_MEMORY_LIMIT %d must be at least %d bytes (%d MiB)", c.PhotoMemoryLimit, int64(minPhotoMemoryLimit), minPhotoMemoryLimit>>20))
	}
	if c.MaxDuration < 0 || (c.MaxDuration > 0 && c.MaxDuration < time.Second) {
		errs = append(errs, fmt.Errorf("QUINTE_MAX_DURATION %s must be at least 1s", c.MaxDuration))
	}
	if c.MaxVideoSide < 0 || (c.MaxVideoSide > 0 && c.MaxVideoSide < 480) {
		errs = append(errs, fmt.Errorf("QUINTE_MAX_VIDEO_SIDE %d must be at least 480", c.MaxVideoSide))
	}
	if c.MaxFrameRate < 0 || (c.MaxFrameRate > 0 && c.MaxFrameRate < 30) {
		errs = append(errs, fmt.Errorf("QUINTE_MAX_FRAME_RATE %d must be at least 30", c.MaxFrameRate))
	}
	if c.MaxStreams < 0 || (c.MaxStreams > 0 && c.MaxStreams < 2) {
		errs = append(errs, fmt.Errorf("QUINTE_MAX_STREAMS %d must be at least 2", c.MaxStreams))
	}
	if c.MaxFrames < 0 {
		errs = append(errs, fmt.Errorf("QUINTE_MAX_FRAMES %d must not be negative", c.MaxFrames))
	}
	return errors.Join(errs...)
}

// The photo child's address space (RLIMIT_AS, which heif-convert and ffmpeg inherit): a fixed part and a
// part per pixel of the largest photo allowed. Measured on this tree (VmPeak of the child): ~1.40 GiB
// whatever the photo, nearly all of it address space the Go runtime reserves and never touches, then
// ~11 bytes per pixel (12.5 MP JPEG 1.55 GiB, 20.6 MP AVIF 1.63 GiB, 50 MP JPEG 1.93 GiB, which fails
// at 1.85 GiB). 1.5 GiB + 16 B/px gives 2.25 GiB at the default 50 MP: about 300 MiB over the need of
// the largest photo allowed, while a file whose decoder allocates without bound stops there.
const (
	photoMemoryBase     = 1536 << 20
	photoMemoryPerPixel = 16
	minPhotoMemoryLimit = 1536 << 20
)

// PhotoMemoryLimitFor is the default memory limit of a photo child when photos may have up to
// maxPixels pixels.
func PhotoMemoryLimitFor(maxPixels int64) int64 {
	if maxPixels <= 0 {
		maxPixels = 50_000_000
	}
	return photoMemoryBase + photoMemoryPerPixel*maxPixels
}
