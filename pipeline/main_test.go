package pipeline

import (
	"fmt"
	"os"
	"testing"

	"github.com/quinte-media/quinte/configs"
	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/pipeline/face"
	"github.com/quinte-media/quinte/pipeline/reframe"
	"github.com/quinte-media/quinte/pipeline/reframe/subject"
)

// parts are what a worker gives its pipeline, shared by every test of the package as by every job of
// a worker: the real face detectors and the built-in campaigns.
var parts Parts

func TestMain(m *testing.M) {
	// The photo step runs this binary again as its photo child (os.Executable is the test binary).
	if IsPhotoJob(os.Args[1:]) {
		os.Exit(PhotoJobMain())
	}
	pool := face.NewPool(DefaultConcurrency() + 1)
	campaigns, err := brand.LoadCatalogue(configs.Campaigns(), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "campaigns:", err)
		os.Exit(1)
	}
	parts = Parts{Subjects: subject.NewAnalyzer(reframe.DefaultConfig(), pool), Campaigns: campaigns}
	code := m.Run()
	pool.Close()
	os.Exit(code)
}

func testParts() Parts { return parts }
