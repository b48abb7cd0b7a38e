package bench

import (
	"os"
	"testing"

	"github.com/quinte-media/quinte/pipeline"
)

// TestMain lets this binary be the pipeline's photo child (os.Executable is the test binary).
func TestMain(m *testing.M) {
	if pipeline.IsPhotoJob(os.Args[1:]) {
		os.Exit(pipeline.PhotoJobMain())
	}
	os.Exit(m.Run())
}
