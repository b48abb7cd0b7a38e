package pipeline

import (
	"errors"
	"fmt"
	"time"
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
	minVideoSide        = 16
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
	if c.Preset == "" {
		c.Preset = "veryfast"
	}
	return c
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
