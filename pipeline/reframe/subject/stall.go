package subject

import "errors"

// errStalled ends an analysis whose ffmpeg stopped sending frames (a decoder stuck on a damaged file):
// the job's own deadline would otherwise be the only limit.
var errStalled = errors.New("ffmpeg sent no frame")
