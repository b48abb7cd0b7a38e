package photo

import (
	"fmt"

	"github.com/quinte-media/quinte/pipeline/internal/reject"
)

// Error is a photo that will never work, with a code and a reason a person can act on: the
// pipeline's InputError, so that a refused photo fails its message like a refused video.
type Error = reject.Error

// Codes of refused photos.
const (
	CodeEmpty          = "empty_photo"
	CodeFileTooLarge   = "photo_file_too_large"
	CodeUnsupported    = "unsupported_photo"
	CodeUnreadable     = "unreadable_photo"
	CodeTooLarge       = "photo_too_large"
	CodeTooSmall       = "photo_too_small"
	CodeTooManyFrames  = "too_many_frames"
	CodeAnimationLarge = "animation_too_large"
	CodeTruncated      = "truncated_photo"
	CodeUndecodable    = "undecodable_photo"
)

func refuse(code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// mp formats a pixel count in megapixels.
func mp(px int64) string { return mpf(float64(px)) }

// mpf is mp of a product too large for an int64 (two 32-bit sides from a file).
func mpf(px float64) string {
	if px < 10_000_000 {
		return fmt.Sprintf("%.1f MP", px/1e6)
	}
	return fmt.Sprintf("%.0f MP", px/1e6)
}
